//! Recurring bookings: a series expanded on the facility's wall clock, each occurrence its
//! own booking row under the same rules and the same database guard as a single booking;
//! cancelling a series or part of it; moving one booking (an occurrence or any other).
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use entity::{booking, booking_series};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::{
    Booking, BookingDetails, BookingRequest, RuleContext, explain_after_rollback, history_entry,
    initial_status, insert_row, lock_facility, occupancy, record, set_status, take_time,
    to_booking,
};
use crate::domain::booking::{BookingStatus, booking_range};
use crate::domain::booking_rules::can_cancel;
use crate::domain::ids::{FacilityId, OrganisationId, UserId};
use crate::domain::permissions::Access;
use crate::domain::recurrence::{
    ExceptionDate, Occurrence, OccurrenceProblem, RecurrenceError, RecurrenceRule, expand,
};
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};
use crate::service::database;
use crate::service::facilities::{self, Facility};
use crate::service::notifications::{Change, notify};

/// How recurrence ids and the stored first start are written: the local start.
pub(crate) const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// A request to book a series: the first occurrence's time and the rule that repeats it.
#[derive(Debug, Clone)]
pub struct SeriesRequest {
    /// The facility.
    pub facility_id: FacilityId,
    /// The booking organisation.
    pub organisation_id: OrganisationId,
    /// The first occurrence; the series repeats its wall-clock start and length.
    pub first: TimeRange,
    /// The recurrence rule.
    pub rule: RecurrenceRule,
    /// Local dates on which no occurrence is booked (EXDATE).
    pub exception_dates: Vec<NaiveDate>,
    /// What each occurrence is.
    pub details: BookingDetails,
    /// Only report what would happen; write nothing.
    pub dry_run: bool,
    /// Book the occurrences that can be booked and report the others, instead of
    /// booking nothing when any occurrence cannot be booked.
    pub skip_conflicts: bool,
}

/// What became of one occurrence of a requested series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceStatus {
    /// Booked.
    Booked,
    /// Would be booked (dry run).
    WouldBook,
    /// Its time is taken by another booking.
    Conflict,
    /// It breaks the facility's rules.
    RuleViolation,
    /// Its local start or end does not exist (the spring clock change); never moved silently.
    NonexistentLocalTime,
    /// Left out by an exception date.
    Excluded,
}

impl OccurrenceStatus {
    /// Whether the occurrence could not be booked because of a problem.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Self::Conflict | Self::RuleViolation | Self::NonexistentLocalTime
        )
    }
}

/// One occurrence of a requested series and what became of it.
#[derive(Debug, Clone)]
pub struct SeriesOccurrence {
    /// The occurrence's local start in the facility's zone (its recurrence id).
    pub recurrence_id: NaiveDateTime,
    /// Its time, unless it does not exist.
    pub range: Option<TimeRange>,
    /// What became of it.
    pub status: OccurrenceStatus,
    /// Why it was not booked (empty when it was, or would be, or was excluded).
    pub problems: Vec<ValidationError>,
    /// The blocked intervals it collides with (for `Conflict`).
    pub conflicts: Vec<TimeRange>,
    /// The booking made for it.
    pub booking: Option<Booking>,
}

/// A stored series.
#[derive(Debug, Clone)]
pub struct Series {
    /// Id.
    pub id: i64,
    /// The facility.
    pub facility_id: FacilityId,
    /// The booking organisation.
    pub organisation_id: OrganisationId,
    /// The rule in canonical RRULE text.
    pub rule: String,
    /// The first occurrence's local start.
    pub first_start_local: NaiveDateTime,
    /// The wall-clock length of each occurrence, in minutes.
    pub duration_minutes: i32,
    /// The IANA zone the series is expanded in.
    pub time_zone: String,
    /// Local dates left out.
    pub exception_dates: Vec<NaiveDate>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The answer to a series request.
#[derive(Debug, Clone)]
pub struct SeriesOutcome {
    /// The stored series; none on a dry run or when nothing was booked.
    pub series: Option<Series>,
    /// Every occurrence the rule generates, in order.
    pub occurrences: Vec<SeriesOccurrence>,
}

/// Why a series request failed.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// Any error of the service.
    #[error(transparent)]
    App(#[from] AppError),
    /// Some occurrences cannot be booked, so (all or nothing) none was booked.
    /// `VALIDATION` when any breaks a rule or does not exist, `CONFLICT` otherwise.
    #[error(
        "{} occurrence(s) of the series cannot be booked, so none was booked; \
         send skipConflicts: true to book the others",
        .occurrences.len()
    )]
    Rejected {
        /// The occurrences at fault.
        occurrences: Vec<SeriesOccurrence>,
    },
}

