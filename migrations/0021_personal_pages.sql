-- When what one signed-in person is shown beyond the public pages may have changed: their own
-- doings, their chats and requests, their account. Moved by the same projector as
-- `page_version`, in the catch-up that projects such an event; a kept signed-in page is reused
-- only while both its public version and its person's version stand.
create table page_people (
    person uuid primary key,
    version bigint not null
);

-- Private events whose people are not named in them (reports, subscriptions, events added
-- later): they move this, which every signed-in page is kept under.
alter table page_version add column private_version bigint not null default 0;
