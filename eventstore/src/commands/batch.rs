//! Running many commands at once: one transaction, one append and one wait for the read models
//! for all of them, instead of one of each per command. This is what lets a busy chat store
//! thousands of messages a second on a small database: the cost of a commit (its round trips,
//! its flush to disk, its share of the projection) is paid once for every message sent within
//! it.
//!
//! The aggregates a batch writes are locked in Postgres (transaction-scoped advisory locks,
//! taken in one order by every instance, so two batches never deadlock) before their states
//! are brought up to date, so two instances batching sends to one chat take turns rather than
//! losing races. A command run alone (`execute`, and a batch of one, which needs no lock)
//! does not take these locks; when one of them wins a race against a batch, or a batch cannot be
//! stored for any other reason, every command of the batch is run alone instead, as it would
//! have been without batching.

use std::collections::HashMap;

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use domain::Metadata;

use super::{CommandError, Commands, Executed, stripe_of};
use crate::store::{Appended, Commit, EventStore, Loaded, Stored};

/// The advisory locks of aggregates a batch is writing: the two-key form, apart from the
/// projectors' one-key locks.
const BATCH_LOCKS: i32 = 0x0b0c;

/// One command of a batch.
pub struct Job<A: Aggregate> {
    pub aggregate_id: String,
    pub command: A::Command,
    pub metadata: Metadata,
}

/// A command of a batch that ran: what it decided, where in its aggregate, and where that
/// landed once stored.
struct Ran {
    state: usize,
    /// Its first event among its aggregate's events in the batch, and how many it made.
    from: usize,
    count: usize,
    /// The aggregate's sequence when it ran.
    sequence: u64,
}

/// An aggregate of the batch: its state and the events its commands made, with their metadata.
struct State<'a, A: Stored> {
    loaded: Loaded<A>,
    events: Vec<A::Event>,
    metadata: Vec<&'a Metadata>,
}

type Outcome<A> = Result<Executed<A>, CommandError<<A as Aggregate>::Error>>;

