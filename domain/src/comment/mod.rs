//! Comments on posts. Each comment is an aggregate of its own, so a post with 10,000 comments
//! takes a new one as cheaply as a post with none.

mod aggregate;
mod tests;

pub use aggregate::{Comment, CommentBody, CommentCommand, CommentError, CommentEvent, CommentId};
