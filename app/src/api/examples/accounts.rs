//! Accounts and profiles: Jake signs up, logs in, fills in his profile; Jill follows him.

use serde_json::{Value, json};

use super::{JAKE, JAKE_BIO, JAKE_IMAGE, JAKE_PASSWORD, TOKEN, jake};

const JAKE_EMAIL: &str = "jake@jake.jake";

pub fn sign_up() -> Value {
    json!({ "user": { "username": JAKE, "email": JAKE_EMAIL, "password": JAKE_PASSWORD } })
}

/// A new account has no bio or image yet.
pub fn signed_up() -> Value {
    json!({ "user": { "email": JAKE_EMAIL, "token": TOKEN, "username": JAKE, "bio": null, "image": null } })
}

pub fn log_in_with_email() -> Value {
    json!({ "user": { "email": JAKE_EMAIL, "password": JAKE_PASSWORD } })
}

/// The `email` field takes the username too.
pub fn log_in_with_username() -> Value {
    json!({ "user": { "email": JAKE, "password": JAKE_PASSWORD } })
}

/// The account once its profile is filled in, as every later answer shows it.
pub fn user() -> Value {
    json!({ "user": { "email": JAKE_EMAIL, "token": TOKEN, "username": JAKE, "bio": JAKE_BIO, "image": JAKE_IMAGE } })
}

pub fn update_profile() -> Value {
    json!({ "user": { "bio": JAKE_BIO, "image": JAKE_IMAGE } })
}

/// A new email needs the current password, and takes effect through the link mailed to it.
pub fn update_email() -> Value {
    json!({ "user": { "email": "jake@dragons.example", "current_password": JAKE_PASSWORD } })
}

/// Jake's profile as Jill sees it.
pub fn profile(following: bool) -> Value {
    json!({ "profile": jake(following) })
}

/// Asking for a reset link for Jake's address.
pub fn forgot_password() -> Value {
    json!({ "user": { "email": JAKE_EMAIL } })
}

/// The token of a link Jake was mailed (the part of the link after its last `/`).
pub const LINK_TOKEN: &str = "gY3Qm1e2TvKmWw0m5a4B0w.nB8c0lJHq5V1mX3o2YpR8dA7uK6sE9tL4wZ1fC2gH0I";

/// A new password set with the reset link's token.
pub fn reset_password() -> Value {
    json!({ "token": LINK_TOKEN, "password": "jake-flies-again" })
}

/// A mailed link's token, given back.
pub fn link() -> Value {
    json!({ "token": LINK_TOKEN })
}

/// Someone confirms the deletion of their account with their password.
pub fn delete_account() -> Value {
    json!({ "password": "their own password" })
}

/// Jake stops the mail about chat messages waiting for him.
pub fn notifications() -> Value {
    json!({ "chat_email": false })
}
