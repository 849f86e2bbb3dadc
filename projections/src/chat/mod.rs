//! Chat read models: requests, and rooms with their members and messages.

pub mod messages;
pub mod requests;
pub mod rooms;

pub use requests::RequestsProjector;
pub use rooms::ChatProjector;
