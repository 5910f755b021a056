//! Bookings: creating them under the rules, approving, rejecting, cancelling.
pub mod context;
pub mod occupancy;
pub mod series;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use entity::{
    booking, booking_history as history, facility as facility_entity,
    organisation as organisation_entity,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set, Statement,
};

use self::context::{FacilityRules, RulesCache};
use super::database;
use super::facilities::{self, Facility};
use super::notifications::{self, Change, Place, notify};
use super::opening_hours;
use super::organisations;
use super::organisations::Organisation;
use super::outbox;
use super::pagination::{Page, PageRequest, fetch_page};
use crate::domain::booking::BookingStatus;
use crate::domain::booking_rules::{RuleViolation, can_cancel, check_booking};
use crate::domain::facility::{booking_price_cents, policy_admits};
use crate::domain::ids::{FacilityId, OrganisationId, UserId};
use crate::domain::permissions::Access;
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};
use crate::mail::message::Recipient;

/// A booking as the service knows it.
#[derive(Debug, Clone)]
pub struct Booking {
    /// Id.
    pub id: i64,
    /// The facility booked.
    pub facility_id: FacilityId,
    /// The organisation that booked.
    pub organisation_id: OrganisationId,
    /// The user who booked.
    pub booked_by: UserId,
    /// The series this is an occurrence of.
    pub series_id: Option<i64>,
    /// Within a series, the occurrence's original local start (`YYYY-MM-DDTHH:MM:SS`).
    pub recurrence_id: Option<String>,
    /// The booked time, `[start, end)`.
    pub range: TimeRange,
    /// What the booking is, e.g. the name of the event.
    pub details: BookingDetails,
    /// Where it stands.
    pub status: BookingStatus,
    /// Why it was rejected or cancelled.
    pub status_reason: Option<String>,
    /// When the status last changed.
    pub status_changed_at: DateTime<Utc>,
    /// Who last changed the status.
    pub status_changed_by: Option<UserId>,
    /// What the booker pays, in euro cents (None for bookings made before prices were kept).
    pub price_cents: Option<i64>,
    /// Grows with every change a calendar would show.
    pub sequence: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What the booker tells about a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingDetails {
    /// Title, e.g. "Omaishoitajien vertaisryhmä".
    pub title: String,
    /// Purpose, longer.
    pub purpose: Option<String>,
    /// Expected number of people.
    pub attendees: Option<u32>,
    /// Shown with its title in public schedules (otherwise only as busy time).
    pub public: bool,
    /// Contact person's name.
    pub contact_name: Option<String>,
    /// Contact person's email.
    pub contact_email: Option<String>,
    /// Contact person's phone.
    pub contact_phone: Option<String>,
    /// Notes to the facility.
    pub notes: Option<String>,
}

/// A request to book.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// The facility.
    pub facility_id: FacilityId,
    /// The booking organisation.
    pub organisation_id: OrganisationId,
    /// The time.
    pub range: TimeRange,
    /// What it is.
    pub details: BookingDetails,
    /// A key the client chooses; repeating a request with it returns the first booking.
    pub client_key: Option<String>,
}

fn corrupt() -> AppError {
    AppError::internal("corrupt booking in the database")
}

