//! Mail: composing outbox messages from templates in the recipient's language, with an
//! iMIP invitation where the message puts something into a calendar, and the worker
//! that sends them over SMTP (or into `.eml` files when no SMTP server is configured).
pub mod compose;
pub mod message;
pub mod retry;
pub mod templates;
pub mod transport;
pub mod worker;
