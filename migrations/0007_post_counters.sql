-- Comments and favorites only move a post's counters, but each UPDATE of a `posts` row writes
-- a new version of the whole wide row (body, HTML, search vector) and, since `search` was a
-- stored generated column, parsed the post into a tsvector again. The counters move to a narrow
-- table of their own, and the projector writes `search` with the content it comes from.
create table post_counts (
    post_id uuid primary key,
    comments_count integer not null default 0,
    favorites_count integer not null default 0
);
insert into post_counts (post_id, comments_count, favorites_count)
select id, comments_count, favorites_count from posts;

alter table posts drop column comments_count, drop column favorites_count;
alter table posts alter column search drop expression;
