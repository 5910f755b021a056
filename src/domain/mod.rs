//! The rules of the service as plain Rust: no GraphQL, HTTP or database here.
#[path = "booking_rules_tmp.rs"]
pub mod booking_rules;
pub mod business_id;
pub mod contact;
pub mod facility;
pub mod ids;
pub mod localized;
pub mod municipality;
pub mod organisation;
pub mod permissions;
pub mod validation;
