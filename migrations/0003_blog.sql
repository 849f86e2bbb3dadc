-- Read models of the blog: posts with their tags, comments, favorites and follows.
-- Deleted posts and comments leave these tables (their events stay in the log).

create table posts (
    id uuid primary key,
    slug text not null unique,
    author_id uuid not null,
    title text not null,
    description text not null,
    body text not null,
    body_html text not null,
    tags text[] not null default '{}',
    cover text,
    comments_count integer not null default 0,
    favorites_count integer not null default 0,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    search tsvector generated always as (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', description), 'B')
        || setweight(to_tsvector('english', body), 'C')
    ) stored
);

create index posts_recent on posts (created_at desc, id desc);
create index posts_by_author on posts (author_id, created_at desc, id desc);
create index posts_search on posts using gin (search);

create table post_tags (
    tag text not null,
    post_id uuid not null,
    created_at timestamptz not null,
    primary key (tag, post_id)
);

create index post_tags_recent on post_tags (tag, created_at desc, post_id);
create index post_tags_post on post_tags (post_id);

-- `id` is the log position of the comment's CommentPosted event: an integer (as the RealWorld
-- API wants), unique, and the same after any rebuild.
create table comments (
    id bigint primary key,
    comment_id uuid not null unique,
    post_id uuid not null,
    author_id uuid not null,
    body text not null,
    body_html text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create index comments_by_post on comments (post_id, id);

create table favorites (
    post_id uuid not null,
    user_id uuid not null,
    created_at timestamptz not null,
    primary key (post_id, user_id)
);

create index favorites_by_user on favorites (user_id, created_at desc);

create table follows (
    follower_id uuid not null,
    followee_id uuid not null,
    created_at timestamptz not null,
    primary key (follower_id, followee_id)
);

create index follows_by_followee on follows (followee_id);

-- Slugs are looked up by prefix to number posts with the same title.
create index unique_claims_prefix on unique_claims (kind, value text_pattern_ops);
