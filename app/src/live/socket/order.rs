//! Each room's messages leave a socket in `seq` order, each version once.
//!
//! Frames of one room reach an instance by two roads: the instance that ran a command delivers
//! its frames at once, everything else comes through Redis a little later. So two people writing
//! at once on two instances would see `…9, 11, 10…`. The socket's writer therefore holds a
//! message that comes early until the ones before it arrive; when they do not within
//! [`GAP_WAIT`], it reads them from the messages read model (every frame is built from it, so it
//! has them) and sends them first. A copy of a message the socket already sent at the same or a
//! newer version (a sync overlapping live frames, a late Redis copy) is dropped.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

use crate::live::{Frame, Stamp};

/// How long an early message waits for the ones before it.
pub(super) const GAP_WAIT: Duration = Duration::from_millis(250);
/// Versions remembered per room, for the newest messages.
const REMEMBERED: usize = 512;

/// The state of every room the socket has heard of.
#[derive(Default)]
pub(super) struct Order {
    rooms: HashMap<Uuid, Room>,
}

#[derive(Default)]
struct Room {
    /// Every message up to here was sent (or was in the room before the socket opened).
    upto: i64,
    /// The version last sent of the newest messages.
    sent: BTreeMap<i64, i32>,
    /// Messages that came early, by seq.
    held: BTreeMap<i64, Frame>,
    /// When the oldest of `held` began to wait.
    since: Option<Instant>,
}

/// A gap to fill: the messages of `room` after `after`, up to `upto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Gap {
    pub room: Uuid,
    pub after: i64,
    pub upto: i64,
}

impl Order {
    /// Starts from where each room stood when the socket opened (rooms made later start at 0).
    pub(super) fn new(positions: impl IntoIterator<Item = (Uuid, i64)>) -> Self {
        let rooms = positions
            .into_iter()
            .map(|(room, upto)| {
                (
                    room,
                    Room {
                        upto,
                        ..Room::default()
                    },
                )
            })
            .collect();
        Self { rooms }
    }

    /// Takes a frame; returns those to send now, in order.
    pub(super) fn push(&mut self, frame: Frame, now: Instant) -> Vec<Frame> {
        let Some(stamp) = frame.message else {
            return vec![frame];
        };
        let room = self.rooms.entry(stamp.room).or_default();
        let mut out = Vec::new();
        if stamp.seq <= room.upto {
            if room.newer(stamp) {
                room.record(stamp);
                out.push(frame);
            }
        } else if stamp.seq == room.upto + 1 {
            room.record(stamp);
            room.upto = stamp.seq;
            out.push(frame);
            room.release(&mut out);
            if room.held.is_empty() {
                room.since = None;
            } else {
                room.since = Some(now);
            }
        } else {
            let newer = room
                .held
                .get(&stamp.seq)
                .and_then(|held| held.message)
                .is_none_or(|held| stamp.version > held.version);
            if newer {
                room.held.insert(stamp.seq, frame);
            }
            room.since.get_or_insert(now);
        }
        out
    }

    /// When the longest wait ends, if anything waits.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.rooms
            .values()
            .filter_map(|room| room.since)
            .min()
            .map(|since| since + GAP_WAIT)
    }

    /// The gaps that have waited long enough, to be read from the read model.
    pub(super) fn overdue(&self, now: Instant) -> Vec<Gap> {
        self.rooms
            .iter()
            .filter(|(_, room)| room.since.is_some_and(|since| since + GAP_WAIT <= now))
            .filter_map(|(id, room)| {
                let (&first, _) = room.held.first_key_value()?;
                Some(Gap {
                    room: *id,
                    after: room.upto,
                    upto: first - 1,
                })
            })
            .collect()
    }

    /// After the read model was asked for `gap` (and its messages pushed): what still waits is
    /// sent anyway, in order, rather than held forever for a message that is not coming.
    pub(super) fn give_up(&mut self, gap: Gap) -> Vec<Frame> {
        let mut out = Vec::new();
        if let Some(room) = self.rooms.get_mut(&gap.room) {
            while let Some((seq, frame)) = room.held.pop_first() {
                if let Some(stamp) = frame.message {
                    room.record(stamp);
                }
                room.upto = room.upto.max(seq);
                out.push(frame);
            }
            room.since = None;
        }
        out
    }
}

