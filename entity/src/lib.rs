//! sea-orm entities of Yhteistila. They mirror the tables created by the
//! `migration` crate; the service layer converts them into domain types.

pub mod api_token;
pub mod app_user;
pub mod booking;
pub mod booking_history;
pub mod booking_occupancy;
pub mod booking_series;
pub mod calendar_feed;
pub mod cooperation_contact;
pub mod cooperation_contact_municipality;
pub mod event;
pub mod event_booking;
pub mod event_cohost;
pub mod event_occurrence;
pub mod facility;
pub mod facility_exception;
pub mod facility_invited_organisation;
pub mod facility_opening_hours;
pub mod installation;
pub mod membership;
pub mod municipality;
pub mod organisation;
pub mod outbox;
