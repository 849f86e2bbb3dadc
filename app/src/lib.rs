//! The Bocha web application: pages, API, live chat and the `bocha` command.
//!
//! Where things live:
//! - [`usecases`]: what people and operators can do (accounts, blog, chat, history, exports,
//!   maintenance). Each validates input into domain values, runs one command or one read, and
//!   is shared by the pages, the API and the socket.
//! - [`pages`]: the HTML site, one module per area; [`api`]: the JSON API (RealWorld and beyond);
//!   [`live`]: the chat socket, this instance's hub and the Redis fan-out between instances.
//! - [`web`]: the frame every request passes through: sessions and who is signed in, CSRF,
//!   flash messages, the page layout, security headers, errors and error pages, assets, forms.
//! - [`media`]: uploaded images, from the multipart form to storage.
//! - [`services`]: what the rest leans on: Redis, rate limits, API tokens, password hashing,
//!   bounded work pools, small crypto helpers.
//! - [`metrics`], [`logging`]: what an operator watches (Prometheus metrics, log lines).
//! - [`startup`], [`routing`], [`server`], [`state`], [`config`], [`cli`]: building and running
//!   the app.

pub mod api;
pub mod cli;
pub mod config;
pub mod live;
pub mod logging;
pub mod mail;
pub mod media;
pub mod metrics;
pub mod pages;
pub mod routing;
pub mod server;
pub mod services;
pub mod startup;
pub mod state;
pub mod usecases;
pub mod web;

pub use startup::App;
