//! Messages on their way to storage, stored together.
//!
//! Each message sent on this instance is queued here; one task takes whatever has gathered
//! (up to [`BATCH`]) and stores it as one commit (see `eventstore`'s batches), then delivers
//! the lot to sockets with one read. While one batch is stored the next gathers, so a quiet
//! chat's message goes alone and at once, and a busy instance pays for one commit, one flush
//! and one projection per batch rather than per message.
//!
//! Batches are stored one at a time, in the order their messages were queued, so a person's
//! messages keep the order they were sent in even when their socket sends the next before the
//! last is stored. (Measured, two batches in flight did no better than one, and four worse:
//! batches of one instance mostly wait for each other's chats.)

use std::sync::Arc;

use domain::Metadata;
use domain::chat::{Chat, ChatCommand, ChatId, ClientId, MessageFacts};
use domain::user::UserId;
use eventstore::commands::Job;
use eventstore::{CommandError, Commands, StoredEvent};
use projections::chat::messages::{self, MessageRow};
use projections::live::Delivery;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{ChatFailure, refusal};
use crate::live::Live;

/// The most messages one commit stores.
const BATCH: usize = 64;

/// A message waiting for its batch, and where its outcome goes.
struct Queued {
    job: Job<Chat>,
    /// Its room, sender and client id.
    key: (Uuid, Uuid, Uuid),
    answer: oneshot::Sender<Result<Sent, ChatFailure>>,
}

/// What became of a message.
pub(super) enum Sent {
    /// It was stored, and these frames delivered here.
    Delivered(Vec<Delivery>),
    /// A message with its client id was stored before: this one.
    Before(Box<MessageRow>),
}

#[derive(Clone)]
pub(super) struct Sending {
    queue: mpsc::UnboundedSender<Queued>,
}

impl Sending {
    /// Starts the task that stores queued messages; it ends when the last handle is dropped.
    pub(super) fn start(commands: Commands, facts: Arc<dyn MessageFacts>, live: Live) -> Self {
        // Unbounded, because what may wait here is bounded before it: the chat's admission
        // lets only so many messages in at once.
        let (queue, queued) = mpsc::unbounded_channel();
        tokio::spawn(run(
            queued,
            Store {
                commands,
                facts,
                live,
            },
        ));
        Self { queue }
    }

    /// Queues `command`, the message `sender` sent under `client_id`, for the next batch: it
    /// is stored after every message queued before it. The future ends once it is stored and
    /// delivered, or found stored already.
    pub(super) fn queue(
        &self,
        chat: ChatId,
        sender: UserId,
        client_id: ClientId,
        command: ChatCommand,
        metadata: Metadata,
    ) -> impl Future<Output = Result<Sent, ChatFailure>> + Send + 'static {
        let (answer, outcome) = oneshot::channel();
        let job = Job {
            aggregate_id: chat.to_string(),
            command,
            metadata,
        };
        let key = (chat.0, sender.0, client_id.0);
        let queued = self.queue.send(Queued { job, key, answer });
        async move {
            if queued.is_err() {
                return Err(ChatFailure::Internal(anyhow::anyhow!(
                    "the sending task has stopped"
                )));
            }
            outcome
                .await
                .map_err(|_| ChatFailure::Internal(anyhow::anyhow!("the sending task dropped a message")))?
        }
    }
}

struct Store {
    commands: Commands,
    facts: Arc<dyn MessageFacts>,
    live: Live,
}

async fn run(mut queued: mpsc::UnboundedReceiver<Queued>, store: Store) {
    let mut batch = Vec::with_capacity(BATCH);
    while queued.recv_many(&mut batch, BATCH).await > 0 {
        store.batch(std::mem::take(&mut batch)).await;
    }
}

impl Store {
    async fn batch(&self, batch: Vec<Queued>) {
        // Resends of messages stored before are answered with those, found in one read.
        let keys: Vec<_> = batch.iter().map(|queued| queued.key).collect();
        let resent = match messages::stored_of(self.commands.pool(), &keys).await {
            Ok(resent) => resent,
            Err(err) => {
                for queued in batch {
                    let _ = queued
                        .answer
                        .send(Err(ChatFailure::Internal(anyhow::anyhow!("{err}"))));
                }
                return;
            }
        };
        let mut jobs = Vec::with_capacity(batch.len());
        let mut answers = Vec::with_capacity(batch.len());
        for Queued { job, key, answer } in batch {
            if !resent.contains(&key) {
                jobs.push(job);
                answers.push(answer);
                continue;
            }
            let (room, sender, client_id) = key;
            let original = match messages::by_client_id(self.commands.pool(), room, sender, client_id).await {
                Ok(Some(original)) => Ok(Sent::Before(Box::new(original))),
                Ok(None) => Err(ChatFailure::NotFound),
                Err(err) => Err(err.into()),
            };
            let _ = answer.send(original);
        }
        if jobs.is_empty() {
            return;
        }
        let mut outcomes = self.commands.execute_all::<Chat>(jobs, &self.facts).await;
        // Every stored event goes to the sockets in one read; each sender is answered with the
        // frames of its own events, told apart by their places in the log.
        let mut stored: Vec<StoredEvent> = Vec::new();
        let mut mine = Vec::with_capacity(outcomes.len());
        for outcome in &mut outcomes {
            let events = outcome
                .as_mut()
                .ok()
                .and_then(|executed| executed.appended.as_mut())
                .map(|appended| std::mem::take(&mut appended.events))
                .unwrap_or_default();
            mine.push(events.iter().map(|e| e.position).collect::<Vec<_>>());
            stored.extend(events);
        }
        let delivered = self.live.announce_events(self.commands.pool(), &stored).await;
        for ((outcome, positions), answer) in outcomes.into_iter().zip(mine).zip(answers) {
            let result = match outcome {
                Ok(_) => Ok(Sent::Delivered(
                    delivered
                        .iter()
                        .filter(|d| positions.contains(&d.position))
                        .cloned()
                        .collect(),
                )),
                Err(CommandError::Rejected(err)) => Err(refusal(err)),
                Err(other) => Err(ChatFailure::Internal(other.into())),
            };
            // The sender may have gone (its socket closed): the message is stored all the same.
            let _ = answer.send(result);
        }
    }
}
