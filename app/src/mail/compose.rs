//! A queued mail as a message: its subject, its text from `templates/email/`, and the signed
//! links it carries.

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, header};
use projections::mail::{MailKind, Outgoing};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::links;
use crate::services::crypto::Keys;
use crate::web::templates::Templates;

/// What composing needs besides the row.
pub struct Composer {
    pub templates: Templates,
    pub keys: Keys,
    pub from: Mailbox,
    /// The site's address, for links (no trailing slash).
    pub site: String,
}

#[derive(Serialize)]
struct View<'a> {
    site: &'a str,
    username: &'a str,
    /// The link the mail is about, if any.
    link: Option<String>,
    /// A second link (the old address's "this was not me").
    report_link: Option<String>,
    data: &'a Value,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("unknown kind of mail {0:?}")]
    UnknownKind(String),
    #[error("the mail's data lacks {0}")]
    Missing(&'static str),
    #[error("the address {0:?} is not one mail can be sent to")]
    Address(String),
    #[error(transparent)]
    Template(#[from] tera::Error),
    #[error(transparent)]
    Build(#[from] lettre::error::Error),
}

impl Composer {
    pub fn compose(&self, mail: &Outgoing, now: DateTime<Utc>) -> Result<Message, ComposeError> {
        let kind = MailKind::parse(&mail.kind).ok_or_else(|| ComposeError::UnknownKind(mail.kind.clone()))?;
        let username = mail
            .data
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = |field: &'static str| {
            mail.data
                .get(field)
                .and_then(Value::as_str)
                .and_then(|raw| raw.parse::<Uuid>().ok())
                .ok_or(ComposeError::Missing(field))
        };
        let user = mail.user_id.ok_or(ComposeError::Missing("user"));
        // A newsletter is titled by its post, and can be left in one click (RFC 8058).
        let mut unsubscribe = None;
        let mut newsletter_subject = None;
        let (subject, link, report_link) = match kind {
            MailKind::ConfirmEmail => {
                let token = links::confirm_email(
                    &self.keys,
                    user?,
                    &mail.to_address,
                    now + links::CONFIRMATION_LIFETIME,
                );
                (
                    "Confirm your email address",
                    Some(format!("/account/confirm/{token}")),
                    None,
                )
            }
            MailKind::PasswordReset => {
                let token = links::password_reset(&self.keys, id("reset_id")?);
                (
                    "Reset your password",
                    Some(format!("/password/reset/{token}")),
                    None,
                )
            }
            MailKind::PasswordWasReset => (
                "Your password was changed",
                Some("/password/forgot".to_owned()),
                None,
            ),
            MailKind::ConfirmEmailChange => {
                let token = links::email_change(&self.keys, user?, id("change_id")?);
                (
                    "Confirm your new email address",
                    Some(format!("/account/email/confirm/{token}")),
                    None,
                )
            }
            MailKind::EmailChangeNotice => {
                let token = links::email_change_report(&self.keys, user?, id("change_id")?);
                (
                    "Your email address is being changed",
                    None,
                    Some(format!("/account/email/report/{token}")),
                )
            }
            MailKind::ChatNotice => ("Messages are waiting for you", Some("/chat".to_owned()), None),
            MailKind::ExportReady => (
                "Your data is ready to download",
                Some("/settings#data".to_owned()),
                None,
            ),
            MailKind::ConfirmSubscription => {
                let token = links::confirm_subscription(&self.keys, id("subscription")?, id("holder")?);
                (
                    "Confirm your subscription",
                    Some(format!("/newsletter/confirm/{token}")),
                    None,
                )
            }
            MailKind::Newsletter => {
                let token = links::unsubscribe(&self.keys, id("subscription")?, id("holder")?);
                let slug = mail
                    .data
                    .get("slug")
                    .and_then(Value::as_str)
                    .ok_or(ComposeError::Missing("slug"))?;
                unsubscribe = Some(format!("{}/newsletter/unsubscribe/{token}", self.site));
                newsletter_subject = mail.data.get("title").and_then(Value::as_str).map(str::to_owned);
                (
                    "",
                    Some(format!("/posts/{slug}")),
                    Some(format!("/newsletter/unsubscribe/{token}")),
                )
            }
        };
        let subject = newsletter_subject.as_deref().unwrap_or(subject);
        let view = View {
            site: &self.site,
            username,
            link: link.map(|path| format!("{}{path}", self.site)),
            report_link: report_link.map(|path| format!("{}{path}", self.site)),
            data: &mail.data,
        };
        let text = self
            .templates
            .render(&format!("email/{}.txt", kind.as_str()), &view)?;
        let to: Mailbox = mail
            .to_address
            .parse()
            .map_err(|_| ComposeError::Address(mail.to_address.clone()))?;
        // The same id on every attempt, so a mail delivered twice (the sender died between the
        // server's acceptance and marking it sent) is recognisably one mail.
        let message_id = format!("<{}@bocha.mail>", mail.id);
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id))
            .header(header::Date::new(now.into()))
            .header(ContentType::TEXT_PLAIN);
        if let Some(url) = unsubscribe {
            message = message
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        Ok(message.body(text)?)
    }
}

/// `List-Unsubscribe`: where a mail program ends the subscription for its reader.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`: the link ends it by a POST, without a
/// page in between (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}
