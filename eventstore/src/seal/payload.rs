//! One payload sealed, and opened again.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::SealError;
use super::keyring::{DataKey, Keyring};
use super::keys::DataKeys;

/// The field of a sealed payload that holds its owner and box.
pub const SEALED: &str = "_sealed";

/// What a box is bound to: the event it was sealed for.
pub fn identity(aggregate_type: &str, aggregate_id: &str, sequence: i64, event_type: &str) -> Vec<u8> {
    format!("{aggregate_type}\0{aggregate_id}\0{sequence}\0{event_type}").into_bytes()
}

/// `full` as stored: `erased` in clear with `full` boxed under `key` beside it. Without a key
/// (its owner was erased), only the erased form, still marked with whose it was.
pub(crate) fn seal(
    full: &Value,
    erased: Value,
    owner: Uuid,
    key: Option<&DataKey>,
    identity: &[u8],
) -> Result<Value, SealError> {
    let mut stored = match erased {
        Value::Object(fields) => fields,
        _ => return Err(SealError::Corrupt("an event is not a JSON object")),
    };
    let mut sealed = Map::new();
    sealed.insert("by".to_owned(), json!(owner));
    if let Some(key) = key {
        sealed.insert(
            "box".to_owned(),
            json!(key.seal(&serde_json::to_vec(full)?, identity)?),
        );
    }
    stored.insert(SEALED.to_owned(), Value::Object(sealed));
    Ok(Value::Object(stored))
}

/// Whose key opens `payload`, if it is sealed.
fn owner(payload: &Value) -> Option<Uuid> {
    payload.get(SEALED)?.get("by")?.as_str()?.parse().ok()
}

/// Opens the payloads of a batch of events, with the keys of their owners as the database
/// holds them when the batch is read.
pub struct Opener {
    keys: DataKeys,
}

impl Opener {
    /// For payloads read beside the wrapped key of the person each is sealed for (`None` for
    /// a payload not sealed, or whose owner's key is gone), as the log readers select them.
    pub fn with_wrapped<'a>(
        keyring: &Keyring,
        rows: impl IntoIterator<Item = (&'a Value, Option<&'a [u8]>)>,
    ) -> Result<Self, SealError> {
        Ok(Self {
            keys: DataKeys::unwrap_all(
                keyring,
                rows.into_iter()
                    .filter_map(|(payload, wrapped)| Some((owner(payload)?, wrapped?))),
            )?,
        })
    }

    /// `payload` as it was appended when its owner's key is there, its erased form when not; a
    /// payload that was never sealed as it is.
    pub fn open(&self, payload: Value, identity: &[u8]) -> Result<Value, SealError> {
        let Value::Object(mut fields) = payload else {
            return Ok(payload);
        };
        let Some(sealed) = fields.remove(SEALED) else {
            return Ok(Value::Object(fields));
        };
        let key = sealed
            .get("by")
            .and_then(Value::as_str)
            .and_then(|by| by.parse().ok())
            .and_then(|by| self.keys.get(by));
        match (key, sealed.get("box").and_then(Value::as_str)) {
            (Some(key), Some(boxed)) => Ok(serde_json::from_slice(&key.open(boxed, identity)?)?),
            _ => Ok(Value::Object(fields)),
        }
    }
}
