-- Counters the posts projector keeps, so that list pages need not count or group every row on
-- every request: how many posts there are, and how many posts use each tag. A tag whose posts
-- are all gone keeps its row with 0 (readers skip it), so a rebuild yields the same rows.
create table post_totals (
    id boolean primary key default true check (id),
    posts bigint not null
);
insert into post_totals (id, posts) select true, count(*) from posts having count(*) > 0;

create table tag_counts (
    tag text primary key,
    posts integer not null
);
insert into tag_counts (tag, posts) select tag, count(*) from post_tags group by tag;
