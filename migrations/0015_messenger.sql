-- A messenger's messages: replies, attachments, reactions, a version for ordering live frames,
-- and full-text search over one's own conversations.

-- `version` counts the changes a message has had (sent = 1; each edit, deletion or reaction adds
-- one): a socket holding version n of a message drops any frame of it at n or older.
alter table messages
    add column version integer not null default 1,
    add column reply_to bigint,
    add column attachment jsonb;

-- A file is fetched by its id: which message (and room) carries it.
create index messages_by_attachment on messages ((attachment ->> 'id')) where attachment is not null;

-- Who reacted to which message with what, in the order they did.
create table message_reactions (
    room_id uuid not null,
    seq bigint not null,
    user_id uuid not null,
    emoji text not null,
    reacted_at timestamptz not null,
    primary key (room_id, seq, user_id, emoji)
);

-- Search of a person's conversations: words of messages still standing, in any language (the
-- `simple` configuration folds case and does not stem).
create index messages_search on messages using gin (to_tsvector('simple', body)) where not deleted;

-- Files chosen for a message before it is sent. Not a read model: a row only says that `uploader`
-- may attach the stored file to a message in `room_id`; sending moves its facts into the message's
-- event, and rows never sent are swept with their files after a day.
create table chat_uploads (
    id uuid primary key,
    room_id uuid not null,
    uploader_id uuid not null,
    attachment jsonb not null,
    created_at timestamptz not null default now(),
    sent boolean not null default false
);

create index chat_uploads_unsent on chat_uploads (created_at) where not sent;
create index chat_uploads_by_uploader on chat_uploads (uploader_id);
