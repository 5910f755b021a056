//! Changing events: editing, publishing, rescheduling, postponing and cancelling them and
//! their occurrences. Each runs in one write transaction with the venue bookings it moves
//! or frees, and grows the event's sequence when a calendar would show the change.
use chrono::{DateTime, Utc};
use entity::{event, event_occurrence};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, Set, Unchanged,
};

use super::{
    Event, Occurrence, VenueBooking, apply_spec, bookings_of, get, hosts, move_guarded,
    occurrences_of, sync_venue_details,
};
use crate::domain::event::{EventHosts, EventSpec, EventStatus, EventVisibility, Publication};
use crate::domain::ids::{EventId, UserId};
use crate::domain::permissions::Access;
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};
use crate::service::bookings::{self, Transition};
use crate::service::database::{self, WriteTransaction};
use crate::service::notifications::event_changed;

/// What an edit of an event sets.
#[derive(Debug, Clone)]
pub struct EventUpdate {
    /// What the event is.
    pub spec: EventSpec,
    /// Who may find it.
    pub visibility: EventVisibility,
}

/// The event and its hosts, if the user may see it; `NOT_FOUND` otherwise.
async fn visible(
    txn: &DatabaseTransaction,
    access: &Access,
    id: EventId,
) -> AppResult<(Event, EventHosts)> {
    let event = get(txn, id).await?;
    let hosts = hosts(txn, &event).await?;
    if event.is_open() || hosts.can_see_private(access) {
        Ok((event, hosts))
    } else {
        Err(AppError::not_found("event", id))
    }
}

/// The event and its hosts, if the user may manage it (FORBIDDEN with `message` if they
/// only see it).
pub(super) async fn managed(
    txn: &DatabaseTransaction,
    access: &Access,
    id: EventId,
    message: &'static str,
) -> AppResult<(Event, EventHosts)> {
    let (event, hosts) = visible(txn, access, id).await?;
    if !hosts.can_manage(access) {
        return Err(AppError::Forbidden(message));
    }
    Ok((event, hosts))
}

const MANAGING: &str = "only the organiser's members reschedule, cancel and publish an event";

fn required_reason(reason: Option<&str>) -> AppResult<&str> {
    reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        ValidationError::new("reason", "REASON_REQUIRED", "tell the public why").into()
    })
}

