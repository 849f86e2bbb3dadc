-- Community safety: blocks, staff reading private chats, suspensions and the moderation log.

-- Who blocked whom: the blocked person's requests and messages are refused (by the chat), and
-- their comments are hidden from the blocker.
create table blocks (
    blocker_id uuid not null,
    blocked_id uuid not null,
    created_at timestamptz not null,
    primary key (blocker_id, blocked_id)
);

create index blocks_by_blocked on blocks (blocked_id);

-- Each time staff read a private chat, and why. The two people are shown these; a reading lets
-- that staff member read the chat for an hour.
create table staff_reads (
    chat_id uuid not null,
    position bigint not null,
    staff_id uuid not null,
    reason text not null,
    report_id uuid,
    read_at timestamptz not null,
    primary key (chat_id, position)
);

create index staff_reads_by_staff on staff_reads (staff_id, chat_id, read_at desc);

-- Suspensions: while one holds (until `suspended_until`, or for good when that is null), the
-- account can't sign in or act, and its posts are hidden if staff asked for it.
alter table users
    add column suspended_at timestamptz,
    add column suspended_until timestamptz,
    add column suspension_reason text,
    add column suspension_hides_posts boolean not null default false;

-- The public moderation log: every staff action, its target, reason and time.
create table moderation_log (
    position bigint primary key,
    staff_id uuid not null,
    action text not null,
    target_kind text not null check (target_kind in ('user', 'post', 'comment', 'report')),
    target_id uuid not null,
    reason text not null,
    until timestamptz,
    at timestamptz not null
);

create index moderation_log_by_target on moderation_log (target_kind, target_id);

-- Posts and comments staff hid, and why: shown to their authors, hidden from everyone else.
alter table posts add column hidden_reason text;
alter table comments add column hidden_reason text;

-- Reports: who pointed staff at what, why, and what became of it.
create table reports (
    id uuid primary key,
    reporter_id uuid not null,
    target_kind text not null check (target_kind in ('post', 'comment', 'profile', 'message')),
    post_id uuid,
    comment_id uuid,
    user_id uuid,
    chat_id uuid,
    seq bigint,
    category text not null,
    note text,
    status text not null check (status in ('open', 'dismissed', 'resolved')),
    filed_at timestamptz not null,
    closed_at timestamptz,
    closed_by uuid,
    close_reason text
);

create index reports_open on reports (filed_at) where status = 'open';
