//! What the use cases and the web frame lean on: the shared Redis connection, rate limits, API
//! tokens, password hashing, bounded work pools and small crypto helpers.

pub mod crypto;
pub mod limits;
pub mod passwords;
pub mod pools;
pub mod presence;
pub mod redis;
pub mod tokens;
