-- Read model of user accounts: profiles, login lookups, credentials.
-- Uniqueness is decided by unique_claims; these indexes are for lookups only, because a rename
-- and a registration of the freed name may be projected in either order.
create table users (
    id uuid primary key,
    username text not null,
    email text not null,
    display_name text,
    bio text,
    image text,
    password_hash text not null,
    staff boolean not null default false,
    credentials_version integer not null default 0,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create index users_username_lower on users (lower(username));
create index users_email_lower on users (lower(email));
