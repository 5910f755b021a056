//! What a message in the outbox tells: its kind, its recipient and a snapshot of the
//! change that caused it. Composing it into text, HTML and an invitation is [`super::compose`].
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use strum::{AsRefStr, EnumIter, EnumString};

use crate::domain::localized::Language;

/// What happened, as far as one recipient is concerned. Each kind has a template per language.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString, EnumIter, Serialize, Deserialize,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageKind {
    /// To the booker: a booking awaits the facility's approval.
    BookingReceived,
    /// To the booker: a booking is confirmed (with an invitation).
    BookingConfirmed,
    /// To the booker: a pending booking was turned down, with the reason.
    BookingRejected,
    /// To the booker: one or more bookings were cancelled, with the reason.
    BookingCancelled,
    /// To the booker: a booking was moved to another time.
    BookingMoved,
    /// To the booker: a series was booked; lists its occurrences and the skipped ones.
    SeriesBooked,
    /// To the booker: a confirmed booking begins soon.
    BookingReminder,
    /// To the facility's contact person: a request awaits approval.
    ApprovalRequested,
    /// To the facility's contact person: the booker cancelled.
    CancellationNotice,
    /// To an organisation's admins: they are invited to co-host an event.
    CohostInvited,
    /// To the co-hosts' admins: an event changed (time, place, texts a calendar shows).
    EventChanged,
    /// To the co-hosts' admins: an event was cancelled.
    EventCancelled,
}

impl MessageKind {
    /// Whether the message is about an event (rather than bookings).
    pub fn is_about_event(self) -> bool {
        matches!(
            self,
            Self::CohostInvited | Self::EventChanged | Self::EventCancelled
        )
    }

    /// The template's file name, without language and extension.
    pub fn template(self) -> String {
        self.as_ref().to_lowercase()
    }
}

/// Where a message stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageStatus {
    /// Waiting to be sent (or retried) once it is due.
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Parked after its last attempt failed; a coordinator may retry it.
    Failed,
    /// No longer to be sent, e.g. the reminder of a booking that was cancelled or moved.
    Superseded,
}

/// Who gets a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Address (validated where it was entered).
    pub email: String,
    /// Display name, if known.
    pub name: Option<String>,
    /// The language the message is written in.
    pub language: Language,
}

/// The snapshot a message is composed from, stored as JSON in the outbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The booking's title.
    pub title: String,
    /// The facility's name in the recipient's language (or the nearest one given).
    pub facility: String,
    /// The facility's name, street address, postal code and municipality.
    pub location: String,
    /// The facility's IANA zone: every time in the message is shown on its wall clock.
    pub time_zone: String,
    /// The booking organisation's name.
    pub organisation: String,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// Whether the bookings still await the facility's approval.
    pub pending: bool,
    /// The bookings the message is about, by start.
    pub bookings: Vec<BookingItem>,
    /// Occurrences of a series that were not booked.
    pub skipped: Vec<SkippedItem>,
    /// The calendar invitation (iMIP) the message carries, if any.
    pub invitation: Option<Invitation>,
}

/// One booking a message is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingItem {
    /// The booking's id.
    pub id: i64,
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// Its time before a move.
    pub previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Its own title, when the bookings of the message have different ones.
    #[serde(default)]
    pub title: Option<String>,
    /// Its facility's name, when the message is about bookings at several.
    #[serde(default)]
    pub facility: Option<String>,
    /// Its facility's IANA zone, when that differs from the message's.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// An occurrence of a series that was not booked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// Its local start on the facility's wall clock.
    pub local_start: NaiveDateTime,
    /// The stable reason code, e.g. `TIME_TAKEN`.
    pub reason: String,
}

/// The calendar invitation (iMIP) a message carries. Its calendar object is made when the
/// message is sent, from the bookings as they are then, with the same UIDs as the feeds:
/// a message delayed by a mail server outage never puts an outdated version of a booking
/// into a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invitation {
    /// `METHOD:REQUEST`: the bookings (or their series) go into the calendar or change there.
    Request,
    /// `METHOD:CANCEL`: the bookings come out of the calendar.
    Cancel,
}