/// The row of `event` for an update of some of its columns.
fn row_of(event: &Event, now: DateTime<Utc>, bump: bool) -> event::ActiveModel {
    event::ActiveModel {
        id: Unchanged(event.id.0),
        sequence: Set(event.sequence + i32::from(bump)),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Ends a change of `before`: its venue bookings take on what the event is now, its hosts
/// hear of the change, and the transaction commits.
async fn finish(txn: WriteTransaction, before: &Event, now: DateTime<Utc>) -> AppResult<Event> {
    let after = get(&txn, before.id).await?;
    sync_venue_details(&txn, &after, now).await?;
    event_changed(&txn, before, &after, now).await?;
    txn.commit().await?;
    Ok(after)
}

/// Edits what an event is and who may find it: the organiser's and accepted co-hosts'
/// members (visibility only the organiser's).
pub async fn update(
    db: &DatabaseConnection,
    access: &Access,
    id: EventId,
    update: EventUpdate,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    let txn = database::begin_write(db).await?;
    let (event, hosts) = visible(&txn, access, id).await?;
    if !hosts.can_edit(access) {
        return Err(AppError::Forbidden(
            "only the organiser's and the co-hosts' members edit an event",
        ));
    }
    if update.visibility != event.visibility && !hosts.can_manage(access) {
        return Err(AppError::Forbidden(
            "only the organiser's members change who may find an event",
        ));
    }
    let has_bookings = bookings_of(&txn, &[id]).await?.contains_key(&id);
    update
        .spec
        .validate(has_bookings)
        .map_err(|e| e.within("details"))?;
    let mut row = row_of(&event, now, event.spec.calendar_differs(&update.spec));
    apply_spec(&update.spec, &mut row)?;
    row.visibility = Set(update.visibility.as_ref().to_string());
    row.update(&txn).await?;
    finish(txn, &event, now).await
}

/// Publishes a draft: it appears in listings and feeds as its visibility allows.
pub async fn publish(
    db: &DatabaseConnection,
    access: &Access,
    id: EventId,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(&txn, access, id, MANAGING).await?;
    if event.publication == Publication::Published {
        return Ok(event);
    }
    let mut row = row_of(&event, now, false);
    row.publication = Set(Publication::Published.as_ref().to_string());
    row.published_at = Set(Some(now));
    row.update(&txn).await?;
    finish(txn, &event, now).await
}

fn check_status(event: &Event, next: EventStatus) -> AppResult<()> {
    if event.status.can_become(next) {
        Ok(())
    } else {
        Err(AppError::Conflict {
            message: format!(
                "a {} event cannot become {}",
                event.status.as_ref(),
                next.as_ref()
            ),
            field: Some("id".into()),
        })
    }
}

fn single(event: &Event) -> AppResult<()> {
    if event.schedule.recurrence.is_some() {
        return Err(ValidationError::new(
            "id",
            "RECURRING_EVENT",
            "change the occurrences of a recurring event one at a time",
        )
        .into());
    }
    Ok(())
}

/// Moves the blocking venue bookings of an occurrence from `old` to `new`, keeping each
/// booking's lead and tail around the event (set-up and clearing time).
async fn move_bookings(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    venue: &[VenueBooking],
    old: &TimeRange,
    new: &TimeRange,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for held in venue.iter().filter(|v| v.booking.status.blocks()) {
        let range = TimeRange::new(
            held.booking.range.start() + (new.start() - old.start()),
            held.booking.range.end() + (new.end() - old.end()),
        )
        .map_err(|e| ValidationError::new("end", e.code(), e.to_string()))?;
        move_guarded(txn, access, user, &held.booking, range, now).await?;
    }
    Ok(())
}

/// Frees the venue bookings still to come, as the event's cancellation; those past the
/// facility's cancellation notice stay for its contact person to settle.
async fn free_bookings(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    venue: &[VenueBooking],
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut cancelled = Vec::new();
    for held in venue
        .iter()
        .filter(|v| v.booking.status.blocks() && v.booking.range.start() > now)
    {
        let id = held.booking.id;
        match bookings::apply(txn, access, user, id, Transition::Cancel, Some(reason), now).await {
            Ok(done) => cancelled.push(done),
            Err(AppError::Validation(v)) if v.reason == "CANCELLATION_TOO_LATE" => {}
            Err(err) => return Err(err),
        }
    }
    // The booker hears once of all the venue bookings freed.
    bookings::notify_grouped(txn, Transition::Cancel, &cancelled, now).await
}

async fn set_occurrence(
    txn: &DatabaseTransaction,
    occurrence: &Occurrence,
    range: TimeRange,
    status: EventStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    event_occurrence::ActiveModel {
        id: Unchanged(occurrence.id),
        starts_at: Set(range.start()),
        ends_at: Set(range.end()),
        status: Set(status.as_ref().to_string()),
        status_reason: Set(reason.map(str::to_string)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(())
}

/// Moves a single event to `range` (also a postponed one, to its new time), moving its
/// venue bookings with it under their facilities' rules; it becomes RESCHEDULED.
pub async fn reschedule(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: EventId,
    range: TimeRange,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(&txn, access, id, MANAGING).await?;
    single(&event)?;
    check_status(&event, EventStatus::Rescheduled)?;
    let venue = bookings_of(&txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    move_bookings(
        &txn,
        access,
        user,
        &venue,
        &event.schedule.first,
        &range,
        now,
    )
    .await?;
    for occurrence in occurrences_of(&txn, &[id], None)
        .await?
        .remove(&id)
        .unwrap_or_default()
    {
        set_occurrence(&txn, &occurrence, range, EventStatus::Scheduled, None, now).await?;
    }
    let mut row = row_of(&event, now, true);
    row.starts_at = Set(range.start());
    row.ends_at = Set(range.end());
    row.status = Set(EventStatus::Rescheduled.as_ref().to_string());
    row.status_reason = Set(None);
    row.update(&txn).await?;
    finish(txn, &event, now).await
}

/// Postpones an event to a time not yet known, telling the public why; its bookings stay.
pub async fn postpone(
    db: &DatabaseConnection,
    access: &Access,
    id: EventId,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    set_event_status(db, access, None, id, EventStatus::Postponed, reason, now).await
}

/// Cancels an event, telling the public why, and frees its venue bookings still to come.
pub async fn cancel(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: EventId,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    set_event_status(
        db,
        access,
        Some(user),
        id,
        EventStatus::Cancelled,
        reason,
        now,
    )
    .await
}

async fn set_event_status(
    db: &DatabaseConnection,
    access: &Access,
    freeing_as: Option<UserId>,
    id: EventId,
    next: EventStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    let reason = required_reason(reason)?;
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(&txn, access, id, MANAGING).await?;
    check_status(&event, next)?;
    if let Some(user) = freeing_as {
        let venue = bookings_of(&txn, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        free_bookings(&txn, access, user, &venue, reason, now).await?;
    }
    let mut row = row_of(&event, now, true);
    row.status = Set(next.as_ref().to_string());
    row.status_reason = Set(Some(reason.to_string()));
    row.update(&txn).await?;
    finish(txn, &event, now).await
}

/// One occurrence of a recurring event that has not been cancelled.
async fn occurrence_of(
    txn: &DatabaseTransaction,
    event: &Event,
    occurrence_id: i64,
) -> AppResult<Occurrence> {
    if event.schedule.recurrence.is_none() {
        return Err(ValidationError::new(
            "occurrenceId",
            "SINGLE_EVENT",
            "a single event is rescheduled or cancelled as a whole",
        )
        .into());
    }
    let occurrence = event_occurrence::Entity::find_by_id(occurrence_id)
        .filter(event_occurrence::Column::EventId.eq(event.id.0))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::not_found("occurrence", occurrence_id))
        .and_then(super::to_occurrence)?;
    if occurrence.status == EventStatus::Cancelled {
        return Err(AppError::Conflict {
            message: "the occurrence is cancelled".into(),
            field: Some("occurrenceId".into()),
        });
    }
    Ok(occurrence)
}

/// The venue bookings of one occurrence.
async fn venue_of(
    txn: &DatabaseTransaction,
    event: EventId,
    occurrence: i64,
) -> AppResult<Vec<VenueBooking>> {
    Ok(bookings_of(txn, &[event])
        .await?
        .remove(&event)
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v.occurrence_id == occurrence)
        .collect())
}

/// Bumps the event's sequence after a change to one of its occurrences.
async fn touch(txn: &DatabaseTransaction, event: &Event, now: DateTime<Utc>) -> AppResult<()> {
    row_of(event, now, true).update(txn).await?;
    Ok(())
}

/// Cancels one occurrence of a recurring event, telling the public why, and frees its
/// venue bookings.
pub async fn cancel_occurrence(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: EventId,
    occurrence_id: i64,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    let reason = required_reason(reason)?;
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(&txn, access, id, MANAGING).await?;
    check_status(&event, EventStatus::Cancelled)?;
    let occurrence = occurrence_of(&txn, &event, occurrence_id).await?;
    let venue = venue_of(&txn, id, occurrence.id).await?;
    free_bookings(&txn, access, user, &venue, reason, now).await?;
    set_occurrence(
        &txn,
        &occurrence,
        occurrence.range,
        EventStatus::Cancelled,
        Some(reason),
        now,
    )
    .await?;
    touch(&txn, &event, now).await?;
    finish(txn, &event, now).await
}

/// Moves one occurrence of a recurring event to `range` with its venue bookings (under
/// their facilities' rules); it keeps its recurrence id and becomes RESCHEDULED.
pub async fn move_occurrence(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: EventId,
    occurrence_id: i64,
    range: TimeRange,
    now: DateTime<Utc>,
) -> AppResult<Event> {
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(&txn, access, id, MANAGING).await?;
    if event.status == EventStatus::Cancelled {
        return Err(AppError::Conflict {
            message: "the event is cancelled".into(),
            field: Some("id".into()),
        });
    }
    let occurrence = occurrence_of(&txn, &event, occurrence_id).await?;
    let venue = venue_of(&txn, id, occurrence.id).await?;
    move_bookings(&txn, access, user, &venue, &occurrence.range, &range, now).await?;
    set_occurrence(
        &txn,
        &occurrence,
        range,
        EventStatus::Rescheduled,
        None,
        now,
    )
    .await?;
    touch(&txn, &event, now).await?;
    finish(txn, &event, now).await
}
