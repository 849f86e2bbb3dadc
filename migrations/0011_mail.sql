-- Confirmed addresses, a pending change of address, and whether chat messages that wait are
-- mailed. Accounts from before confirmation existed count as confirmed (as their events are
-- read: see domain::user::upcasters).
alter table users
    add column email_confirmed boolean not null default true,
    add column pending_email text,
    add column pending_email_expires_at timestamptz,
    add column chat_email boolean not null default true;

-- The password reset links that may still be used, by the hash of their token only.
create table password_resets (
    reset_id uuid primary key,
    user_id uuid not null,
    token_hash text not null,
    expires_at timestamptz not null
);
create index password_resets_by_user on password_resets (user_id);

-- Mail to send. Rows are written by the mail projector, in the catch-up transaction of the event
-- that calls for them (so a mail exists exactly when its event does, once: `dedupe` names the
-- event and the kind of mail), or by the chat notice job; each instance's sender takes due rows
-- with `skip locked`, sends them and marks them sent, or retries later. Links are not kept here:
-- the sender signs them from the row's data when it renders the mail.
create table outbox (
    id uuid primary key,
    dedupe text not null unique,
    user_id uuid,
    kind text not null,
    to_address text not null,
    data jsonb not null default '{}',
    created_at timestamptz not null default now(),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    sent_at timestamptz,
    failed_at timestamptz,
    last_error text
);
create index outbox_due on outbox (next_attempt_at) where sent_at is null and failed_at is null;
create index outbox_by_user on outbox (user_id, kind, created_at);

-- Each account's address as the mail projector has seen it (the users read model may be ahead
-- of it within a catch-up). Accounts from before mail start with their current one.
create table mail_addresses (
    user_id uuid primary key,
    email text not null,
    username text not null
);
insert into mail_addresses (user_id, email, username) select id, email, username from users;

-- The mail projector starts at the end of an existing log: accounts made before mail existed
-- are not sent what they would have been sent then.
insert into projector_checkpoints (name, transaction_id, position)
select 'mail', transaction_id, position
  from events
 order by transaction_id desc, position desc
 limit 1
on conflict (name) do nothing;
