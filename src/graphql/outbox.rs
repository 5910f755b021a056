//! The outbox for the region's coordinator: which messages went out, which wait or
//! failed and why, and retrying the failed ones.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::common::parse_id;
use super::connection::{CountedConnection, connection, page_request};
use super::context::{authorize, state};
use super::enums::Language;
use crate::domain::permissions::Access;
use crate::service::outbox::{self as service, OutboxFilter};

/// What a message tells its recipient.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::mail::message::MessageKind")]
pub enum MessageKind {
    /// To the booker: a booking awaits the facility's approval.
    BookingReceived,
    /// To the booker: a booking is confirmed (with an invitation).
    BookingConfirmed,
    /// To the booker: a pending booking was turned down.
    BookingRejected,
    /// To the booker: bookings were cancelled.
    BookingCancelled,
    /// To the booker: a booking was moved.
    BookingMoved,
    /// To the booker: a series was booked, with its skipped occurrences.
    SeriesBooked,
    /// To the booker: a booking begins soon.
    BookingReminder,
    /// To the facility's contact person: a request awaits approval.
    ApprovalRequested,
    /// To the facility's contact person: the booker cancelled.
    CancellationNotice,
    /// To an organisation's admins: they are invited to co-host an event.
    CohostInvited,
    /// To the co-hosts' admins: an event changed.
    EventChanged,
    /// To the co-hosts' admins: an event was cancelled.
    EventCancelled,
}

/// Where a message stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::mail::message::MessageStatus")]
pub enum OutboxStatus {
    /// Waiting to be sent, or to be tried again.
    Pending,
    /// Accepted by the mail server.
    Sent,
    /// Parked after its last attempt; `retryOutboxMessage` puts it back in line.
    Failed,
    /// Not to be sent any more (the reminder of a booking that was cancelled or moved).
    Superseded,
}

/// A message in the outbox.
#[derive(SimpleObject)]
pub struct OutboxMessage {
    /// Id.
    id: ID,
    /// What it tells.
    kind: MessageKind,
    /// Where it stands.
    status: OutboxStatus,
    /// The recipient's address.
    recipient: String,
    /// The recipient's name.
    recipient_name: Option<String>,
    /// The language it is written in.
    language: Language,
    /// Its subject, once composed.
    subject: Option<String>,
    /// Attempts so far.
    attempts: i32,
    /// Why the last attempt failed.
    last_error: Option<String>,
    /// Not sent before this (the next attempt, for a retried message).
    due_at: DateTime<Utc>,
    /// Written.
    created_at: DateTime<Utc>,
    /// Accepted by the mail server.
    sent_at: Option<DateTime<Utc>>,
    /// The booking it is about (the first one, for several).
    booking_id: Option<ID>,
    /// The series it is about.
    series_id: Option<ID>,
    /// The event it is about.
    event_id: Option<ID>,
}

impl From<service::OutboxMessage> for OutboxMessage {
    fn from(m: service::OutboxMessage) -> Self {
        Self {
            id: ID(m.id.to_string()),
            kind: m.kind.into(),
            status: m.status.into(),
            recipient: m.recipient.email,
            recipient_name: m.recipient.name,
            language: m.recipient.language.into(),
            subject: m.subject,
            attempts: m.attempts,
            last_error: m.last_error,
            due_at: m.due_at,
            created_at: m.created_at,
            sent_at: m.sent_at,
            booking_id: m.booking_id.map(|id| ID(id.to_string())),
            series_id: m.series_id.map(|id| ID(id.to_string())),
            event_id: m.event_id.map(|id| ID(id.to_string())),
        }
    }
}

/// Which outbox messages to list.
#[derive(InputObject, Default)]
pub struct OutboxFilterInput {
    /// Only these statuses.
    statuses: Option<Vec<OutboxStatus>>,
    /// Only these kinds.
    kinds: Option<Vec<MessageKind>>,
    /// Only messages to this address.
    recipient: Option<String>,
    /// Only messages about this booking.
    booking_id: Option<ID>,
}

const COORDINATOR_ONLY: &str = "only the region's coordinator sees the outbox";

/// Reading the outbox.
#[derive(Default)]
pub struct OutboxQuery;

#[Object]
impl OutboxQuery {
    /// Messages of the outbox by id, oldest first (the coordinator).
    async fn outbox_messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: OutboxFilterInput,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<OutboxMessage>> {
        authorize(ctx, Access::is_coordinator, COORDINATOR_ONLY)?;
        let page = page_request(first, after)?;
        let filter = OutboxFilter {
            statuses: filter
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            recipient: filter.recipient,
            booking_id: filter
                .booking_id
                .map(|id| parse_id("filter.bookingId", &id))
                .transpose()?,
        };
        let rows = service::list(&state(ctx)?.db, &filter, page).await?;
        Ok(connection(page, rows, |m| m.id, OutboxMessage::from))
    }
}

/// Acting on the outbox.
#[derive(Default)]
pub struct OutboxMutation;

#[Object]
impl OutboxMutation {
    /// Puts a FAILED message back in line, due now, with a fresh count of attempts (the
    /// coordinator). Other messages give `CONFLICT`.
    async fn retry_outbox_message(&self, ctx: &Context<'_>, id: ID) -> Result<OutboxMessage> {
        authorize(ctx, Access::is_coordinator, COORDINATOR_ONLY)?;
        let id = parse_id("id", &id)?;
        let message = service::retry(&state(ctx)?.db, id, Utc::now()).await?;
        Ok(message.into())
    }
}