impl SeriesError {
    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::App(err) => err.code(),
            Self::Rejected { occurrences } => {
                if occurrences
                    .iter()
                    .all(|o| o.status == OccurrenceStatus::Conflict)
                {
                    "CONFLICT"
                } else {
                    "VALIDATION"
                }
            }
        }
    }
}

impl From<DbErr> for SeriesError {
    fn from(err: DbErr) -> Self {
        Self::App(err.into())
    }
}

impl From<ValidationError> for SeriesError {
    fn from(err: ValidationError) -> Self {
        Self::App(err.into())
    }
}

/// A recurrence error as a validation error on the series input (`rrule`, `start`, `end`).
fn recurrence_error(err: RecurrenceError) -> ValidationError {
    let field = match err.field() {
        "rule" => "rrule",
        other => other,
    };
    ValidationError::new(field, err.code(), err.to_string())
}

fn corrupt() -> AppError {
    AppError::internal("corrupt booking series in the database")
}

pub(in crate::service) fn to_series(m: booking_series::Model) -> AppResult<Series> {
    Ok(Series {
        id: m.id,
        facility_id: FacilityId(m.facility_id),
        organisation_id: OrganisationId(m.organisation_id),
        rule: m.rule,
        first_start_local: NaiveDateTime::parse_from_str(&m.first_start_local, LOCAL_FORMAT)
            .map_err(|_| corrupt())?,
        duration_minutes: m.duration_minutes,
        time_zone: m.time_zone,
        exception_dates: serde_json::from_str(&m.exception_dates).map_err(|_| corrupt())?,
        created_at: m.created_at,
    })
}

/// Refuses a series whose occurrences (with the facility's buffers) overlap each other:
/// the guard would refuse them anyway, but as a conflict with itself.
fn check_no_self_overlap(
    facility: &Facility,
    occurrences: &[&Occurrence],
) -> Result<(), ValidationError> {
    let mut blocked: Vec<(TimeRange, NaiveDateTime)> = occurrences
        .iter()
        .filter_map(|o| o.range().ok().map(|r| (r, o.local_start())))
        .map(|(r, local)| (facility.spec.rules.blocked_range(&r), local))
        .collect();
    blocked.sort_by_key(|(r, _)| r.start());
    match blocked
        .windows(2)
        .find(|pair| pair[0].0.overlaps(&pair[1].0))
    {
        Some(pair) => Err(ValidationError::new(
            "end",
            "SERIES_OVERLAPS_ITSELF",
            format!(
                "the occurrences starting {} and {} overlap each other (the facility's buffers \
                 included): shorten the occurrences or space them out",
                pair[0].1, pair[1].1
            ),
        )),
        None => Ok(()),
    }
}

/// What one attempt to book an occurrence gave.
enum Attempt {
    Booked(Box<booking::Model>),
    Broken(Vec<ValidationError>),
    Taken(Vec<TimeRange>),
}

/// Everything booking the occurrences of one series shares.
struct OccurrenceWriter<'a> {
    rules: RuleContext,
    user: UserId,
    status: BookingStatus,
    series_id: i64,
    organisation_id: OrganisationId,
    details: &'a BookingDetails,
    now: DateTime<Utc>,
}

