//! Relations between a user and something else that are simply on or off: favoriting a post,
//! following an author. One small aggregate per pair, so turning one on twice records nothing
//! and nobody's state grows with their popularity.

mod favorite;
mod follow;
mod tests;

pub use favorite::{Favorite, FavoriteCommand, FavoriteError, FavoriteEvent};
pub use follow::{Follow, FollowCommand, FollowError, FollowEvent};
