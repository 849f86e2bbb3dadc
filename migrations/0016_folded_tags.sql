-- Tags are one topic whatever their case ("Performance" is "performance"). New events carry them
-- in lower case and old ones are folded as they are read; this folds the read models built
-- before, so that a tag's page and counts are whole without a rebuild.

-- A post tagged both "Rust" and "rust" keeps one of them.
delete from post_tags a
 using post_tags b
 where a.post_id = b.post_id and lower(a.tag) = lower(b.tag) and a.tag > b.tag;

update post_tags set tag = lower(tag) where tag <> lower(tag);

update posts p
   set tags = array(select distinct lower(t) from unnest(p.tags) as t order by 1)
 where exists (select 1 from unnest(p.tags) as t where t <> lower(t));

delete from tag_counts;
insert into tag_counts (tag, posts) select tag, count(*) from post_tags group by tag;
