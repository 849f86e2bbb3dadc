-- Finding a post's comments and favorites in the log, for its history.
create index events_by_post on events ((payload ->> 'post'), position)
    where aggregate_type in ('Comment', 'Favorite');
