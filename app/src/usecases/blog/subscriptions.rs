//! Subscribing to an author's posts by email: by a signed-in reader (their confirmed address
//! at once) or by anyone's address with a mailed link to confirm; ended by the reader, or by
//! the link in every newsletter.

use std::net::IpAddr;

use domain::subscription::{Subscription, SubscriptionCommand, SubscriptionError};
use domain::user::{Email, UserId, Username};
use eventstore::Commands;
use projections::subscriptions;
use projections::users::{self, UserRow};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{BlogError, Missing, command_error};
use crate::mail::links;
use crate::services::crypto::Keys;
use crate::services::limits::Limits;
use crate::web::forms::FormErrors;

/// Where a subscription stands after asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// New posts are mailed.
    Active,
    /// A link to confirm was mailed to the address (or it already was subscribed: to someone
    /// who is not signed in as its owner, both look the same).
    Pending,
}

/// The subscription of `email` to `author`: a keyed digest of the two, so the id says
/// nothing of the address and nobody can aim at another's subscription by computing it.
fn subscription_id(keys: &Keys, author: Uuid, email: &Email) -> Uuid {
    let signed = keys.sign(format!("subscription\0{author}\0{}", email.canonical()).as_bytes());
    let digest = Sha256::digest(signed.as_bytes());
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn metadata(reader: Option<&UserRow>, request_id: &str) -> domain::Metadata {
    domain::Metadata::new(reader.map(|r| r.id), request_id)
}

fn refusal(err: SubscriptionError) -> BlogError {
    let mut errors = FormErrors::default();
    match err {
        SubscriptionError::SubscribingToSelf => errors.add("email", "You can't subscribe to yourself"),
        SubscriptionError::StaleLink => errors.add("link", "This link no longer confirms anything"),
    }
    BlogError::Invalid(errors)
}

/// Who asks for a subscription.
pub enum Subscriber<'a> {
    /// A signed-in reader, with their account's address.
    Reader(&'a UserRow),
    /// Anyone, with an address typed into the form, from a network.
    Address { email: &'a str, ip: IpAddr },
}

/// Subscribes to `author_name`'s posts. A signed-in reader whose address is confirmed is
/// subscribed at once; any other address gets a link to confirm. Asking is limited per asker
/// and per address, so the form can't be used to fill someone's inbox.
pub async fn subscribe(
    commands: &Commands,
    keys: &Keys,
    limits: &Limits,
    author_name: &str,
    subscriber: Subscriber<'_>,
    request_id: &str,
) -> Result<Standing, BlogError> {
    let author = author_named(commands, author_name)
        .await?
        .filter(|a| a.suspension_reason.is_none())
        .ok_or(BlogError::NotFound(Missing::Profile))?;
    let (raw, confirmed, asker, reader) = match subscriber {
        Subscriber::Reader(reader) => (
            reader.email.as_str(),
            reader.email_confirmed,
            reader.id.to_string(),
            Some(reader),
        ),
        Subscriber::Address { email, ip } => (email, false, ip.to_string(), None),
    };
    let email = Email::parse(raw).map_err(|err| {
        let mut errors = FormErrors::default();
        errors.check::<(), _>("email", Err(err));
        BlogError::Invalid(errors)
    })?;
    if !confirmed {
        let folded = email.canonical();
        // Counted whatever comes of it: a request for an address already subscribed costs the
        // same, so the limit tells nothing about who is subscribed.
        let _counted = limits
            .reserve(&[
                (limits.subscribe_requests, &asker),
                (limits.subscribe_mails, &folded),
            ])
            .await
            .map_err(BlogError::Throttled)?;
    }
    let id = subscription_id(keys, author.id, &email);
    let command = SubscriptionCommand::Subscribe {
        author: UserId(author.id),
        email,
        reader: reader.map(|r| UserId(r.id)),
        holder: Uuid::now_v7(),
        confirmed,
    };
    commands
        .execute_retrying::<Subscription>(&id.to_string(), command, &(), &metadata(reader, request_id))
        .await
        .map_err(|e| command_error(e, refusal))?;
    Ok(if confirmed {
        Standing::Active
    } else {
        Standing::Pending
    })
}

/// The account called `name`; nothing for what can't be a username (no query is made).
async fn author_named(commands: &Commands, name: &str) -> Result<Option<UserRow>, BlogError> {
    if Username::parse(name).is_err() {
        return Ok(None);
    }
    Ok(users::by_username(commands.pool(), name).await?)
}

/// Confirms the subscription a mailed link names; returns its author's username.
pub async fn confirm(
    commands: &Commands,
    keys: &Keys,
    token: &str,
    request_id: &str,
) -> Result<String, BlogError> {
    let (id, holder) =
        links::open_subscription(keys, token, true).ok_or_else(|| refusal(SubscriptionError::StaleLink))?;
    commands
        .execute::<Subscription>(
            &id.to_string(),
            SubscriptionCommand::Confirm { holder },
            &(),
            &metadata(None, request_id),
        )
        .await
        .map_err(|e| command_error(e, refusal))?;
    Ok(subscriptions::author_name(commands.pool(), id)
        .await?
        .unwrap_or_default())
}

/// Ends the subscription a newsletter's link names. A link already used, or for a
/// subscription since renewed, changes nothing; either way the address gets no more from it.
pub async fn unsubscribe_by_link(
    commands: &Commands,
    keys: &Keys,
    token: &str,
    request_id: &str,
) -> Result<(), BlogError> {
    let (id, holder) =
        links::open_subscription(keys, token, false).ok_or(BlogError::NotFound(Missing::Subscription))?;
    commands
        .execute::<Subscription>(
            &id.to_string(),
            SubscriptionCommand::Unsubscribe { holder: Some(holder) },
            &(),
            &metadata(None, request_id),
        )
        .await
        .map_err(|e| command_error(e, refusal))?;
    Ok(())
}

/// Ends `reader`'s subscription to `author_name`, if they have one. Idempotent.
pub async fn unsubscribe(
    commands: &Commands,
    reader: &UserRow,
    author_name: &str,
    request_id: &str,
) -> Result<(), BlogError> {
    let author = author_named(commands, author_name)
        .await?
        .ok_or(BlogError::NotFound(Missing::Profile))?;
    let Some((id, _)) = subscriptions::of_reader(commands.pool(), reader.id, author.id).await? else {
        return Ok(());
    };
    commands
        .execute::<Subscription>(
            &id.to_string(),
            SubscriptionCommand::Unsubscribe { holder: None },
            &(),
            &metadata(Some(reader), request_id),
        )
        .await
        .map_err(|e| command_error(e, refusal))?;
    Ok(())
}
