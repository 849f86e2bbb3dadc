//! A reader's subscription to an author's posts by email: asked for (and confirmed by a link
//! mailed to the address, unless it is the reader's own confirmed address), ended by the
//! reader or by the link in any newsletter. One aggregate per author and address: its id is a
//! keyed digest of the two, so the address can't be read from it.
//!
//! The address is sealed under a key of the subscription's own (its `holder`), not the
//! reader's: it may belong to nobody with an account. Ending the subscription destroys that
//! key, so the log forgets the address; subscribing again starts a new holder.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::claims::Claims;
use crate::user::{Email, UserId};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    state: Option<Standing>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Standing {
    holder: Uuid,
    active: bool,
}

#[derive(Debug, Clone)]
pub enum SubscriptionCommand {
    /// `holder` is used if a new subscription starts; `confirmed` when the address is known to
    /// be the reader's (their account's, confirmed).
    Subscribe {
        author: UserId,
        email: Email,
        reader: Option<UserId>,
        holder: Uuid,
        confirmed: bool,
    },
    /// The mailed link, naming the subscription it was sent for.
    Confirm { holder: Uuid },
    /// By the reader (`None`: whatever stands) or by a newsletter's link (its holder).
    Unsubscribe { holder: Option<Uuid> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SubscriptionEvent {
    /// Waiting for the address to be confirmed; a link was mailed to it.
    SubscriptionRequested {
        author: UserId,
        email: Email,
        reader: Option<UserId>,
        holder: Uuid,
    },
    /// Confirmed at once: the reader's own confirmed address.
    Subscribed {
        author: UserId,
        email: Email,
        reader: Option<UserId>,
        holder: Uuid,
    },
    SubscriptionConfirmed {
        holder: Uuid,
    },
    Unsubscribed {
        holder: Uuid,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    #[error("you can't subscribe to yourself")]
    SubscribingToSelf,
    /// A confirmation link for a request since replaced, ended or never made.
    #[error("this link no longer confirms anything")]
    StaleLink,
}

impl DomainEvent for SubscriptionEvent {
    fn event_type(&self) -> String {
        match self {
            Self::SubscriptionRequested { .. } => "SubscriptionRequested",
            Self::Subscribed { .. } => "Subscribed",
            Self::SubscriptionConfirmed { .. } => "SubscriptionConfirmed",
            Self::Unsubscribed { .. } => "Unsubscribed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl Claims for SubscriptionEvent {}

impl Subscription {
    pub fn decide(&self, command: SubscriptionCommand) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        match command {
            SubscriptionCommand::Subscribe { author, reader, .. } if reader == Some(author) => {
                Err(SubscriptionError::SubscribingToSelf)
            }
            SubscriptionCommand::Subscribe {
                author,
                email,
                reader,
                holder,
                confirmed,
            } => Ok(match &self.state {
                Some(standing) if standing.active => vec![],
                // Asked again before confirming: the same subscription, its link mailed again
                // (or confirmed now, by the reader's own address).
                Some(pending) => {
                    let holder = pending.holder;
                    vec![if confirmed {
                        SubscriptionEvent::Subscribed {
                            author,
                            email,
                            reader,
                            holder,
                        }
                    } else {
                        SubscriptionEvent::SubscriptionRequested {
                            author,
                            email,
                            reader,
                            holder,
                        }
                    }]
                }
                None if confirmed => vec![SubscriptionEvent::Subscribed {
                    author,
                    email,
                    reader,
                    holder,
                }],
                None => vec![SubscriptionEvent::SubscriptionRequested {
                    author,
                    email,
                    reader,
                    holder,
                }],
            }),
            SubscriptionCommand::Confirm { holder } => match &self.state {
                Some(standing) if standing.holder == holder && standing.active => Ok(vec![]),
                Some(standing) if standing.holder == holder => {
                    Ok(vec![SubscriptionEvent::SubscriptionConfirmed { holder }])
                }
                _ => Err(SubscriptionError::StaleLink),
            },
            SubscriptionCommand::Unsubscribe { holder } => Ok(match &self.state {
                Some(standing) if holder.is_none_or(|h| h == standing.holder) => {
                    vec![SubscriptionEvent::Unsubscribed {
                        holder: standing.holder,
                    }]
                }
                _ => vec![],
            }),
        }
    }
}

impl Aggregate for Subscription {
    const TYPE: &'static str = "Subscription";
    type Command = SubscriptionCommand;
    type Event = SubscriptionEvent;
    type Error = SubscriptionError;
    type Services = ();

    async fn handle(
        &mut self,
        command: SubscriptionCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), SubscriptionError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SubscriptionEvent) {
        self.state = match event {
            SubscriptionEvent::SubscriptionRequested { holder, .. } => Some(Standing {
                holder,
                active: false,
            }),
            SubscriptionEvent::Subscribed { holder, .. }
            | SubscriptionEvent::SubscriptionConfirmed { holder } => Some(Standing { holder, active: true }),
            SubscriptionEvent::Unsubscribed { .. } => None,
        };
    }
}

/// The address is its holder's: sealed under the subscription's own key.
impl crate::personal::Personal for Subscription {
    fn personal(&self, event: &SubscriptionEvent) -> Option<(UserId, SubscriptionEvent)> {
        match event {
            SubscriptionEvent::SubscriptionRequested {
                author,
                reader,
                holder,
                ..
            } => Some((
                UserId(*holder),
                SubscriptionEvent::SubscriptionRequested {
                    author: *author,
                    email: Email::erased(),
                    reader: *reader,
                    holder: *holder,
                },
            )),
            SubscriptionEvent::Subscribed {
                author,
                reader,
                holder,
                ..
            } => Some((
                UserId(*holder),
                SubscriptionEvent::Subscribed {
                    author: *author,
                    email: Email::erased(),
                    reader: *reader,
                    holder: *holder,
                },
            )),
            SubscriptionEvent::SubscriptionConfirmed { .. } | SubscriptionEvent::Unsubscribed { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;

    type SubscriptionTest = TestFramework<Subscription>;

    const AUTHOR: UserId = UserId(Uuid::from_u128(1));
    const READER: UserId = UserId(Uuid::from_u128(2));
    const FIRST: Uuid = Uuid::from_u128(10);
    const SECOND: Uuid = Uuid::from_u128(11);

    fn email() -> Email {
        Email::parse("reader@example.com").unwrap()
    }

    fn subscribe(holder: Uuid, confirmed: bool) -> SubscriptionCommand {
        SubscriptionCommand::Subscribe {
            author: AUTHOR,
            email: email(),
            reader: None,
            holder,
            confirmed,
        }
    }

    fn requested(holder: Uuid) -> SubscriptionEvent {
        SubscriptionEvent::SubscriptionRequested {
            author: AUTHOR,
            email: email(),
            reader: None,
            holder,
        }
    }

    #[test]
    fn an_address_is_confirmed_by_its_link_and_a_stale_link_confirms_nothing() {
        SubscriptionTest::with(())
            .given_no_previous_events()
            .when(subscribe(FIRST, false))
            .then_expect_events(vec![requested(FIRST)]);
        SubscriptionTest::with(())
            .given(vec![requested(FIRST)])
            .when(SubscriptionCommand::Confirm { holder: FIRST })
            .then_expect_events(vec![SubscriptionEvent::SubscriptionConfirmed { holder: FIRST }]);
        SubscriptionTest::with(())
            .given(vec![
                requested(FIRST),
                SubscriptionEvent::Unsubscribed { holder: FIRST },
            ])
            .when(SubscriptionCommand::Confirm { holder: FIRST })
            .then_expect_error(SubscriptionError::StaleLink);
    }

    #[test]
    fn asking_again_keeps_one_subscription_and_a_standing_one_records_nothing() {
        SubscriptionTest::with(())
            .given(vec![requested(FIRST)])
            .when(subscribe(SECOND, false))
            .then_expect_events(vec![requested(FIRST)]);
        SubscriptionTest::with(())
            .given(vec![
                requested(FIRST),
                SubscriptionEvent::SubscriptionConfirmed { holder: FIRST },
            ])
            .when(subscribe(SECOND, false))
            .then_expect_events(vec![]);
    }

    #[test]
    fn after_unsubscribing_a_new_subscription_has_a_new_holder() {
        SubscriptionTest::with(())
            .given(vec![
                requested(FIRST),
                SubscriptionEvent::Unsubscribed { holder: FIRST },
            ])
            .when(SubscriptionCommand::Subscribe {
                author: AUTHOR,
                email: email(),
                reader: Some(READER),
                holder: SECOND,
                confirmed: true,
            })
            .then_expect_events(vec![SubscriptionEvent::Subscribed {
                author: AUTHOR,
                email: email(),
                reader: Some(READER),
                holder: SECOND,
            }]);
    }

    #[test]
    fn a_newsletters_link_ends_only_its_own_subscription() {
        let standing = vec![
            requested(FIRST),
            SubscriptionEvent::SubscriptionConfirmed { holder: FIRST },
        ];
        SubscriptionTest::with(())
            .given(standing.clone())
            .when(SubscriptionCommand::Unsubscribe { holder: Some(SECOND) })
            .then_expect_events(vec![]);
        SubscriptionTest::with(())
            .given(standing)
            .when(SubscriptionCommand::Unsubscribe { holder: Some(FIRST) })
            .then_expect_events(vec![SubscriptionEvent::Unsubscribed { holder: FIRST }]);
    }

    #[test]
    fn an_author_does_not_subscribe_to_themselves() {
        SubscriptionTest::with(())
            .given_no_previous_events()
            .when(SubscriptionCommand::Subscribe {
                author: AUTHOR,
                email: email(),
                reader: Some(AUTHOR),
                holder: FIRST,
                confirmed: true,
            })
            .then_expect_error(SubscriptionError::SubscribingToSelf);
    }
}
