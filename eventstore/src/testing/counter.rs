//! A tiny aggregate for exercising the store: every command appends one to three events.

use crate::store::Stored;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use domain::{Claim, ClaimKind, Claims};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub total: i64,
    pub events: u64,
    pub history: Vec<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub enum CounterCommand {
    /// Appends one `Added` event per amount.
    Add(Vec<i64>),
    /// Claims a unique name.
    Name(String),
    /// Appends one `Added` event, then is refused: nothing of it may be kept.
    AddThenRefuse(i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CounterEvent {
    Added { amount: i64 },
    Named { name: String },
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Added { .. } => "Added".into(),
            Self::Named { .. } => "Named".into(),
        }
    }
    fn event_version(&self) -> String {
        "1".into()
    }
}

impl Claims for CounterEvent {
    fn claims(&self) -> Vec<Claim> {
        match self {
            Self::Named { name } => vec![Claim::new(ClaimKind::Username, name.to_lowercase())],
            Self::Added { .. } => vec![],
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("refused")]
pub struct Refused;

impl Aggregate for Counter {
    const TYPE: &'static str = "Counter";
    type Command = CounterCommand;
    type Event = CounterEvent;
    type Error = Refused;
    type Services = ();

    async fn handle(
        &mut self,
        command: CounterCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Refused> {
        match command {
            CounterCommand::Add(amounts) => {
                for amount in amounts {
                    sink.write(CounterEvent::Added { amount }, self).await;
                }
            }
            CounterCommand::Name(name) => sink.write(CounterEvent::Named { name }, self).await,
            CounterCommand::AddThenRefuse(amount) => {
                sink.write(CounterEvent::Added { amount }, self).await;
                return Err(Refused);
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: CounterEvent) {
        self.events += 1;
        match event {
            CounterEvent::Added { amount } => {
                self.total += amount;
                self.history.push(amount);
            }
            CounterEvent::Named { name } => self.name = Some(name),
        }
    }
}

impl Stored for Counter {
    const SNAPSHOT_EVERY: u64 = 3;
}
