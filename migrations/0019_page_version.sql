-- When what signed-out visitors are shown may have changed: a counter moved in the catch-up
-- that projects such an event (and by a rebuild's swap). Each instance watches it and keeps the
-- pages it made for the current value only. One row.
create table page_version (
    id boolean primary key default true check (id),
    version bigint not null
);
insert into page_version (id, version) values (true, 0);

-- Its projector starts at the end of an existing log: no page was kept before it.
insert into projector_checkpoints (name, transaction_id, position)
select 'pages', transaction_id, position
  from events
 order by transaction_id desc, position desc
 limit 1
on conflict (name) do nothing;
