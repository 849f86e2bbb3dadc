//! Account use cases shared by the pages and the API: sign up, authenticate, change the
//! account. Each validates its input into domain values, runs one command and reports errors
//! by field.
//!
//! - `registration`: a new account.
//! - `login`: checking a password, counted against the limits, for a login or before a change.
//! - `changes`: changes to an account, and signing out everywhere.
//! - `confirmation`: addresses proved by mailed links (sign-up, change of address), and
//!   whether waiting chat messages are mailed.
//! - `recovery`: a forgotten password, reset by a mailed link.
//! - `deletion`: deleting the account, and erasing the person's data.
//! - `errors`: what the pages and the API are told when one is refused.

mod changes;
mod confirmation;
mod deletion;
mod errors;
mod login;
mod recovery;
mod registration;

use domain::user::{Password, PasswordError};

pub use changes::{Changes, EMAIL_CHANGE_LINK_LIFETIME, Rules, change, sign_out_everywhere};
pub use confirmation::{
    cancel_email_change, confirm_email, confirm_email_change, report_email_change, resend_confirmation,
    set_chat_email,
};
pub use deletion::delete_account;
pub use errors::{AccountError, Held};
pub use login::{Guard, LoginError, confirm_password, log_in};
pub use recovery::{RESET_LINK_LIFETIME, request_password_reset, reset_link_account, reset_password};
pub use registration::{SignUp, sign_up};

/// Which password rules apply: the site's (length and not a common password) on every door, or
/// length only, which the RealWorld demo suite expects (see `REALWORLD_COMPAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPolicy {
    Site,
    LengthOnly,
}

impl PasswordPolicy {
    fn parse(self, raw: &str) -> Result<Password, PasswordError> {
        match self {
            Self::Site => Password::parse(raw),
            Self::LengthOnly => Password::parse_length(raw),
        }
    }
}