pub(super) fn to_booking(m: booking::Model) -> AppResult<Booking> {
    Ok(Booking {
        id: m.id,
        facility_id: FacilityId(m.facility_id),
        organisation_id: OrganisationId(m.organisation_id),
        booked_by: UserId(m.booked_by),
        series_id: m.series_id,
        recurrence_id: m.recurrence_id,
        range: TimeRange::new(m.starts_at, m.ends_at).map_err(|_| corrupt())?,
        details: BookingDetails {
            title: m.title,
            purpose: m.purpose,
            attendees: m.attendees.and_then(|a| u32::try_from(a).ok()),
            public: m.public,
            contact_name: m.contact_name,
            contact_email: m.contact_email,
            contact_phone: m.contact_phone,
            notes: m.notes,
        },
        status: m.status.parse().map_err(|_| corrupt())?,
        status_reason: m.status_reason,
        status_changed_at: m.status_changed_at,
        status_changed_by: m.status_changed_by.map(UserId),
        price_cents: m.price_cents,
        sequence: m.sequence,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn violations(list: Vec<RuleViolation>) -> Vec<ValidationError> {
    list.into_iter()
        .map(|v| ValidationError::new(v.field(), v.code(), v.to_string()))
        .collect()
}

/// Locks the facility row on PostgreSQL, so that quota counts and their inserts
/// are serialised per facility (SQLite's `BEGIN IMMEDIATE` already serialises writers).
pub(super) async fn lock_facility(
    txn: &DatabaseTransaction,
    facility: FacilityId,
) -> AppResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        facility_entity::Entity::find_by_id(facility.0)
            .select_only()
            .column(facility_entity::Column::Id)
            .lock_exclusive()
            .into_tuple::<i64>()
            .one(txn)
            .await?;
    }
    Ok(())
}

/// What checking and announcing bookings of one facility by one organisation needs
/// besides the bookings themselves, read once: a series checks all its occurrences
/// against one.
pub(crate) struct RuleContext {
    facility: Facility,
    rules: Arc<FacilityRules>,
    booker: Organisation,
    booker_admitted: bool,
}

impl RuleContext {
    /// The context of `facility`'s `rules` for bookings by `booker`.
    pub(crate) fn new(facility: Facility, rules: Arc<FacilityRules>, booker: Organisation) -> Self {
        let is_owner = booker.id == facility.owner_id;
        let invited = rules.invited.contains(&booker.id);
        let booker_admitted =
            policy_admits(facility.spec.who_may_book, booker.kind, is_owner, invited);
        Self {
            facility,
            rules,
            booker,
            booker_admitted,
        }
    }

    /// Reads the rules of `facility` and the booking `organisation`.
    pub(crate) async fn load(
        db: &impl ConnectionTrait,
        facility: Facility,
        organisation: OrganisationId,
    ) -> AppResult<Self> {
        let rules = Arc::new(FacilityRules::load(db, &facility).await?);
        let booker = organisations::get(db, organisation).await?;
        Ok(Self::new(facility, rules, booker))
    }

    /// The context of `facility` for bookings by `booker`, with the facility's rules
    /// from `cache`.
    pub(crate) async fn cached(
        db: &impl ConnectionTrait,
        cache: &RulesCache,
        facility: Facility,
        booker: Organisation,
    ) -> AppResult<Self> {
        let rules = cache.rules_of(db, &facility).await?;
        Ok(Self::new(facility, rules, booker))
    }

    /// The facility.
    pub(crate) fn facility(&self) -> &Facility {
        &self.facility
    }

    /// The units a booking of the facility holds.
    pub(crate) fn units(&self) -> &[FacilityId] {
        &self.rules.units
    }

    /// Where the bookings are, as messages about them tell it.
    pub(crate) fn place(&self) -> Place {
        Place::new(
            self.facility.clone(),
            self.rules.municipality.clone(),
            self.booker.clone(),
        )
    }

    /// What booking `range` costs the booker, in euro cents.
    pub(super) fn price_cents(&self, range: &TimeRange) -> i64 {
        let facility = &self.facility;
        booking_price_cents(
            facility.spec.free_for_non_profit,
            &facility.spec.hourly_prices,
            self.booker.kind,
            self.booker.id == facility.owner_id,
            range.duration().num_minutes(),
        )
    }

    /// The rules `request` breaks, besides conflicts. Quotas count the organisation's
    /// bookings as `txn` sees them, leaving out booking `except` (one being moved).
    pub(super) async fn violations(
        &self,
        txn: &DatabaseTransaction,
        request: &BookingRequest,
        now: DateTime<Utc>,
        check_timing: bool,
        except: Option<i64>,
    ) -> AppResult<Vec<ValidationError>> {
        let facility = &self.facility;
        let spec = &facility.spec;
        let mut found = match check_booking(
            &spec.rules,
            &self.rules.weekly,
            &self.rules.exceptions,
            spec.time_zone,
            &request.range,
            request.details.attendees,
            Some(spec.capacity),
            now,
        ) {
            Ok(()) => Vec::new(),
            Err(list) => violations(list),
        };
        if !check_timing {
            found.retain(|v| !matches!(v.reason, "TOO_SHORT_NOTICE" | "TOO_FAR_IN_ADVANCE"));
        }
        if !self.booker_admitted {
            found.push(ValidationError::new(
                "organisationId",
                "BOOKER_NOT_ALLOWED",
                "the facility's owner does not lend it to this organisation",
            ));
        }
        if spec.quota.is_limited() {
            found.extend(quota_violations(txn, facility, request, now, except).await?);
        }
        Ok(found)
    }
}

/// The rules a booking of `facility` by `organisation` at `range` breaks, besides
/// conflicts. `existing` is the booking itself when an existing one is re-checked
/// (approval): then the timing rules of booking no longer apply, and quotas count
/// the organisation's other bookings only.
async fn rule_violations(
    txn: &DatabaseTransaction,
    facility: &Facility,
    request: &BookingRequest,
    now: DateTime<Utc>,
    existing: Option<i64>,
) -> AppResult<Vec<ValidationError>> {
    RuleContext::load(txn, facility.clone(), request.organisation_id)
        .await?
        .violations(txn, request, now, existing.is_none(), existing)
        .await
}

async fn quota_violations(
    txn: &DatabaseTransaction,
    facility: &Facility,
    request: &BookingRequest,
    now: DateTime<Utc>,
    except: Option<i64>,
) -> AppResult<Vec<ValidationError>> {
    let mut held = booking::Entity::find()
        .select_only()
        .column(booking::Column::StartsAt)
        .column(booking::Column::EndsAt)
        .filter(booking::Column::FacilityId.eq(facility.id.0))
        .filter(booking::Column::OrganisationId.eq(request.organisation_id.0))
        .filter(booking::Column::Status.is_in([
            BookingStatus::Pending.as_ref(),
            BookingStatus::Confirmed.as_ref(),
        ]))
        .filter(booking::Column::EndsAt.gt(now));
    if let Some(id) = except {
        held = held.filter(booking::Column::Id.ne(id));
    }
    let held: Vec<(DateTime<Utc>, DateTime<Utc>)> = held.into_tuple().all(txn).await?;
    let quota = facility.spec.quota;
    let mut found = Vec::new();
    if let Some(max) = quota.max_future_bookings
        && held.len() as u64 >= u64::from(max)
    {
        found.push(ValidationError::new(
            "organisationId",
            "QUOTA_EXCEEDED",
            format!("an organisation holds at most {max} future bookings of this facility"),
        ));
    }
    if let Some(max) = quota.max_weekly_minutes {
        let zone = facility.spec.time_zone;
        let week = |t: DateTime<Utc>| t.with_timezone(&zone).iso_week();
        let wanted = week(request.range.start());
        let booked: i64 = held
            .iter()
            .filter(|(start, _)| week(*start) == wanted)
            .map(|(start, end)| (*end - *start).num_minutes())
            .sum();
        if booked + request.range.duration().num_minutes() > i64::from(max) {
            found.push(ValidationError::new(
                "organisationId",
                "QUOTA_EXCEEDED",
                format!("an organisation books at most {max} minutes of this facility a week"),
            ));
        }
    }
    Ok(found)
}

/// Records a status change in the booking's history (`entry` from [`history_entry`]).
pub(super) async fn record(
    txn: &DatabaseTransaction,
    entry: history::ActiveModel,
) -> AppResult<()> {
    txn.execute_raw(history::Entity::insert(entry).build(txn.get_database_backend()))
        .await?;
    Ok(())
}

/// The history row of a status change: `booking` went `from` one status `to` the next.
pub(super) fn history_entry(
    booking: i64,
    from: Option<BookingStatus>,
    to: BookingStatus,
    actor: Option<UserId>,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> history::ActiveModel {
    history::ActiveModel {
        booking_id: Set(booking),
        from_status: Set(from.map(|s| s.as_ref().to_string())),
        to_status: Set(to.as_ref().to_string()),
        actor_id: Set(actor.map(|a| a.0)),
        reason: Set(reason.map(str::to_string)),
        at: Set(at),
        ..Default::default()
    }
}

async fn find_by_client_key(
    db: &impl ConnectionTrait,
    user: UserId,
    key: &str,
) -> AppResult<Option<Booking>> {
    booking::Entity::find()
        .filter(booking::Column::BookedBy.eq(user.0))
        .filter(booking::Column::ClientKey.eq(key))
        .one(db)
        .await?
        .map(to_booking)
        .transpose()
}

/// The facility to book and the organisation to book it for (None if there is none
/// with that id), read in one statement: a booking needs both before anything else.
pub async fn target(
    db: &impl ConnectionTrait,
    facility: FacilityId,
    organisation: OrganisationId,
) -> AppResult<(Facility, Option<Organisation>)> {
    let mut select =
        facility_entity::Entity::find_by_id(facility.0).select_also(organisation_entity::Entity);
    QueryTrait::query(&mut select).left_join(
        organisation_entity::Entity,
        organisation_entity::Column::Id.eq(organisation.0),
    );
    let (found, booker) = select
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("facility", facility))?;
    Ok((
        facilities::to_facility(found)?,
        booker.map(organisations::to_organisation).transpose()?,
    ))
}

fn same_request(existing: &Booking, request: &BookingRequest) -> AppResult<Booking> {
    if existing.facility_id == request.facility_id
        && existing.organisation_id == request.organisation_id
        && existing.range == request.range
    {
        Ok(existing.clone())
    } else {
        Err(AppError::Conflict {
            message: "this client key was used for a different booking".into(),
            field: Some("clientKey".into()),
        })
    }
}

/// Books `facility` for `organisation` (the request's, as [`target`] read them) as the
/// signed-in user of `access`, under the facility's rules; PENDING where the facility
/// wants approval (unless the booker manages it), CONFIRMED otherwise. A repeated
/// request with the same client key returns the first booking.
pub async fn create(
    db: &DatabaseConnection,
    cache: &RulesCache,
    access: &Access,
    facility: Facility,
    organisation: Organisation,
    request: BookingRequest,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let actor = access.actor().ok_or(AppError::Unauthenticated)?;
    let (user, booker) = (actor.user_id, notifications::acting(actor));
    // Read before the write transaction, so that SQLite's write lock is held only for
    // the writes; the database guard keeps conflicts out whatever was read, and the
    // unique client key a second booking with the same key.
    let context = RuleContext::cached(db, cache, facility, organisation).await?;
    if let Some(key) = &request.client_key
        && let Some(existing) = find_by_client_key(db, user, key).await?
    {
        return same_request(&existing, &request);
    }
    // Shared, since on SQLite the write may run again (see `write_in_group`).
    let booking = Arc::new((access.clone(), booker, context, request.clone()));
    let booked = database::write_in_group(db, move |txn| {
        let booking = booking.clone();
        Box::pin(async move {
            let (access, booker, context, wanted) = &*booking;
            book_within(txn, access, user, booker, context, wanted, now).await
        })
    })
    .await;
    match booked {
        Ok(inserted) => Ok(inserted),
        Err(err) => {
            // The same client key committed meanwhile: answer with that booking.
            if let Some(key) = &request.client_key
                && let Some(existing) = find_by_client_key(db, user, key).await?
            {
                return same_request(&existing, &request);
            }
            Err(explain_after_rollback(db, err, request.facility_id, &request.range).await)
        }
    }
}

/// Books `request` of the context's facility for `user` (whose address is `booker`)
/// inside the caller's write transaction (see [`create`]); on an error the caller rolls
/// back and passes the error through [`explain_after_rollback`]. After the booking's own
/// row, everything it writes goes to the database in one trip.
pub(crate) async fn book_within(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    booker: &Recipient,
    context: &RuleContext,
    request: &BookingRequest,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let facility = context.facility();
    if !facility.published && !access.can_see_private_facility_data(facility.owner_id) {
        return Err(AppError::not_found("facility", request.facility_id));
    }
    if facility.spec.quota.is_limited() {
        lock_facility(txn, facility.id).await?;
    }
    let problems = context.violations(txn, request, now, true, None).await?;
    if !problems.is_empty() {
        return Err(AppError::RuleViolations(problems));
    }
    let status = initial_status(access, facility);
    let price = context.price_cents(&request.range);
    let inserted = insert_row(txn, user, request, status, None, price, now).await?;
    let booking = to_booking(inserted.clone())?;
    let messages =
        notifications::created(txn, &booking, context.place(), booker.clone(), now).await?;
    let blocked = facility.spec.rules.blocked_range(&request.range);
    take_time(
        txn,
        &inserted,
        status,
        context.units(),
        &blocked,
        now,
        outbox::enqueue_statement(txn, messages, now).await?,
    )
    .await?;
    Ok(booking)
}

/// Completes an error of [`book_within`] once its transaction is rolled back: a lost race
/// (a `CONFLICT` without intervals) gets the intervals that now hold the time.
pub(crate) async fn explain_after_rollback(
    db: &DatabaseConnection,
    err: AppError,
    facility: FacilityId,
    range: &TimeRange,
) -> AppError {
    match err {
        AppError::BookingConflict { conflicts } if conflicts.is_empty() => {
            let facility = match facilities::get(db, facility).await {
                Ok(facility) => facility,
                Err(err) => return err,
            };
            let units = match occupancy::units_of(db, facility.id).await {
                Ok(units) => units,
                Err(err) => return err,
            };
            let blocked = facility.spec.rules.blocked_range(range);
            occupancy::conflict(db, &units, &blocked).await
        }
        other => other,
    }
}

/// PENDING where the facility wants approval (unless the booker manages it), CONFIRMED otherwise.
pub(super) fn initial_status(access: &Access, facility: &Facility) -> BookingStatus {
    if facility.spec.rules.approval_required() && !access.can_manage_bookings_at(facility.owner_id)
    {
        BookingStatus::Pending
    } else {
        BookingStatus::Confirmed
    }
}

/// Inserts the row of a new booking in `status`; `occurrence` is its series and
/// recurrence id when it is an occurrence of one. It holds no time yet: see [`take_time`].
pub(super) async fn insert_row(
    txn: &DatabaseTransaction,
    user: UserId,
    request: &BookingRequest,
    status: BookingStatus,
    occurrence: Option<(i64, String)>,
    price_cents: i64,
    now: DateTime<Utc>,
) -> Result<booking::Model, sea_orm::DbErr> {
    let details = request.details.clone();
    let (series_id, recurrence_id) = occurrence.unzip();
    booking::ActiveModel {
        facility_id: Set(request.facility_id.0),
        organisation_id: Set(request.organisation_id.0),
        booked_by: Set(user.0),
        series_id: Set(series_id),
        recurrence_id: Set(recurrence_id),
        starts_at: Set(request.range.start()),
        ends_at: Set(request.range.end()),
        title: Set(details.title),
        purpose: Set(details.purpose),
        attendees: Set(details
            .attendees
            .map(|a| i32::try_from(a).unwrap_or(i32::MAX))),
        public: Set(details.public),
        contact_name: Set(details.contact_name),
        contact_email: Set(details.contact_email),
        contact_phone: Set(details.contact_phone),
        notes: Set(details.notes),
        status: Set(status.as_ref().to_string()),
        status_reason: Set(None),
        status_changed_at: Set(now),
        status_changed_by: Set(Some(user.0)),
        client_key: Set(request.client_key.clone()),
        price_cents: Set(Some(price_cents)),
        sequence: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
}

/// Records the first status of a newly inserted booking, holds `blocked` on `units` for
/// it and runs `then` (its messages), all in one trip to the database where it can take
/// them so (see [`database::execute_together`]). On `CONFLICT` (its `conflicts` empty when
/// a concurrent writer won the race) the caller must roll back.
pub(super) async fn take_time(
    txn: &DatabaseTransaction,
    inserted: &booking::Model,
    status: BookingStatus,
    units: &[FacilityId],
    blocked: &TimeRange,
    now: DateTime<Utc>,
    then: Option<Statement>,
) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let booker = UserId(inserted.booked_by);
    let entry = history_entry(inserted.id, None, status, Some(booker), None, now);
    let mut statements = vec![history::Entity::insert(entry).build(backend)];
    statements.extend(occupancy::hold_statements(
        backend,
        inserted.id,
        units,
        blocked,
    ));
    statements.extend(then);
    database::execute_together(txn, statements)
        .await
        .map_err(occupancy::refused)
}

/// The booking with this id (callers check who may see what of it).
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<Booking> {
    booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("booking", id))
        .and_then(to_booking)
}

