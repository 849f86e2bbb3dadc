//! One-to-one chat. Everything between two people lives in one aggregate (a "chat" per pair):
//! their requests, the room once approved, and the room's messages. Keeping it together makes
//! the rules local: no duplicate pending request, no request once the room is open, exactly one
//! room even when both approve crossing requests at once, contiguous message numbers.

mod aggregate;
mod command;
mod error;
mod event;
mod values;

#[cfg(test)]
mod tests;

pub use aggregate::{Chat, MessageFacts, MessageInfo};
pub use command::ChatCommand;
pub use error::ChatError;
pub use event::ChatEvent;
pub use values::{Attachment, ChatId, ClientId, MessageBody, MessageId, Note, Reaction, RequestId};