impl OccurrenceWriter<'_> {
    /// Books one occurrence inside a savepoint of `txn`, the same way a single booking is
    /// booked; a refused occurrence leaves nothing behind and `txn` usable.
    async fn book(
        &self,
        txn: &DatabaseTransaction,
        range: TimeRange,
        recurrence_id: NaiveDateTime,
    ) -> AppResult<Attempt> {
        let facility = self.rules.facility();
        let request = BookingRequest {
            facility_id: facility.id,
            organisation_id: self.organisation_id,
            range,
            details: self.details.clone(),
            client_key: None,
        };
        let mut problems: Vec<ValidationError> = booking_range(range.start(), range.end())
            .err()
            .into_iter()
            .collect();
        problems.extend(
            self.rules
                .violations(txn, &request, self.now, true, None)
                .await?,
        );
        if !problems.is_empty() {
            return Ok(Attempt::Broken(problems));
        }
        let savepoint = txn.begin().await?;
        let occurrence = (
            self.series_id,
            recurrence_id.format(LOCAL_FORMAT).to_string(),
        );
        let inserted = insert_row(
            &savepoint,
            self.user,
            &request,
            self.status,
            Some(occurrence),
            self.rules.price_cents(&range),
            self.now,
        )
        .await?;
        let blocked = facility.spec.rules.blocked_range(&range);
        let held = take_time(
            &savepoint,
            &inserted,
            self.status,
            self.rules.units(),
            &blocked,
            self.now,
            None,
        )
        .await;
        match held {
            Ok(()) => {
                savepoint.commit().await?;
                Ok(Attempt::Booked(Box::new(inserted)))
            }
            Err(AppError::BookingConflict { conflicts }) => {
                savepoint.rollback().await?;
                if !conflicts.is_empty() {
                    return Ok(Attempt::Taken(conflicts));
                }
                // Lost a race with a concurrent booking: read what it holds.
                match occupancy::conflict(txn, self.rules.units(), &blocked).await {
                    AppError::BookingConflict { conflicts } => Ok(Attempt::Taken(conflicts)),
                    other => Err(other),
                }
            }
            Err(other) => Err(other),
        }
    }
}

fn taken_problem(conflicts: &[TimeRange]) -> ValidationError {
    let taken: Vec<String> = conflicts
        .iter()
        .map(|c| format!("{}–{}", c.start().to_rfc3339(), c.end().to_rfc3339()))
        .collect();
    ValidationError::new(
        "start",
        "TIME_TAKEN",
        format!("the time is already booked ({})", taken.join(", ")),
    )
}

fn nonexistent_problem(problem: OccurrenceProblem, local_start: NaiveDateTime) -> ValidationError {
    let OccurrenceProblem::NonexistentLocalTime { local } = problem;
    let field = if local == local_start { "start" } else { "end" };
    ValidationError::new(field, problem.code(), problem.to_string())
}

/// Books a series for `request.organisation_id` as `user`: every occurrence the rule
/// generates (expanded on the facility's wall clock) becomes its own booking row, checked
/// against the rules and held like a single booking, all in one write transaction.
///
/// By default it is all or nothing: if any occurrence conflicts, breaks a rule or falls in
/// the spring gap, nothing is written and [`SeriesError::Rejected`] lists those at fault.
/// With `skip_conflicts` the others are booked; with `dry_run` nothing is written.
pub async fn create(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    request: SeriesRequest,
    now: DateTime<Utc>,
) -> Result<SeriesOutcome, SeriesError> {
    let txn = database::begin_write(db).await?;
    let attempt = book_within(&txn, access, user, &request, now).await?;
    let BookedSeries {
        series,
        mut occurrences,
        inserted,
    } = attempt;
    let any_problem = occurrences.iter().any(|o| o.status.is_problem());
    if any_problem && !request.skip_conflicts && !request.dry_run {
        txn.rollback().await?;
        return Err(SeriesError::Rejected {
            occurrences: occurrences
                .into_iter()
                .filter(|o| o.status.is_problem())
                .collect(),
        });
    }
    if request.dry_run || inserted.is_empty() {
        txn.rollback().await?;
        return Ok(SeriesOutcome {
            series: None,
            occurrences,
        });
    }
    txn.commit().await?;
    for (position, model) in inserted {
        if let Some(outcome) = occurrences.get_mut(position) {
            outcome.status = OccurrenceStatus::Booked;
            outcome.booking = Some(to_booking(*model)?);
        }
    }
    Ok(SeriesOutcome {
        series: Some(to_series(series)?),
        occurrences,
    })
}

