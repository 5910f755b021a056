//! The rules of the service as plain Rust: no GraphQL, HTTP or database here.
pub mod availability;
pub mod booking;
pub mod booking_rules;
pub mod business_id;
pub mod contact;
pub mod facility;
pub mod ids;
pub mod local_time;
pub mod localized;
pub mod municipality;
pub mod opening_hours;
pub mod organisation;
pub mod permissions;
pub mod recurrence;
pub mod time_range;
pub mod validation;
