//! Blog posts: drafts (with preview links and schedules), publishing, editing, deleting.

mod aggregate;
mod command;
mod draft;
mod error;
mod event;
mod values;

#[cfg(test)]
mod tests;

pub use aggregate::Post;
pub use command::{PostChanges, PostCommand};
pub use draft::{DraftContent, PreviewKey, schedulable};
pub use error::PostError;
pub use event::PostEvent;
pub use values::{Description, PostBody, PostContent, PostId, PostTitle, Slug, Tag, Tags};