/// A series booked inside a transaction that is not yet committed.
pub(crate) struct BookedSeries {
    /// The series row.
    pub series: booking_series::Model,
    /// What became of each generated occurrence (booked ones still say `WouldBook`).
    pub occurrences: Vec<SeriesOccurrence>,
    /// The booked rows, with their position in `occurrences`.
    pub inserted: Vec<(usize, Box<booking::Model>)>,
}

/// Books every occurrence of `request` that can be booked inside `txn`, reporting the
/// others; the caller decides from the report whether to commit (see [`create`]).
pub(crate) async fn book_within(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    request: &SeriesRequest,
    now: DateTime<Utc>,
) -> Result<BookedSeries, SeriesError> {
    let facility = facilities::get(txn, request.facility_id).await?;
    if !facility.published && !access.can_see_private_facility_data(facility.owner_id) {
        return Err(AppError::not_found("facility", request.facility_id).into());
    }
    let zone = facility.spec.time_zone;
    let first_local = request.first.start().with_timezone(&zone).naive_local();
    let duration = request.first.end().with_timezone(&zone).naive_local() - first_local;
    let exceptions: Vec<ExceptionDate> = request
        .exception_dates
        .iter()
        .map(|d| ExceptionDate::Date(*d))
        .collect();
    let generated =
        expand(&request.rule, first_local, duration, zone, &[]).map_err(recurrence_error)?;
    let kept: HashSet<usize> = expand(&request.rule, first_local, duration, zone, &exceptions)
        .map_err(recurrence_error)?
        .iter()
        .map(Occurrence::index)
        .collect();
    let to_book: Vec<&Occurrence> = generated
        .iter()
        .filter(|o| kept.contains(&o.index()))
        .collect();
    check_no_self_overlap(&facility, &to_book)?;
    if to_book.is_empty() && !request.dry_run {
        return Err(ValidationError::new(
            "exceptionDates",
            "NO_OCCURRENCES",
            "the exception dates leave no occurrence to book",
        )
        .into());
    }
    if facility.spec.quota.is_limited() {
        lock_facility(txn, facility.id).await?;
    }
    let mut exception_dates = request.exception_dates.clone();
    exception_dates.sort_unstable();
    exception_dates.dedup();
    let series = booking_series::ActiveModel {
        facility_id: Set(facility.id.0),
        organisation_id: Set(request.organisation_id.0),
        rule: Set(request.rule.to_string()),
        first_start_local: Set(first_local.format(LOCAL_FORMAT).to_string()),
        duration_minutes: Set(i32::try_from(duration.num_minutes()).unwrap_or(i32::MAX)),
        time_zone: Set(zone.name().to_string()),
        exception_dates: Set(serde_json::to_string(&exception_dates).map_err(AppError::internal)?),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let writer = OccurrenceWriter {
        status: initial_status(access, &facility),
        rules: RuleContext::load(txn, facility.clone(), request.organisation_id).await?,
        user,
        series_id: series.id,
        organisation_id: request.organisation_id,
        details: &request.details,
        now,
    };
    let mut occurrences = Vec::with_capacity(generated.len());
    let mut inserted = Vec::new();
    for occurrence in &generated {
        let recurrence_id = occurrence.local_start();
        let mut outcome = SeriesOccurrence {
            recurrence_id,
            range: occurrence.range().ok(),
            status: OccurrenceStatus::WouldBook,
            problems: Vec::new(),
            conflicts: Vec::new(),
            booking: None,
        };
        if !kept.contains(&occurrence.index()) {
            outcome.status = OccurrenceStatus::Excluded;
        } else {
            match occurrence.range() {
                Err(problem) => {
                    outcome.status = OccurrenceStatus::NonexistentLocalTime;
                    outcome.problems = vec![nonexistent_problem(problem, recurrence_id)];
                }
                Ok(range) => match writer.book(txn, range, recurrence_id).await? {
                    Attempt::Booked(model) => inserted.push((occurrences.len(), model)),
                    Attempt::Broken(problems) => {
                        outcome.status = OccurrenceStatus::RuleViolation;
                        outcome.problems = problems;
                    }
                    Attempt::Taken(conflicts) => {
                        outcome.status = OccurrenceStatus::Conflict;
                        outcome.problems = vec![taken_problem(&conflicts)];
                        outcome.conflicts = conflicts;
                    }
                },
            }
        }
        occurrences.push(outcome);
    }
    let booked = inserted
        .iter()
        .map(|(_, model)| to_booking(model.as_ref().clone()))
        .collect::<AppResult<Vec<_>>>()?;
    let change = Change::SeriesBooked {
        series_id: series.id,
        booked: &booked,
        occurrences: &occurrences,
    };
    notify(txn, change, now).await?;
    Ok(BookedSeries {
        series,
        occurrences,
        inserted,
    })
}

/// The series with this id (callers check who may see it).
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Series> {
    booking_series::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("booking series", id))
        .and_then(to_series)
}

