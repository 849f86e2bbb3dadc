//! People with accounts: registration, profile, credentials, and their moderation.

mod aggregate;
mod command;
mod decide;
mod error;
mod event;
mod moderation;
mod values;

#[cfg(test)]
mod tests;

pub use crate::image::ImageUrl;
pub use aggregate::User;
pub use command::{AccountChanges, EmailUpdate, UserCommand};
pub use error::UserError;
pub use event::{UserEvent, upcasters};
pub use values::{Bio, DisplayName, Email, Password, PasswordError, PasswordHash, UserId, Username};
