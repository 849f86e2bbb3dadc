//! What people and operators can do, shared by the pages, the API and the socket. Each use case
//! validates its input into domain values, runs one command (or one read) and reports refusals
//! as typed errors.

pub mod accounts;
pub mod blog;
pub mod chat;
pub mod demo;
pub mod exports;
pub mod history;
pub mod maintenance;
pub mod moderation;
pub mod takeout;