/// The bookings of a series (moved, cancelled and past ones too), by start.
pub async fn bookings_of(db: &impl ConnectionTrait, series: i64) -> AppResult<Vec<Booking>> {
    booking::Entity::find()
        .filter(booking::Column::SeriesId.eq(series))
        .order_by_asc(booking::Column::StartsAt)
        .order_by_asc(booking::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_booking)
        .collect()
}

/// Which occurrences of a series to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesScope {
    /// Every occurrence still to come.
    WholeSeries,
    /// The occurrence booked as this booking and every later one (by original start).
    ThisAndFollowing {
        /// A booking of the series.
        from: i64,
    },
}

/// What cancelling a series did.
#[derive(Debug, Clone)]
pub struct SeriesCancellation {
    /// The series' facility.
    pub facility: Facility,
    /// The occurrences cancelled now.
    pub cancelled: Vec<Booking>,
    /// Occurrences in scope left as they are, and why (e.g. the cancellation notice passed).
    pub kept: Vec<(Booking, ValidationError)>,
}

/// Cancels the occurrences of a series in `scope` as `user`, in one transaction, with the
/// rules of cancelling one booking: the booker's members within the cancellation notice
/// (later occurrences are still cancelled; those too close are reported as kept), the
/// facility's managers at any time, with a reason when it is not their own booking.
/// Occurrences that have begun, or no longer hold time, are left as they are.
pub async fn cancel(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    series_id: i64,
    scope: SeriesScope,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<SeriesCancellation> {
    let txn = database::begin_write(db).await?;
    let series = get(&txn, series_id).await?;
    let facility = facilities::get(&txn, series.facility_id).await?;
    let manager = access.can_manage_bookings_at(facility.owner_id);
    let booker = access.can_book_for(series.organisation_id);
    if !manager && !booker {
        return Err(
            if access.can_see_booking_of(series.organisation_id, facility.owner_id) {
                AppError::Forbidden("only the booker's members and the facility's managers cancel")
            } else {
                AppError::not_found("booking series", series_id)
            },
        );
    }
    if !booker && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(
            ValidationError::new("reason", "REASON_REQUIRED", "tell the booker why").into(),
        );
    }
    let rows = booking::Entity::find()
        .filter(booking::Column::SeriesId.eq(series_id))
        .order_by_asc(booking::Column::StartsAt)
        .order_by_asc(booking::Column::Id)
        .all(&txn)
        .await?;
    let from = match scope {
        SeriesScope::WholeSeries => None,
        SeriesScope::ThisAndFollowing { from } => Some(
            rows.iter()
                .find(|r| r.id == from)
                .map(|r| r.recurrence_id.clone())
                .ok_or_else(|| {
                    ValidationError::new(
                        "fromBookingId",
                        "NOT_IN_SERIES",
                        "the booking is not an occurrence of this series",
                    )
                })?,
        ),
    };
    let mut cancelled = Vec::new();
    let mut kept = Vec::new();
    for row in rows {
        if from.as_ref().is_some_and(|from| row.recurrence_id < *from) {
            continue;
        }
        let current = to_booking(row)?;
        if !current.status.blocks() || current.range.start() <= now {
            continue;
        }
        if !manager && !can_cancel(&facility.spec.rules, &current.range, now) {
            let why = ValidationError::new(
                "id",
                "CANCELLATION_TOO_LATE",
                "the facility's cancellation notice has passed; ask its contact person",
            );
            kept.push((current, why));
            continue;
        }
        occupancy::release(&txn, current.id).await?;
        let next = BookingStatus::Cancelled;
        set_status(&txn, &current, next, user, reason.as_deref(), now).await?;
        cancelled.push(super::get(&txn, current.id).await?);
    }
    let change = Change::Cancelled {
        bookings: &cancelled,
        by_manager: manager,
    };
    notify(&txn, change, now).await?;
    txn.commit().await?;
    Ok(SeriesCancellation {
        facility,
        cancelled,
        kept,
    })
}