impl Room {
    fn newer(&self, stamp: Stamp) -> bool {
        self.sent.get(&stamp.seq).is_none_or(|sent| stamp.version > *sent)
    }

    fn record(&mut self, stamp: Stamp) {
        self.sent.insert(stamp.seq, stamp.version);
        while self.sent.len() > REMEMBERED {
            self.sent.pop_first();
        }
    }

    /// Moves the held messages that now follow on into `out`.
    fn release(&mut self, out: &mut Vec<Frame>) {
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > self.upto + 1 {
                break;
            }
            let (seq, frame) = entry.remove_entry();
            if seq == self.upto + 1 {
                self.upto = seq;
            }
            if let Some(stamp) = frame.message.filter(|stamp| self.newer(*stamp)) {
                self.record(stamp);
                out.push(frame);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: Uuid = Uuid::from_u128(1);

    fn message(seq: i64, version: i32) -> Frame {
        Frame {
            text: format!("{seq}.{version}").into(),
            message: Some(Stamp {
                room: ROOM,
                seq,
                version,
            }),
        }
    }

    fn texts(frames: Vec<Frame>) -> Vec<String> {
        frames.into_iter().map(|f| f.text.to_string()).collect()
    }

    #[test]
    fn an_early_message_waits_for_the_one_before_it() {
        let now = Instant::now();
        let mut order = Order::new([(ROOM, 8)]);
        assert_eq!(texts(order.push(message(9, 1), now)), ["9.1"]);
        assert!(order.push(message(11, 1), now).is_empty());
        assert_eq!(order.deadline(), Some(now + GAP_WAIT));
        assert_eq!(texts(order.push(message(10, 1), now)), ["10.1", "11.1"]);
        assert_eq!(order.deadline(), None);
    }

    #[test]
    fn each_version_is_sent_once_and_never_an_older_one() {
        let now = Instant::now();
        let mut order = Order::new([(ROOM, 0)]);
        assert_eq!(texts(order.push(message(1, 1), now)), ["1.1"]);
        assert!(order.push(message(1, 1), now).is_empty(), "a copy");
        assert_eq!(texts(order.push(message(1, 3), now)), ["1.3"]);
        assert!(
            order.push(message(1, 2), now).is_empty(),
            "an older version, late"
        );
        // Messages from before the socket opened go out once too (a client's sync).
        assert_eq!(
            texts(order.push(
                Frame {
                    text: "0".into(),
                    ..message(0, 1)
                },
                now
            )),
            ["0"]
        );
    }

    #[test]
    fn a_gap_that_does_not_fill_itself_is_named_then_given_up() {
        let start = Instant::now();
        let mut order = Order::new([(ROOM, 2)]);
        assert!(order.push(message(5, 1), start).is_empty());
        assert!(order.push(message(6, 1), start).is_empty());
        assert!(order.overdue(start).is_empty());
        let later = start + GAP_WAIT;
        let gap = Gap {
            room: ROOM,
            after: 2,
            upto: 4,
        };
        assert_eq!(order.overdue(later), [gap]);
        // The read model had 3 and 4: they go out, then what waited.
        assert_eq!(texts(order.push(message(3, 1), later)), ["3.1"]);
        assert_eq!(texts(order.push(message(4, 2), later)), ["4.2", "5.1", "6.1"]);
        assert!(order.give_up(gap).is_empty());
        // Had it not: the rest goes anyway, in order.
        assert!(order.push(message(9, 1), later).is_empty());
        let gap = order.overdue(later + GAP_WAIT)[0];
        assert_eq!(texts(order.give_up(gap)), ["9.1"]);
        assert_eq!(texts(order.push(message(10, 1), later)), ["10.1"]);
    }

    #[test]
    fn other_frames_pass_at_once() {
        let mut order = Order::new([]);
        let typing = Frame {
            text: "typing".into(),
            message: None,
        };
        assert_eq!(texts(order.push(typing, Instant::now())), ["typing"]);
    }
}
