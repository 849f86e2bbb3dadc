//! Partial updates, where a field left out, a field set to `null` and a field set to a value
//! mean three different things.

use serde::{Deserialize, Deserializer};

use crate::web::forms::FormErrors;

/// For `#[serde(default, deserialize_with = "patch::field")]` on an `Option<Option<T>>`: absent
/// is `None` (from `default`), `null` is `Some(None)`, a value is `Some(Some(value))`.
pub fn field<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A field that may be left out but not set to `null`: a `null` is recorded in `errors`.
pub fn required<'a, T>(
    errors: &mut FormErrors,
    name: &'static str,
    value: Option<&'a Option<T>>,
) -> Option<&'a T> {
    match value {
        None => None,
        Some(None) => {
            errors.add(name, "can't be null");
            None
        }
        Some(Some(value)) => Some(value),
    }
}

/// A text field where `null` clears it, as a blank does.
pub fn clearable(value: Option<&Option<String>>) -> Option<&str> {
    value.map(|v| v.as_deref().unwrap_or_default())
}
