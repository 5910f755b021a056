//! iCalendar (RFC 5545) output: feeds to subscribe to and invitations to mail.
//!
//! The writer is our own, small and strict, rather than the `icalendar` crate's builder:
//! that crate fills in a random `UID` and `DTSTAMP` = now when they are missing, does not
//! escape CR, quotes no parameter values, accepts nonexistent local times and has no
//! VTIMEZONE. It also builds the whole calendar in memory before writing it, where a feed
//! of thousands of items is written item by item. Here every value goes through a typed
//! method that escapes or checks it ([`writer`]), a local time is written with its `TZID`
//! only when it reads back as the same instant ([`writer::ContentWriter::date_time`]),
//! VTIMEZONE comes from the tz database ([`timezone`]), and nothing depends on the clock, so
//! the same data always gives the same bytes.
//!
//! - [`calendar`]: the neutral model of a VEVENT ([`calendar::CalendarItem`]) and the
//!   calendar around items ([`calendar::CalendarHeader`], METHOD PUBLISH, REQUEST, CANCEL);
//! - [`bookings`]: bookings and booking series as items; [`events`]: events as items;
//! - [`feeds`]: the feeds over HTTP, with ETag, Last-Modified and 304;
//! - [`Installation`]: stable UIDs.
pub mod bookings;
pub mod calendar;
pub mod events;
pub mod feeds;
pub mod recurring;
pub mod timezone;
pub mod writer;

/// The random id of this installation, created once by a migration. UIDs carry it so that
/// they stay the same when the public address changes and differ between installations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation(String);

impl Installation {
    /// The installation with this id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The UID of the thing of `kind` with `id`, e.g. `booking-42-3f2a…@yhteistila`.
    pub fn uid(&self, kind: &str, id: i64) -> String {
        format!("{kind}-{id}-{}@yhteistila", self.0)
    }
}
