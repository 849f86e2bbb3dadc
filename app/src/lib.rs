//! The Bocha web application: pages, API, sessions and the `bocha` command.

pub mod accounts;
pub mod api;
pub mod assets;
pub mod auth;
pub mod blog;
pub mod chat;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod csrf;
pub mod error;
pub mod error_pages;
pub mod flash;
pub mod forms;
pub mod history;
pub mod layout;
pub mod live;
pub mod maintenance;
pub mod media;
pub mod passwords;
pub mod rate;
pub mod redis;
pub mod request;
pub mod routes;
pub mod security;
pub mod session;
pub mod startup;
pub mod state;
pub mod templates;
pub mod throttle;
pub mod tokens;
pub mod uploads;
pub mod views;

pub use startup::App;
