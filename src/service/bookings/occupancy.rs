//! The only way a booking takes time: rows in `booking_occupancy`, one per unit
//! held, which the database refuses to let overlap (an exclusion constraint on
//! PostgreSQL, a trigger on SQLite). Checks here only make errors friendlier;
//! the database is what makes double booking impossible.
use chrono::{DateTime, Utc};
use entity::{booking_occupancy as occupancy, facility};
use sea_orm::sea_query::{LockType, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RuntimeErr, Set, Statement,
};

use crate::domain::booking::MAX_BOOKING_LENGTH;
use crate::domain::ids::FacilityId;
use crate::domain::time_range::TimeRange;
use crate::error::{AppError, AppResult};
use crate::service::database;

/// Name of the guard on both backends (constraint on PostgreSQL, trigger on SQLite).
const GUARD: &str = "booking_occupancy_no_overlap";

/// Whether `err` is the database refusing an overlapping hold.
pub fn is_overlap(err: &DbErr) -> bool {
    database_error(err)
        .is_some_and(|(code, message)| code.as_deref() == Some("23P01") || message.contains(GUARD))
}

/// Whether `err` is PostgreSQL breaking a deadlock by aborting this transaction. The
/// exclusion constraint is checked after the insert, so two transactions inserting
/// overlapping holds at the same moment may each wait for the other to end; the units'
/// row locks (see [`hold_statements`]) prevent that for one booking at a time, but a
/// transaction that books several facilities can still meet another one in the other
/// order. The aborted one has lost the race like any other.
fn is_deadlock(err: &DbErr) -> bool {
    database_error(err).is_some_and(|(code, _)| code.as_deref() == Some("40P01"))
}

/// The code and message of the database's own error inside `err`.
fn database_error(err: &DbErr) -> Option<(Option<std::borrow::Cow<'_, str>>, &str)> {
    let (DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx))) =
        err
    else {
        return None;
    };
    sqlx.as_database_error().map(|db| (db.code(), db.message()))
}

/// The units a booking of `facility` holds: the facility and, if it is divisible, its parts.
pub async fn units_of(
    db: &impl ConnectionTrait,
    facility: FacilityId,
) -> AppResult<Vec<FacilityId>> {
    let parts = facility::Entity::find()
        .select_only()
        .column(facility::Column::Id)
        .filter(facility::Column::ParentId.eq(facility.0))
        .into_tuple::<i64>()
        .all(db)
        .await?;
    Ok(std::iter::once(facility)
        .chain(parts.into_iter().map(FacilityId))
        .collect())
}

/// The holds on `units` that overlap `blocked`, by start.
async fn overlapping(
    db: &impl ConnectionTrait,
    units: &[FacilityId],
    blocked: &TimeRange,
) -> AppResult<Vec<TimeRange>> {
    // Holds are at most MAX_BOOKING_LENGTH (plus buffers) long, so a hold that
    // overlaps starts after `blocked.start - MAX_BOOKING_LENGTH - 1 day`: that
    // bound keeps the (unit_id, blocked_from) index scan short.
    let earliest = blocked.start() - MAX_BOOKING_LENGTH - chrono::Duration::days(1);
    let rows: Vec<(DateTime<Utc>, DateTime<Utc>)> = occupancy::Entity::find()
        .select_only()
        .column(occupancy::Column::BlockedFrom)
        .column(occupancy::Column::BlockedUntil)
        .filter(occupancy::Column::UnitId.is_in(units.iter().map(|u| u.0)))
        .filter(occupancy::Column::BlockedFrom.gte(earliest))
        .filter(occupancy::Column::BlockedFrom.lt(blocked.end()))
        .filter(occupancy::Column::BlockedUntil.gt(blocked.start()))
        .order_by_asc(occupancy::Column::BlockedFrom)
        .into_tuple()
        .all(db)
        .await?;
    let mut ranges: Vec<TimeRange> = rows
        .into_iter()
        .filter_map(|(from, until)| TimeRange::new(from, until).ok())
        .collect();
    ranges.dedup();
    Ok(ranges)
}

