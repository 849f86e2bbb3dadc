//! Journeys in a real browser: Debian's Chromium, headless, driven through chromedriver.
//!
//! Needs the `chromium` and `chromium-driver` packages (the test command installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../it/helpers.rs"]
mod helpers;

mod driver;

mod accessibility;
mod accounts;
mod balancer;
mod blog;
mod chat;
mod messenger;
mod moderation;
