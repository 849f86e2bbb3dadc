-- Read models of chat: requests, rooms with their members, and messages.

create table chat_requests (
    id uuid primary key,
    chat_id uuid not null,
    from_id uuid not null,
    to_id uuid not null,
    note text,
    status text not null check (status in ('pending', 'approved', 'declined', 'cancelled')),
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create index chat_requests_incoming on chat_requests (to_id, status, created_at desc);
create index chat_requests_outgoing on chat_requests (from_id, status, created_at desc);

create table chat_rooms (
    id uuid primary key,
    created_at timestamptz not null,
    last_seq bigint not null default 0,
    last_activity_at timestamptz not null
);

-- One row per person in a room: whom they talk to and how far they have read.
create table chat_members (
    room_id uuid not null,
    user_id uuid not null,
    peer_id uuid not null,
    last_read_seq bigint not null default 0,
    unread integer not null default 0,
    primary key (room_id, user_id)
);

create index chat_members_by_user on chat_members (user_id);

-- A deleted message keeps its place (seq) but not its text; the text stays in the log.
create table messages (
    room_id uuid not null,
    seq bigint not null,
    id uuid not null,
    sender_id uuid not null,
    client_id uuid not null,
    body text not null,
    sent_at timestamptz not null,
    edited_at timestamptz,
    deleted boolean not null default false,
    primary key (room_id, seq)
);

create unique index messages_by_client_id on messages (room_id, client_id);
