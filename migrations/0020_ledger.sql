-- The log proves itself (see eventstore::ledger).
--
-- 1. A hash chain per aggregate. Each event stores the hash of the event before it in its
--    aggregate (`prev_hash`; 32 zero bytes for the first) and its own: SHA-256 of `prev_hash`,
--    a format byte and its stored fields, each length-prefixed, metadata and time included. The
--    payload is hashed as stored, so where personal data is sealed the hash covers the box and an
--    erasure (which only deletes a key) never breaks it. The sequence is not hashed: the chain
--    itself is the order, which is what lets `verify` tell a reordered event from a changed one.
--    A trigger computes both on insert, so no writer can append an event outside the chain; a
--    row-level BEFORE trigger sees the rows its own statement inserted before, so a commit of
--    several events chains them in order.
-- 2. A Merkle tree over the whole log (RFC 9162), filled by the sealer in the order events
--    become final, and the signed checkpoints of it.

alter table events add column prev_hash bytea, add column hash bytea;

-- One field of the encoding: its length in bytes (4, big-endian), then its UTF-8 bytes.
create function event_field(value text) returns bytea
language sql immutable strict parallel safe
as $$ select int4send(octet_length(b)) || b from convert_to(value, 'UTF8') as b $$;

-- An event's hash from its predecessor's; `eventstore::ledger::chain` computes the same in Rust.
create function event_hash(
    prev_hash bytea, aggregate_type text, aggregate_id text, event_type text,
    event_version text, payload jsonb, metadata jsonb, recorded_at timestamptz
) returns bytea
language sql stable strict parallel safe
as $$
    select sha256(
        prev_hash || '\x01'::bytea
        || event_field(aggregate_type) || event_field(aggregate_id)
        || event_field(event_type) || event_field(event_version)
        || event_field(payload::text) || event_field(metadata::text)
        || int8send((extract(epoch from recorded_at) * 1000000)::bigint))
$$;

create function events_chain() returns trigger
language plpgsql
as $$
begin
    if new.sequence <= 1 then
        new.prev_hash := decode(repeat('00', 32), 'hex');
    else
        select e.hash into new.prev_hash
          from events e
         where e.aggregate_type = new.aggregate_type
           and e.aggregate_id = new.aggregate_id
           and e.sequence = new.sequence - 1;
        if new.prev_hash is null then
            raise exception 'event % of % % follows no event', new.sequence, new.aggregate_type, new.aggregate_id
                using errcode = 'foreign_key_violation';
        end if;
    end if;
    new.hash := event_hash(new.prev_hash, new.aggregate_type, new.aggregate_id, new.event_type,
                           new.event_version, new.payload, new.metadata, new.recorded_at);
    return new;
end
$$;

-- Chains one aggregate's events anew: for the events written before the chain existed, and for
-- the one-time sealing of a log written before sealing, which rewrites payloads in place before
-- anything of them is sealed in the tree.
create function events_rechain(chained_type text, chained_id text) returns void
language plpgsql
as $$
declare
    prev bytea := decode(repeat('00', 32), 'hex');
    e record;
begin
    for e in
        select sequence from events
         where aggregate_type = chained_type and aggregate_id = chained_id
         order by sequence
    loop
        update events
           set prev_hash = prev,
               hash = event_hash(prev, aggregate_type, aggregate_id, event_type, event_version,
                                 payload, metadata, recorded_at)
         where aggregate_type = chained_type and aggregate_id = chained_id and sequence = e.sequence
        returning hash into prev;
    end loop;
end
$$;

select events_rechain(aggregate_type, aggregate_id)
  from (select distinct aggregate_type, aggregate_id from events) as aggregates;

alter table events alter column prev_hash set not null, alter column hash set not null;

create trigger events_chain before insert on events for each row execute function events_chain();

-- The tree's leaves in sealing order: each is SHA-256(0x00 ‖ the event's hash).
create table ledger_leaves (
    index bigint primary key check (index >= 0),
    position bigint not null unique,
    hash bytea not null
);

-- Every perfect subtree above the leaves: level L, index I covers leaves [I·2^L, (I+1)·2^L).
-- Any proof is assembled from these, so serving one never rehashes the log.
create table ledger_nodes (
    level smallint not null check (level > 0),
    index bigint not null check (index >= 0),
    hash bytea not null,
    primary key (level, index)
);

-- Signed checkpoints: the tree's size and root at a time, signed with the log's Ed25519 key.
-- `key_id` names the key (see eventstore::ledger::signing), so a checkpoint signed by any other
-- key is told apart from one whose signature does not verify.
create table ledger_checkpoints (
    tree_size bigint primary key check (tree_size > 0),
    root bytea not null,
    signed_at timestamptz not null,
    key_id text not null,
    signature bytea not null
);
