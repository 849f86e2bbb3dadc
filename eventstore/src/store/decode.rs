//! Stored payloads read back as events, older versions upcast to the current shape first.

use cqrs_es::DomainEvent;
use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde_json::Value;

use super::Stored;

/// A stored payload as `A`'s event. In the current shape (nearly always) it is read in place;
/// only a payload an upcaster applies to is copied to be upcast.
pub fn decode_payload<A: Stored>(
    aggregate_id: &str,
    sequence: i64,
    event_type: &str,
    event_version: &str,
    payload: &Value,
) -> Result<A::Event, serde_json::Error> {
    let upcasters = A::upcasters();
    if !upcasters.iter().any(|u| u.can_upcast(event_type, event_version)) {
        return <A::Event as serde::Deserialize>::deserialize(payload);
    }
    decode_event::<A::Event>(
        &upcasters,
        SerializedEvent::new(
            aggregate_id.to_owned(),
            usize::try_from(sequence).unwrap_or_default(),
            A::TYPE.to_owned(),
            event_type.to_owned(),
            event_version.to_owned(),
            payload.clone(),
            Value::Null,
        ),
    )
}

/// A stored event in the current shape of `E`, upcast by every upcaster that applies, in order.
pub fn decode_event<E: DomainEvent>(
    upcasters: &[Box<dyn EventUpcaster>],
    mut event: SerializedEvent,
) -> Result<E, serde_json::Error> {
    for upcaster in upcasters {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            event = upcaster.upcast(event);
        }
    }
    serde_json::from_value(event.payload)
}
