//! Revising the calendar items that show a facility's place or an organisation's name:
//! when those change, the bookings and events that calendars show with them grow their
//! `SEQUENCE` and last change, so subscribers and invitations pick up the new text.
use chrono::{DateTime, Utc};
use entity::{booking, event, event_cohost};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::events::held_at;
use crate::domain::booking::BookingStatus;
use crate::domain::event::{CohostStatus, EventStatus};
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::error::AppResult;

/// The events `organisation` co-hosts.
fn events_cohosted_by(organisation: OrganisationId) -> SelectStatement {
    Query::select()
        .column(event_cohost::Column::EventId)
        .from(event_cohost::Entity)
        .and_where(event_cohost::Column::OrganisationId.eq(organisation.0))
        .and_where(event_cohost::Column::Status.eq(CohostStatus::Accepted.as_ref()))
        .to_owned()
}

/// Grows the sequence of the bookings that hold time and match `bookings`, and of the
/// events not cancelled that match `events`.
async fn revise(
    db: &impl ConnectionTrait,
    bookings: Condition,
    events: Condition,
    now: DateTime<Utc>,
) -> AppResult<()> {
    booking::Entity::update_many()
        .col_expr(
            booking::Column::Sequence,
            Expr::col(booking::Column::Sequence).add(1),
        )
        .col_expr(booking::Column::UpdatedAt, now.into())
        .filter(bookings)
        .filter(booking::Column::Status.is_in([
            BookingStatus::Pending.as_ref(),
            BookingStatus::Confirmed.as_ref(),
        ]))
        .exec(db)
        .await?;
    event::Entity::update_many()
        .col_expr(
            event::Column::Sequence,
            Expr::col(event::Column::Sequence).add(1),
        )
        .col_expr(event::Column::UpdatedAt, now.into())
        .filter(events)
        .filter(event::Column::Status.ne(EventStatus::Cancelled.as_ref()))
        .exec(db)
        .await?;
    Ok(())
}

/// After `facility`'s name, address, position or zone changed: its bookings and the
/// events held there show a new `LOCATION`.
pub async fn facility_place_changed(
    db: &impl ConnectionTrait,
    facility: FacilityId,
    now: DateTime<Utc>,
) -> AppResult<()> {
    revise(
        db,
        Condition::all().add(booking::Column::FacilityId.eq(facility.0)),
        Condition::all().add(event::Column::Id.in_subquery(held_at(facility))),
        now,
    )
    .await
}

/// After `organisation`'s name or public email changed: the bookings it made and the
/// events it hosts show a new booker, `ORGANIZER` or co-host.
pub async fn organisation_name_changed(
    db: &impl ConnectionTrait,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> AppResult<()> {
    revise(
        db,
        Condition::all().add(booking::Column::OrganisationId.eq(organisation.0)),
        Condition::any()
            .add(event::Column::OrganiserId.eq(organisation.0))
            .add(event::Column::Id.in_subquery(events_cohosted_by(organisation))),
        now,
    )
    .await
}
