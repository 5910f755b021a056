//! Database work: each function takes a connection, owns its transaction and
//! returns domain values or an [`AppError`](crate::error::AppError).
pub mod bookings;
pub mod calendar;
pub mod cooperation;
pub mod database;
pub mod events;
pub mod facilities;
pub mod municipalities;
pub mod notifications;
pub mod opening_hours;
pub mod organisations;
pub mod outbox;
pub mod packed;
pub mod pagination;
pub mod report;
pub mod revisions;
pub mod search;
pub mod stamped_cache;
pub mod users;
