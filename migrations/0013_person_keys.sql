-- Personal data in the log is sealed per person (see eventstore::seal): each person's key,
-- wrapped by the master key from configuration. Deleting an account sets `wrapped` to null;
-- the row stays, so no new key is ever made for someone erased.
create table person_keys (
    person uuid primary key,
    wrapped bytea,
    created_at timestamptz not null default now(),
    erased_at timestamptz,
    check ((wrapped is null) = (erased_at is not null))
);

-- When an account was deleted; its row stays, erased, so what it did keeps an author.
alter table users add column deleted_at timestamptz;

-- Snapshots of accounts, posts and comments held their text; those aggregates are no longer
-- snapshotted, so the old snapshots go.
delete from snapshots where aggregate_type in ('User', 'Post', 'Comment');

-- How far the log went before sealing: events up to here may hold personal data in clear, and
-- are sealed in place once, by the first instance that starts (eventstore::seal::seal_existing).
-- A fresh database has nothing to seal.
create table log_sealing (upto bigint not null);
insert into log_sealing (upto) select max(position) from events having count(*) > 0;

-- Unique claims become keyed digests (by the same pass), which no prefix index can serve.
drop index unique_claims_prefix;

-- The erasure projector (destroying deleted accounts' keys) starts at the end of the log: no
-- account was deleted before it existed.
insert into projector_checkpoints (name, transaction_id, position)
select 'erasure', transaction_id, position
  from events
 order by transaction_id desc, position desc
 limit 1
on conflict (name) do nothing;
