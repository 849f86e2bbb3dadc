//! Mail the site sends: which events call for which mail (the projector), and the outbox the
//! senders take it from.
//!
//! The projector runs with the read models, in the catch-up transaction after the event's own
//! commit, so a mail is queued exactly when its event exists and only once (`dedupe` names the
//! event's position and the kind of mail). It is not a read model: a rebuild never runs it, or
//! everyone would be mailed their whole history again.

mod notices;
mod outbox;
mod projector;

pub use notices::{Waiting, waiting};
pub use outbox::{Outgoing, QUEUED, enqueue, give_up, retry_later, sent, take_due};
pub use projector::MailProjector;

/// What a mail is about; its row's `data` holds what the mail needs to say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A link that confirms the address it is sent to (`data`: `username`).
    ConfirmEmail,
    /// A link that sets a new password (`data`: `username`, `reset_id`, `expires_at`).
    PasswordReset,
    /// The password was just set by a reset link (`data`: `username`).
    PasswordWasReset,
    /// A link, sent to a new address, that completes the change (`data`: `username`,
    /// `change_id`, `expires_at`).
    ConfirmEmailChange,
    /// The old address is told of a change, with a link to report it (`data`: `username`,
    /// `change_id`, `new_email`).
    EmailChangeNotice,
    /// Who wrote while the person was away (`data`: `senders`, a list of names).
    ChatNotice,
    /// The archive of the person's data can be downloaded (`data`: `username`, `until`).
    ExportReady,
    /// A link that confirms a newsletter subscription (`data`: `author`, `subscription`,
    /// `holder`).
    ConfirmSubscription,
    /// An author's new post, to a subscriber (`data`: `author`, `title`, `description`,
    /// `slug`, `subscription`, `holder`).
    Newsletter,
}

impl MailKind {
    const ALL: [MailKind; 9] = [
        MailKind::ConfirmEmail,
        MailKind::PasswordReset,
        MailKind::PasswordWasReset,
        MailKind::ConfirmEmailChange,
        MailKind::EmailChangeNotice,
        MailKind::ChatNotice,
        MailKind::ExportReady,
        MailKind::ConfirmSubscription,
        MailKind::Newsletter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::ConfirmEmail => "confirm_email",
            MailKind::PasswordReset => "password_reset",
            MailKind::PasswordWasReset => "password_was_reset",
            MailKind::ConfirmEmailChange => "confirm_email_change",
            MailKind::EmailChangeNotice => "email_change_notice",
            MailKind::ChatNotice => "chat_notice",
            MailKind::ExportReady => "export_ready",
            MailKind::ConfirmSubscription => "confirm_subscription",
            MailKind::Newsletter => "newsletter",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}