/// A status change someone asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A manager approves a pending booking; the rules are checked again.
    Approve,
    /// A manager turns a pending booking down.
    Reject,
    /// The booker (within the cancellation notice) or a manager cancels.
    Cancel,
}

/// Moves a booking to its next status as `user`, recording who, when and why.
pub async fn transition(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: i64,
    transition: Transition,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let txn = database::begin_write(db).await?;
    let changed = [apply(&txn, access, user, id, transition, reason.as_deref(), now).await?];
    notify_grouped(&txn, transition, &changed, now).await?;
    txn.commit().await?;
    let [(updated, _)] = changed;
    Ok(updated)
}

/// The most bookings one [`transition_all`] changes.
pub const MAX_BATCH: usize = 500;

/// Moves each of `ids` to its next status as `user`, in one change: all of them or, when
/// one cannot move, none (the error names it as `ids[i]`). Each booker hears once,
/// however many bookings and facilities.
pub async fn transition_all(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    ids: &[i64],
    transition: Transition,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Booking>> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(ValidationError::new(
            "ids",
            "BATCH_SIZE",
            format!("name from 1 to {MAX_BATCH} bookings"),
        )
        .into());
    }
    if let Some(at) = (1..ids.len()).find(|&i| ids[..i].contains(&ids[i])) {
        return Err(
            ValidationError::new(format!("ids[{at}]"), "DUPLICATE", "each booking once").into(),
        );
    }
    let txn = database::begin_write(db).await?;
    let mut changed = Vec::with_capacity(ids.len());
    for (at, &id) in ids.iter().enumerate() {
        let moved = apply(&txn, access, user, id, transition, reason.as_deref(), now)
            .await
            .map_err(|e| e.at_field("id", &format!("ids[{at}]")))?;
        changed.push(moved);
    }
    notify_grouped(&txn, transition, &changed, now).await?;
    txn.commit().await?;
    Ok(changed.into_iter().map(|(booking, _)| booking).collect())
}