/// Moves a booking (an occurrence of a series or a single one) to `range` as `user`: the
/// rules and conflicts are checked again, its old time is released and the new one held
/// in one write transaction, so on any failure nothing changes. Its status, series and
/// recurrence id stay; its sequence grows and the move is recorded in its history. The
/// booker's members move it while it could still be cancelled, managers at any time.
pub async fn move_booking(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: i64,
    range: TimeRange,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let txn = database::begin_write(db).await?;
    match move_within(&txn, access, user, id, range, now).await {
        Ok(moved) => {
            txn.commit().await?;
            Ok(moved)
        }
        Err(err) => {
            txn.rollback().await?;
            Err(match err {
                lost @ AppError::BookingConflict { .. } => {
                    let facility = super::get(db, id).await?.facility_id;
                    explain_after_rollback(db, lost, facility, &range).await
                }
                other => other,
            })
        }
    }
}

/// [`move_booking`] inside the caller's write transaction; on an error the caller rolls
/// back and passes it through [`explain_after_rollback`].
pub(crate) async fn move_within(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    id: i64,
    range: TimeRange,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let current = super::get(txn, id).await?;
    let facility = facilities::get(txn, current.facility_id).await?;
    let manager = access.can_manage_bookings_at(facility.owner_id);
    let booker = access.can_book_for(current.organisation_id);
    if !manager && !booker {
        return Err(
            if access.can_see_booking_of(current.organisation_id, facility.owner_id) {
                AppError::Forbidden("only the booker's members and the facility's managers move")
            } else {
                AppError::not_found("booking", id)
            },
        );
    }
    if !current.status.blocks() {
        return Err(AppError::Conflict {
            message: format!("a {} booking cannot be moved", current.status.as_ref()),
            field: Some("id".into()),
        });
    }
    if current.range.start() <= now {
        return Err(ValidationError::new(
            "id",
            "BOOKING_IN_PAST",
            "a booking that has begun cannot be moved",
        )
        .into());
    }
    if !manager && !can_cancel(&facility.spec.rules, &current.range, now) {
        return Err(ValidationError::new(
            "id",
            "CANCELLATION_TOO_LATE",
            "the facility's cancellation notice has passed; ask its contact person",
        )
        .into());
    }
    if range == current.range {
        return Ok(current);
    }
    if facility.spec.quota.is_limited() {
        lock_facility(txn, facility.id).await?;
    }
    let request = BookingRequest {
        facility_id: current.facility_id,
        organisation_id: current.organisation_id,
        range,
        details: current.details.clone(),
        client_key: None,
    };
    let problems = RuleContext::load(txn, facility.clone(), current.organisation_id)
        .await?
        .violations(txn, &request, now, true, Some(id))
        .await?;
    if !problems.is_empty() {
        return Err(AppError::RuleViolations(problems));
    }
    occupancy::release(txn, id).await?;
    booking::Entity::update_many()
        .col_expr(booking::Column::StartsAt, range.start().into())
        .col_expr(booking::Column::EndsAt, range.end().into())
        .col_expr(booking::Column::Sequence, (current.sequence + 1).into())
        .col_expr(booking::Column::UpdatedAt, now.into())
        .filter(booking::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let why = format!(
        "moved from {}–{}",
        current.range.start().to_rfc3339(),
        current.range.end().to_rfc3339()
    );
    let status = current.status;
    let entry = history_entry(id, Some(status), status, Some(user), Some(&why), now);
    record(txn, entry).await?;
    let units = occupancy::units_of(txn, facility.id).await?;
    let blocked = facility.spec.rules.blocked_range(&range);
    occupancy::hold(txn, id, &units, &blocked).await?;
    let moved = super::get(txn, id).await?;
    let change = Change::Moved {
        booking: &moved,
        from: current.range,
    };
    notify(txn, change, now).await?;
    Ok(moved)
}