/// The holds on `units` that overlap `blocked`, as a `CONFLICT` error.
pub async fn conflict(
    db: &impl ConnectionTrait,
    units: &[FacilityId],
    blocked: &TimeRange,
) -> AppError {
    match overlapping(db, units, blocked).await {
        Ok(conflicts) => AppError::BookingConflict { conflicts },
        Err(err) => err,
    }
}

/// Holds `blocked` on every unit for `booking`. When any unit is held for an overlapping
/// time the database refuses, and this fails with a `CONFLICT` without intervals: the
/// caller rolls back (to a savepoint at least) and reads them with [`conflict`].
pub async fn hold(
    txn: &DatabaseTransaction,
    booking: i64,
    units: &[FacilityId],
    blocked: &TimeRange,
) -> AppResult<()> {
    let statements = hold_statements(txn.get_database_backend(), booking, units, blocked);
    database::execute_together(txn, statements)
        .await
        .map_err(refused)
}

/// The statements of [`hold`], for running together with other writes; their error goes
/// through [`refused`].
///
/// On PostgreSQL they first lock the units' rows, in id order. The exclusion constraint
/// is checked after the insert, so two transactions inserting overlapping holds at once
/// wait for each other until the deadlock detector aborts one, a second later; many
/// bookings racing for one hall queued up behind such waits for many seconds. With the
/// lock, a booking of the same units waits for the one before it to end and then finds
/// its holds. (SQLite's writers already take turns.)
pub fn hold_statements(
    backend: DbBackend,
    booking: i64,
    units: &[FacilityId],
    blocked: &TimeRange,
) -> Vec<Statement> {
    let mut statements = Vec::with_capacity(2);
    if backend == DbBackend::Postgres {
        let lock = Query::select()
            .column(facility::Column::Id)
            .from(facility::Entity)
            .and_where(facility::Column::Id.is_in(units.iter().map(|u| u.0)))
            .order_by(facility::Column::Id, Order::Asc)
            .lock(LockType::NoKeyUpdate)
            .to_owned();
        statements.push(backend.build(&lock));
    }
    let rows = units.iter().map(|unit| occupancy::ActiveModel {
        booking_id: Set(booking),
        unit_id: Set(unit.0),
        blocked_from: Set(blocked.start()),
        blocked_until: Set(blocked.end()),
        ..Default::default()
    });
    statements.push(occupancy::Entity::insert_many(rows).build(backend));
    statements
}

/// The error of a write that took time: the database refusing an overlapping hold (or
/// aborting a deadlock over one) is a `CONFLICT` without intervals, which are read after
/// the caller's rollback.
pub fn refused(err: DbErr) -> AppError {
    if is_overlap(&err) || is_deadlock(&err) {
        AppError::BookingConflict {
            conflicts: Vec::new(),
        }
    } else {
        err.into()
    }
}

/// Frees the units a booking held (it was cancelled or rejected).
pub async fn release(txn: &DatabaseTransaction, booking: i64) -> AppResult<()> {
    occupancy::Entity::delete_many()
        .filter(occupancy::Column::BookingId.eq(booking))
        .exec(txn)
        .await?;
    Ok(())
}

/// A new part of `whole` is held wherever the whole is held now.
pub async fn extend_to_new_part(
    txn: &DatabaseTransaction,
    whole: FacilityId,
    part: FacilityId,
) -> AppResult<()> {
    let holds = occupancy::Entity::find()
        .filter(occupancy::Column::UnitId.eq(whole.0))
        .all(txn)
        .await?;
    if holds.is_empty() {
        return Ok(());
    }
    let rows = holds.into_iter().map(|h| occupancy::ActiveModel {
        booking_id: Set(h.booking_id),
        unit_id: Set(part.0),
        blocked_from: Set(h.blocked_from),
        blocked_until: Set(h.blocked_until),
        ..Default::default()
    });
    occupancy::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The holds on `units` that overlap `window`, for reading availability.
pub async fn holds_overlapping(
    db: &impl ConnectionTrait,
    units: &[FacilityId],
    window: &TimeRange,
) -> AppResult<Vec<TimeRange>> {
    overlapping(db, units, window).await
}
