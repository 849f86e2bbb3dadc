//! Who is acting, as far as the rules need to know.

use serde::{Deserialize, Serialize};

use crate::user::UserId;

/// The user behind a command, with the one fact about them that rules consult: staff may
/// remove anyone's posts and comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: UserId,
    pub staff: bool,
}

impl Actor {
    pub fn member(user: UserId) -> Self {
        Self { user, staff: false }
    }

    pub fn staff(user: UserId) -> Self {
        Self { user, staff: true }
    }
}
