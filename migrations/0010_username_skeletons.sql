-- What each username looks like (its UTS #39 skeleton, lowercased), so that a display name
-- imitating someone else's username (a Cyrillic "ѕ" for an "s", or "rn" for an "m") is refused.
-- Computed in Rust by the users projector; rows from before this column are filled at start-up.
alter table users add column username_skeleton text;
create index users_by_username_skeleton on users (username_skeleton);
