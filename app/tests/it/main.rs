//! HTTP tests through the real router: the app is served on a free port against a fresh
//! database, and driven by cookie-keeping clients with redirects off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod api_articles;
mod api_asyncapi;
mod api_audit;
mod api_chat;
mod api_client;
mod api_comments;
mod api_examples;
mod api_examples_replayed;
mod api_examples_story;
mod api_openapi;
mod api_profiles;
mod api_robustness;
mod api_users;
mod blog;
mod chat;
mod cli;
mod faults;
mod frame;
mod helpers;
mod history;
mod hostile;
mod mail;
mod mail_smtp;
mod media;
mod metrics;
mod postgres_server;
mod redis_server;
mod revocation;
mod security;
mod serve;
mod sessions;
mod spoofing;