/// Tells of `changed` bookings (each with whether a manager of its facility changed it)
/// by one change per booker and booking organisation (and whether managers made it):
/// each booker hears once, however many bookings and facilities.
pub(crate) async fn notify_grouped(
    txn: &DatabaseTransaction,
    transition: Transition,
    changed: &[(Booking, bool)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut groups: BTreeMap<_, Vec<Booking>> = BTreeMap::new();
    for (booking, manager) in changed {
        let key = (booking.booked_by, booking.organisation_id, *manager);
        groups.entry(key).or_default().push(booking.clone());
    }
    for ((_, _, manager), group) in &groups {
        notify(txn, Change::of_transition(transition, group, *manager), now).await?;
    }
    Ok(())
}

/// Checks and writes one transition without telling anyone ([`notify_grouped`] does);
/// the booking as it is now, and whether a manager of its facility made the change.
pub(crate) async fn apply(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    id: i64,
    transition: Transition,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<(Booking, bool)> {
    let current = get(txn, id).await?;
    let facility = facilities::get(txn, current.facility_id).await?;
    let manager = access.can_manage_bookings_at(facility.owner_id);
    let booker = access.can_book_for(current.organisation_id);
    let allowed = manager || (booker && transition == Transition::Cancel);
    if !allowed {
        return Err(
            if access.can_see_booking_of(current.organisation_id, facility.owner_id) {
                AppError::Forbidden("only the facility's managers approve and reject bookings")
            } else {
                AppError::not_found("booking", id)
            },
        );
    }
    let next = match transition {
        Transition::Approve => BookingStatus::Confirmed,
        Transition::Reject => BookingStatus::Rejected,
        Transition::Cancel => BookingStatus::Cancelled,
    };
    if !current.status.can_become(next) {
        return Err(AppError::Conflict {
            message: format!(
                "a {} booking cannot become {}",
                current.status.as_ref(),
                next.as_ref()
            ),
            field: Some("id".into()),
        });
    }
    match transition {
        Transition::Approve => {
            if current.range.start() <= now {
                return Err(ValidationError::new(
                    "id",
                    "BOOKING_IN_PAST",
                    "a booking that has begun cannot be approved",
                )
                .into());
            }
            let request = BookingRequest {
                facility_id: current.facility_id,
                organisation_id: current.organisation_id,
                range: current.range,
                details: current.details.clone(),
                client_key: None,
            };
            let problems = rule_violations(txn, &facility, &request, now, Some(id)).await?;
            if !problems.is_empty() {
                return Err(AppError::RuleViolations(problems));
            }
        }
        Transition::Reject | Transition::Cancel => {
            if !manager && !can_cancel(&facility.spec.rules, &current.range, now) {
                return Err(ValidationError::new(
                    "id",
                    "CANCELLATION_TOO_LATE",
                    "the facility's cancellation notice has passed; ask its contact person",
                )
                .into());
            }
            // A manager acting on someone else's booking tells them why.
            if !booker && reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(ValidationError::new(
                    "reason",
                    "REASON_REQUIRED",
                    "tell the booker why",
                )
                .into());
            }
            occupancy::release(txn, id).await?;
        }
    }
    set_status(txn, &current, next, user, reason, now).await?;
    Ok((get(txn, id).await?, manager))
}

/// Moves `current` to status `next` as `user` and records it (holds are the caller's).
pub(super) async fn set_status(
    txn: &DatabaseTransaction,
    current: &Booking,
    next: BookingStatus,
    user: UserId,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    booking::Entity::update_many()
        .col_expr(booking::Column::Status, next.as_ref().into())
        .col_expr(
            booking::Column::StatusReason,
            reason.map(str::to_string).into(),
        )
        .col_expr(booking::Column::StatusChangedAt, now.into())
        .col_expr(booking::Column::StatusChangedBy, Some(user.0).into())
        .col_expr(booking::Column::Sequence, (current.sequence + 1).into())
        .col_expr(booking::Column::UpdatedAt, now.into())
        .filter(booking::Column::Id.eq(current.id))
        .exec(txn)
        .await?;
    record(
        txn,
        history_entry(
            current.id,
            Some(current.status),
            next,
            Some(user),
            reason,
            now,
        ),
    )
    .await
}

/// Filters of the booking list.
#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    /// Bookings of this facility.
    pub facility_id: Option<FacilityId>,
    /// Bookings made by this organisation.
    pub organisation_id: Option<OrganisationId>,
    /// Bookings that end after this.
    pub from: Option<DateTime<Utc>>,
    /// Bookings that start before this.
    pub to: Option<DateTime<Utc>>,
    /// Only these statuses.
    pub statuses: Vec<BookingStatus>,
}

