//! Who may do what, as pure predicates. The aggregates consult them when they decide a command;
//! the pages and the API consult the same ones to show a button, or a history, only to someone
//! whose command would be accepted.

use crate::actor::Actor;
use crate::user::UserId;

/// A post is edited by its author alone: it is published under their name.
pub fn may_edit_post(actor: Actor, author: UserId) -> bool {
    actor.user == author
}

/// A post is removed by its author or by staff.
pub fn may_delete_post(actor: Actor, author: UserId) -> bool {
    actor.user == author || actor.staff
}

/// A comment is edited by whoever wrote it.
pub fn may_edit_comment(actor: Actor, comment_author: UserId) -> bool {
    actor.user == comment_author
}

/// A comment is removed by whoever wrote it, by the author of the post it is under (it is their
/// page), or by staff.
pub fn may_delete_comment(actor: Actor, comment_author: UserId, post_author: UserId) -> bool {
    actor.user == comment_author || actor.user == post_author || actor.staff
}

/// A chat message is edited or deleted only by its sender.
pub fn may_change_message(actor: UserId, sender: UserId) -> bool {
    actor == sender
}

/// A post's history (every version, every comment and favorite) is for its author and staff.
pub fn may_see_post_history(actor: Actor, author: UserId) -> bool {
    actor.user == author || actor.staff
}

/// A chat's history is for its two people (whether or not a room ever opened: a declined
/// request is theirs too) and staff.
pub fn may_see_chat_history(actor: Actor, is_one_of_the_pair: bool) -> bool {
    is_one_of_the_pair || actor.staff
}

/// Staff may read a private chat they are not part of, and only by stating why (the reason is
/// recorded in the chat, where both people see it).
pub fn may_read_private_chat(actor: Actor) -> bool {
    actor.staff
}

/// Reports are reviewed, and posts, comments and accounts moderated, by staff.
pub fn may_moderate(actor: Actor) -> bool {
    actor.staff
}

/// The global log, and exports of anyone's events, are for staff.
pub fn may_read_the_log(actor: Actor) -> bool {
    actor.staff
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn user() -> UserId {
        UserId(Uuid::new_v4())
    }

    #[test]
    fn authors_edit_their_own_posts_and_comments_only() {
        let (author, other) = (user(), user());
        assert!(may_edit_post(Actor::member(author), author));
        assert!(!may_edit_post(Actor::member(other), author));
        assert!(!may_edit_post(Actor::staff(other), author));
        assert!(may_edit_comment(Actor::member(author), author));
        assert!(!may_edit_comment(Actor::staff(other), author));
    }

    #[test]
    fn staff_remove_anything_and_post_authors_remove_comments_under_their_posts() {
        let (writer, post_author, stranger) = (user(), user(), user());
        assert!(may_delete_post(Actor::staff(stranger), post_author));
        assert!(!may_delete_post(Actor::member(stranger), post_author));
        assert!(may_delete_comment(Actor::member(writer), writer, post_author));
        assert!(may_delete_comment(
            Actor::member(post_author),
            writer,
            post_author
        ));
        assert!(may_delete_comment(Actor::staff(stranger), writer, post_author));
        assert!(!may_delete_comment(Actor::member(stranger), writer, post_author));
    }

    #[test]
    fn histories_are_for_the_people_involved_and_staff() {
        let (author, stranger) = (user(), user());
        assert!(may_see_post_history(Actor::member(author), author));
        assert!(!may_see_post_history(Actor::member(stranger), author));
        assert!(may_see_post_history(Actor::staff(stranger), author));
        assert!(may_see_chat_history(Actor::member(stranger), true));
        assert!(!may_see_chat_history(Actor::member(stranger), false));
        assert!(may_see_chat_history(Actor::staff(stranger), false));
        assert!(!may_read_the_log(Actor::member(author)));
        assert!(may_read_the_log(Actor::staff(author)));
    }
}
