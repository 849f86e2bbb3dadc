//! The frame every page request passes through: who is signed in, the session, CSRF, flash
//! messages, the layout and its views, security headers, request facts, errors and their pages,
//! database faults, static assets, forms and multipart forms.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod error;
pub mod error_pages;
pub mod faults;
pub mod flash;
pub mod forms;
pub mod layout;
pub mod multipart;
pub mod page_cache;
pub mod request;
pub mod reused;
pub mod security;
pub mod session;
pub mod templates;
pub mod views;