/// One page of bookings matching `filter`, by id.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &BookingFilter,
    page: PageRequest,
) -> AppResult<Page<Booking>> {
    let mut select = booking::Entity::find();
    if let Some(facility) = filter.facility_id {
        select = select.filter(booking::Column::FacilityId.eq(facility.0));
    }
    if let Some(organisation) = filter.organisation_id {
        select = select.filter(booking::Column::OrganisationId.eq(organisation.0));
    }
    if let Some(from) = filter.from {
        select = select.filter(booking::Column::EndsAt.gt(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(booking::Column::StartsAt.lt(to));
    }
    if !filter.statuses.is_empty() {
        select = select
            .filter(booking::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_ref())));
    }
    let page = fetch_page(db, select, booking::Column::Id, page).await?;
    Ok(Page {
        rows: page
            .rows
            .into_iter()
            .map(to_booking)
            .collect::<AppResult<_>>()?,
        has_next_page: page.has_next_page,
        count: page.count,
    })
}

/// The free time of a facility inside `window`: open hours minus closures minus
/// every hold on it or its parts (buffers included).
pub async fn availability(
    db: &impl ConnectionTrait,
    facility: &Facility,
    window: &TimeRange,
) -> AppResult<Vec<TimeRange>> {
    let weekly = opening_hours::weekly_hours_of(db, &[facility.id])
        .await?
        .remove(&facility.id)
        .unwrap_or_default();
    let exceptions = opening_hours::exceptions_of(db, &[facility.id])
        .await?
        .remove(&facility.id)
        .unwrap_or_default();
    let open = crate::domain::opening_hours::open_ranges(
        &weekly,
        &exceptions,
        facility.spec.time_zone,
        *window,
    );
    let units = occupancy::units_of(db, facility.id).await?;
    let held = occupancy::holds_overlapping(db, &units, window).await?;
    Ok(crate::domain::availability::free_ranges(
        &open, &held, *window, None,
    ))
}

/// The longest window availability is computed for at once.
pub const MAX_AVAILABILITY_WINDOW: Duration = Duration::days(62);