impl Commands {
    /// Runs `jobs`, in order, as one commit; returns each one's outcome, in the same order.
    /// When it returns, the read models show every command's events. A command the rules refuse
    /// is refused alone; the others still run. Only for commands that may safely run again: a
    /// batch whose commit is in doubt is run again command by command (a resent chat message,
    /// say, is recognised by its client id and stored once).
    pub async fn execute_all<A>(&self, jobs: Vec<Job<A>>, services: &A::Services) -> Vec<Outcome<A>>
    where
        A: Stored + Clone,
        A::Command: Clone,
    {
        // One command alone is cheaper run alone: no transaction to open, no lock to take.
        if let [job] = jobs.as_slice() {
            let alone =
                self.execute_retrying(&job.aggregate_id, job.command.clone(), services, &job.metadata);
            return vec![alone.await];
        }
        let ran = match self.run_together(&jobs, services).await {
            Ok(ran) => ran,
            Err(err) => {
                tracing::debug!(error = %err, commands = jobs.len(), "batch not stored together; running each alone");
                // One after another, in the batch's order: a command may follow another of the
                // same sender to the same aggregate.
                let mut outcomes = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let outcome = self
                        .execute_retrying(&job.aggregate_id, job.command.clone(), services, &job.metadata)
                        .await;
                    outcomes.push(outcome);
                }
                return outcomes;
            }
        };
        let mut outcomes = Vec::with_capacity(ran.len());
        for (job, ran) in jobs.iter().zip(ran) {
            outcomes.push(match ran {
                Err(err) => Err(err),
                Ok((executed, sequence)) => {
                    // Every command of the batch shares one transaction, so the first wait
                    // covers them all and the others find it done.
                    let settled = match &executed.appended {
                        Some(appended) => self.projections.settle(appended.cursor).await,
                        None => self.settle_unchanged(A::TYPE, &job.aggregate_id, sequence).await,
                    };
                    settled.map(|()| executed).map_err(CommandError::from)
                }
            });
        }
        outcomes
    }

    /// Locks the batch's aggregates, brings them up to date, runs each command, and stores all
    /// their events in one transaction. Returns each command's result and the sequence it ran
    /// at, or why the batch as a whole was not stored.
    #[allow(clippy::type_complexity)]
    async fn run_together<A>(
        &self,
        jobs: &[Job<A>],
        services: &A::Services,
    ) -> Result<Vec<Result<(Executed<A>, u64), CommandError<A::Error>>>, CommandError<A::Error>>
    where
        A: Stored + Clone,
        A::Command: Clone,
    {
        let store = EventStore::<A>::new(self.pool.clone(), self.projections.keyring().clone());
        let mut ids: Vec<&str> = jobs.iter().map(|job| job.aggregate_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        // In this process, the same turns `execute` takes, in one order.
        let mut stripes: Vec<usize> = ids.iter().map(|id| stripe_of(A::TYPE, id)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut turns = Vec::with_capacity(stripes.len());
        for stripe in stripes {
            turns.push(self.stripes[stripe].lock().await);
        }
        let mut tx = self
            .pool
            .begin_with(crate::db::GENERIC_PLANS)
            .await
            .map_err(crate::store::StoreError::from)?;
        sqlx::query!(
            r#"
            select count(pg_advisory_xact_lock($1, key)) as "locked!"
              from (select distinct hashtext(id) as key from unnest($2::text[]) as id order by 1) as keys
            "#,
            BATCH_LOCKS,
            &ids as &[&str],
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::store::StoreError::from)?;

        // The states as they stand now that no other batch can write them.
        let mut kept = Vec::with_capacity(ids.len());
        let mut unknown = Vec::new();
        for id in &ids {
            match self.recent.take::<A>(A::TYPE, id) {
                Some(loaded) => kept.push(loaded),
                None => unknown.push(*id),
            }
        }
        store.refresh_all(&mut *tx, &mut kept).await?;
        for id in unknown {
            kept.push(store.load(id).await?);
        }
        let place: HashMap<String, usize> = kept
            .iter()
            .enumerate()
            .map(|(i, loaded)| (loaded.aggregate_id.clone(), i))
            .collect();
        let mut states: Vec<State<A>> = kept
            .into_iter()
            .map(|loaded| State {
                loaded,
                events: Vec::new(),
                metadata: Vec::new(),
            })
            .collect();

        let mut ran = Vec::with_capacity(jobs.len());
        for job in jobs {
            let Some(&at) = place.get(&job.aggregate_id) else {
                continue;
            };
            let state = &mut states[at];
            // A refused command may have changed the state before refusing; it is put back.
            let before = state.loaded.aggregate.clone();
            let sink = EventSink::<A>::default();
            match state
                .loaded
                .aggregate
                .handle(job.command.clone(), services, &sink)
                .await
            {
                Ok(()) => {
                    let events = sink.collect().await;
                    let from = state.events.len();
                    ran.push(Ok(Ran {
                        state: at,
                        from,
                        count: events.len(),
                        sequence: state.loaded.sequence + from as u64,
                    }));
                    state
                        .metadata
                        .extend(std::iter::repeat_n(&job.metadata, events.len()));
                    state.events.extend(events);
                }
                Err(err) => {
                    state.loaded.aggregate = before;
                    ran.push(Err(CommandError::Rejected(err)));
                }
            }
        }

        let commits: Vec<Commit<A>> = states
            .iter()
            .map(|state| Commit {
                loaded: &state.loaded,
                events: &state.events,
                metadata: state.metadata.clone(),
            })
            .collect();
        let appended = store.append_all(&mut *tx, &commits).await?;
        drop(commits);
        tx.commit().await.map_err(crate::store::StoreError::from)?;

        let mut events = Vec::with_capacity(states.len());
        for (state, appended) in states.into_iter().zip(&appended) {
            let mut loaded = state.loaded;
            if let Some(appended) = appended {
                store.advance(&mut loaded, appended);
            }
            self.recent.put(A::TYPE, loaded);
            events.push(state.events);
        }
        drop(turns);

        Ok(ran
            .into_iter()
            .map(|ran| {
                ran.map(|ran| {
                    let mine = ran.from..ran.from + ran.count;
                    let appended = appended[ran.state]
                        .as_ref()
                        .filter(|_| ran.count > 0)
                        .and_then(|all| slice_of(all, mine.clone()));
                    let executed = Executed {
                        events: events[ran.state][mine].to_vec(),
                        appended,
                    };
                    (executed, ran.sequence)
                })
            })
            .collect())
    }
}

/// The part of `all` (one aggregate's commit in a batch) that one of its commands made.
fn slice_of(all: &Appended, mine: std::ops::Range<usize>) -> Option<Appended> {
    let events = all.events.get(mine)?.to_vec();
    let newest = events.last()?;
    Some(Appended {
        cursor: newest.cursor(),
        sequence: u64::try_from(newest.sequence).unwrap_or_default(),
        events,
    })
}
