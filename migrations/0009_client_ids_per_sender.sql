-- A client id is its sender's: the same id from the other person of the room is another
-- message (before, a send reusing someone else's id was answered with their message).
drop index messages_by_client_id;
create unique index messages_by_client_id on messages (room_id, sender_id, client_id);
