//! Field-by-field validation errors, shown next to each field.

use std::collections::BTreeMap;

use serde::Serialize;

/// Errors by field name; `_form` holds those that belong to the whole form.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct FormErrors(BTreeMap<&'static str, Vec<String>>);

impl FormErrors {
    pub const FORM: &'static str = "_form";

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_default().push(message.into());
    }

    /// Records the error of a failed parse, passing the value through.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &'static str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, capitalize(&err.to_string()));
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Every message as "field: message", for places that show them in one line.
    pub fn summary(&self) -> String {
        let lines: Vec<String> = self
            .0
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field}: {m}")))
            .collect();
        lines.join("; ")
    }

    /// The messages alone, for a person (a flash, a socket's error), where field names mean
    /// nothing.
    pub fn sentences(&self) -> String {
        let messages: Vec<&str> = self.0.values().flatten().map(String::as_str).collect();
        messages.join(" ")
    }

    /// The same errors, with `from`'s filed under `to` (a form naming a field differently from
    /// the use case).
    pub fn renamed(mut self, from: &'static str, to: &'static str) -> Self {
        if let Some(messages) = self.0.remove(from) {
            self.0.entry(to).or_default().extend(messages);
        }
        self
    }

    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &[String])> {
        self.0
            .iter()
            .map(|(field, messages)| (*field, messages.as_slice()))
    }
}

/// Domain messages complete a sentence ("is already taken"); on a form, beside the field's
/// label, they read better as a sentence of their own ("Is already taken").
fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
