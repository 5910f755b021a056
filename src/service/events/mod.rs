//! Events: creating them with their venue bookings in one transaction, reading them, and
//! the data feeds and listings need (occurrences, hosts, bookings).
mod changes;
mod cohosts;
mod listing;

pub use changes::{
    EventUpdate, cancel, cancel_occurrence, move_occurrence, postpone, publish, reschedule, update,
};
pub use cohosts::{Cohost, answer_invitation, cohosts_of, invite_cohost, remove_cohost};
pub(in crate::service) use listing::matching;
pub use listing::{EventFilter, ListedEvent, list};

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use entity::{booking, event, event_booking, event_cohost, event_occurrence};
use enumflags2::BitFlags;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set, StreamTrait, TransactionTrait,
};

use super::bookings::series::{self as booking_series, LOCAL_FORMAT, SeriesError, SeriesRequest};
use super::bookings::{self, Booking, BookingDetails, BookingRequest, RuleContext, occupancy};
use super::database;
use super::facilities::{self, Facility};
use super::notifications;
use super::organisations;
use super::packed;
use crate::domain::contact::WebAddress;
use crate::domain::event::{
    AgeRange, CohostStatus, EventHosts, EventSpec, EventStatus, EventVisibility, ExternalPlace,
    Publication, slug,
};
use crate::domain::ids::{EventId, FacilityId, OrganisationId, UserId};
use crate::domain::localized::{Language, LocalizedText, search_text};
use crate::domain::permissions::Access;
use crate::domain::recurrence::{ExceptionDate, RecurrenceRule, expand};
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};

/// When an event takes place: its (first) time, and how it repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The zone its wall-clock times are in.
    pub zone: Tz,
    /// The (first) occurrence.
    pub first: TimeRange,
    /// How it repeats, for a recurring event.
    pub recurrence: Option<Recurrence>,
}

/// How a recurring event repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    /// The RRULE.
    pub rule: RecurrenceRule,
    /// Local dates without an occurrence (EXDATE).
    pub exception_dates: Vec<NaiveDate>,
}

/// An event as the service knows it.
#[derive(Debug, Clone)]
pub struct Event {
    /// Id.
    pub id: EventId,
    /// The organising organisation.
    pub organiser_id: OrganisationId,
    /// Who created it.
    pub created_by: UserId,
    /// The stable part of its public address.
    pub slug: String,
    /// What it is.
    pub spec: EventSpec,
    /// When.
    pub schedule: Schedule,
    /// The municipality it is in (its venue's, its place's, or the organiser's).
    pub municipality_code: String,
    /// Where it stands.
    pub status: EventStatus,
    /// Why it was cancelled or postponed, for the public.
    pub status_reason: Option<String>,
    /// Who may find it.
    pub visibility: EventVisibility,
    /// Whether it is out.
    pub publication: Publication,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Grows with every change a calendar would show.
    pub sequence: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl Event {
    /// Listed publicly: public and published.
    pub fn is_listed(&self) -> bool {
        self.visibility == EventVisibility::Public && self.publication == Publication::Published
    }

    /// Open to anyone who has its address: published and not private.
    pub fn is_open(&self) -> bool {
        self.visibility != EventVisibility::Private && self.publication == Publication::Published
    }

    /// How `occurrence` stands: a cancelled or postponed event's occurrences all do so;
    /// otherwise an occurrence cancelled or moved on its own says so.
    pub fn occurrence_status(&self, occurrence: &Occurrence) -> EventStatus {
        match (self.status, occurrence.status) {
            (EventStatus::Cancelled | EventStatus::Postponed, _) => self.status,
            (_, own @ (EventStatus::Cancelled | EventStatus::Rescheduled)) => own,
            _ => self.status,
        }
    }

    /// Why `occurrence` stands as it does, for the public.
    pub fn occurrence_reason<'a>(&'a self, occurrence: &'a Occurrence) -> Option<&'a str> {
        match self.status {
            EventStatus::Cancelled | EventStatus::Postponed => self.status_reason.as_deref(),
            _ => occurrence.status_reason.as_deref(),
        }
    }

    /// Its title in `language`, or in whichever language it has.
    pub fn title(&self, language: Language) -> &str {
        self.spec.title.best(language).unwrap_or_default()
    }
}

/// One time an event takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Id.
    pub id: i64,
    /// The event.
    pub event_id: EventId,
    /// Within a series, its original local start (the RECURRENCE-ID of calendars).
    pub recurrence_id: Option<NaiveDateTime>,
    /// When it takes place now.
    pub range: TimeRange,
    /// This occurrence's own status: CANCELLED or RESCHEDULED when changed alone.
    pub status: EventStatus,
    /// Why it was cancelled, for the public.
    pub status_reason: Option<String>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// What an event is held in: a new booking of a facility, or a booking already made.
#[derive(Debug, Clone)]
pub enum Venue {
    /// Book this facility for the event's time (every occurrence of a recurring event).
    NewBooking {
        /// The facility.
        facility_id: FacilityId,
        /// Expected number of people.
        attendees: Option<u32>,
    },
    /// Use a booking of the organiser's that covers the event's time.
    Booking {
        /// The booking.
        booking_id: i64,
    },
}

/// An event to create.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The organising organisation.
    pub organiser_id: OrganisationId,
    /// What it is.
    pub spec: EventSpec,
    /// When.
    pub schedule: Schedule,
    /// Booked facilities it is held in.
    pub venues: Vec<Venue>,
    /// Who may find it.
    pub visibility: EventVisibility,
    /// Draft or published.
    pub publication: Publication,
}

fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("corrupt event {what} in the database"))
}

fn parse_local(text: &str) -> AppResult<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, LOCAL_FORMAT).map_err(|_| corrupt("recurrence id"))
}

fn web(value: Option<String>) -> AppResult<Option<WebAddress>> {
    value
        .map(|v| WebAddress::parse("url", &v).map_err(|_| corrupt("address")))
        .transpose()
}

pub(in crate::service) fn to_event(m: event::Model) -> AppResult<Event> {
    let zone: Tz = m.time_zone.parse().map_err(|_| corrupt("time zone"))?;
    let recurrence = m
        .recurrence_rule
        .as_deref()
        .map(|rule| {
            Ok::<_, AppError>(Recurrence {
                rule: RecurrenceRule::parse(rule).map_err(|_| corrupt("rule"))?,
                exception_dates: serde_json::from_str(&m.exception_dates)
                    .map_err(|_| corrupt("exception dates"))?,
            })
        })
        .transpose()?;
    let external_place = m.place_name.map(|name| ExternalPlace {
        name,
        street_address: m.street_address,
        postal_code: m.postal_code,
        municipality_code: m.municipality_code.clone(),
        coordinates: m.latitude.zip(m.longitude),
    });
    let bits = |value: i64| u32::try_from(value).map_err(|_| corrupt("flags"));
    Ok(Event {
        id: EventId(m.id),
        organiser_id: OrganisationId(m.organiser_id),
        created_by: UserId(m.created_by),
        slug: m.slug,
        spec: EventSpec {
            title: LocalizedText::optional(m.title_fi, m.title_sv, m.title_en),
            summary: LocalizedText::optional(m.summary_fi, m.summary_sv, m.summary_en),
            description: LocalizedText::optional(
                m.description_fi,
                m.description_sv,
                m.description_en,
            ),
            external_place,
            online_url: web(m.online_url)?,
            themes: BitFlags::from_bits_truncate(bits(m.themes)?),
            target_groups: BitFlags::from_bits_truncate(bits(m.target_groups)?),
            languages: BitFlags::from_bits_truncate(
                u8::try_from(m.languages).map_err(|_| corrupt("languages"))?,
            ),
            is_free: m.is_free,
            price: LocalizedText::optional(m.price_fi, m.price_sv, m.price_en),
            registration_url: web(m.registration_url)?,
            registration_capacity: m.registration_capacity.and_then(|c| u32::try_from(c).ok()),
            accessibility: BitFlags::from_bits_truncate(bits(m.accessibility)?),
            accessibility_info: LocalizedText::optional(
                m.accessibility_info_fi,
                m.accessibility_info_sv,
                m.accessibility_info_en,
            ),
            age: AgeRange::new(m.min_age, m.max_age).map_err(|_| corrupt("ages"))?,
            keywords: serde_json::from_str(&m.keywords).map_err(|_| corrupt("keywords"))?,
            image_url: web(m.image_url)?,
            info_url: web(m.info_url)?,
        },
        schedule: Schedule {
            zone,
            first: TimeRange::new(m.starts_at, m.ends_at).map_err(|_| corrupt("time"))?,
            recurrence,
        },
        municipality_code: m.municipality_code,
        status: m.status.parse().map_err(|_| corrupt("status"))?,
        status_reason: m.status_reason,
        visibility: m.visibility.parse().map_err(|_| corrupt("visibility"))?,
        publication: m.publication.parse().map_err(|_| corrupt("publication"))?,
        published_at: m.published_at,
        sequence: m.sequence,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(super) fn to_occurrence(m: event_occurrence::Model) -> AppResult<Occurrence> {
    Ok(Occurrence {
        id: m.id,
        event_id: EventId(m.event_id),
        recurrence_id: m.recurrence_id.as_deref().map(parse_local).transpose()?,
        range: TimeRange::new(m.starts_at, m.ends_at).map_err(|_| corrupt("occurrence"))?,
        status: m.status.parse().map_err(|_| corrupt("occurrence status"))?,
        status_reason: m.status_reason,
        updated_at: m.updated_at,
    })
}

/// Writes what `spec` says into an event row, with the text search copy.
fn apply_spec(spec: &EventSpec, model: &mut event::ActiveModel) -> AppResult<()> {
    let spec = spec.clone();
    let keywords = LocalizedText::optional(Some(spec.keywords.join(" ")), None, None);
    model.search_text = Set(search_text([
        &spec.title,
        &spec.summary,
        &spec.description,
        &keywords,
    ]));
    let (fi, sv, en) = spec.title.into_parts();
    (model.title_fi, model.title_sv, model.title_en) = (Set(fi), Set(sv), Set(en));
    let (fi, sv, en) = spec.summary.into_parts();
    (model.summary_fi, model.summary_sv, model.summary_en) = (Set(fi), Set(sv), Set(en));
    let (fi, sv, en) = spec.description.into_parts();
    (
        model.description_fi,
        model.description_sv,
        model.description_en,
    ) = (Set(fi), Set(sv), Set(en));
    let place = spec.external_place;
    model.place_name = Set(place.as_ref().map(|p| p.name.clone()));
    model.street_address = Set(place.as_ref().and_then(|p| p.street_address.clone()));
    model.postal_code = Set(place.as_ref().and_then(|p| p.postal_code.clone()));
    model.latitude = Set(place.as_ref().and_then(|p| p.coordinates.map(|c| c.0)));
    model.longitude = Set(place.as_ref().and_then(|p| p.coordinates.map(|c| c.1)));
    if let Some(place) = place {
        model.municipality_code = Set(place.municipality_code);
    }
    let text = |url: Option<WebAddress>| url.map(|u| u.as_str().to_string());
    model.online_url = Set(text(spec.online_url));
    model.themes = Set(i64::from(spec.themes.bits()));
    model.target_groups = Set(i64::from(spec.target_groups.bits()));
    model.languages = Set(i64::from(spec.languages.bits()));
    model.is_free = Set(spec.is_free);
    let (fi, sv, en) = spec.price.into_parts();
    (model.price_fi, model.price_sv, model.price_en) = (Set(fi), Set(sv), Set(en));
    model.registration_url = Set(text(spec.registration_url));
    model.registration_capacity = Set(spec
        .registration_capacity
        .map(|c| i32::try_from(c).unwrap_or(i32::MAX)));
    model.accessibility = Set(i64::from(spec.accessibility.bits()));
    let (fi, sv, en) = spec.accessibility_info.into_parts();
    (
        model.accessibility_info_fi,
        model.accessibility_info_sv,
        model.accessibility_info_en,
    ) = (Set(fi), Set(sv), Set(en));
    model.min_age = Set(spec.age.min().map(i32::from));
    model.max_age = Set(spec.age.max().map(i32::from));
    model.keywords = Set(serde_json::to_string(&spec.keywords).map_err(AppError::internal)?);
    model.image_url = Set(text(spec.image_url));
    model.info_url = Set(text(spec.info_url));
    Ok(())
}

/// The event with this id (callers check who may see it).
pub async fn get(db: &impl ConnectionTrait, id: EventId) -> AppResult<Event> {
    event::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("event", id))
        .and_then(to_event)
}

/// The event with this slug (callers check who may see it).
pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> AppResult<Event> {
    event::Entity::find()
        .filter(event::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("event", slug))
        .and_then(to_event)
}

/// The event of `organiser` with this Finnish title, if there is one (for idempotent seeding).
pub async fn find_by_finnish_title(
    db: &impl ConnectionTrait,
    organiser: OrganisationId,
    title_fi: &str,
) -> AppResult<Option<EventId>> {
    Ok(event::Entity::find()
        .filter(event::Column::OrganiserId.eq(organiser.0))
        .filter(event::Column::TitleFi.eq(title_fi))
        .one(db)
        .await?
        .map(|e| EventId(e.id)))
}

/// The events with these ids, in no particular order.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[EventId]) -> AppResult<Vec<Event>> {
    event::Entity::find()
        .filter(event::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(db)
        .await?
        .into_iter()
        .map(to_event)
        .collect()
}

/// Who hosts each of these events (organiser, accepted and invited co-hosts).
pub async fn hosts_of(
    db: &impl ConnectionTrait,
    events: &[&Event],
) -> AppResult<HashMap<EventId, EventHosts>> {
    let mut hosts: HashMap<EventId, EventHosts> = events
        .iter()
        .map(|e| {
            (
                e.id,
                EventHosts {
                    organiser: e.organiser_id,
                    accepted: Vec::new(),
                    invited: Vec::new(),
                },
            )
        })
        .collect();
    let rows = event_cohost::Entity::find()
        .filter(event_cohost::Column::EventId.is_in(events.iter().map(|e| e.id.0)))
        .order_by_asc(event_cohost::Column::InvitedAt)
        .all(db)
        .await?;
    for row in rows {
        let status: CohostStatus = row.status.parse().map_err(|_| corrupt("co-host"))?;
        if let Some(entry) = hosts.get_mut(&EventId(row.event_id)) {
            let organisation = OrganisationId(row.organisation_id);
            match status {
                CohostStatus::Accepted => entry.accepted.push(organisation),
                CohostStatus::Invited => entry.invited.push(organisation),
                CohostStatus::Declined => {}
            }
        }
    }
    Ok(hosts)
}

/// The hosts of one event.
pub async fn hosts(db: &impl ConnectionTrait, event: &Event) -> AppResult<EventHosts> {
    hosts_of(db, &[event])
        .await?
        .remove(&event.id)
        .ok_or_else(|| corrupt("hosts"))
}

/// The occurrences of these events, by start; only those overlapping `window` if given.
pub async fn occurrences_of(
    db: &(impl ConnectionTrait + StreamTrait),
    events: &[EventId],
    window: Option<&TimeRange>,
) -> AppResult<HashMap<EventId, Vec<Occurrence>>> {
    let mut select = event_occurrence::Entity::find()
        .filter(event_occurrence::Column::EventId.is_in(events.iter().map(|e| e.0)));
    if let Some(window) = window {
        select = select
            .filter(event_occurrence::Column::EndsAt.gt(window.start()))
            .filter(event_occurrence::Column::StartsAt.lt(window.end()));
    }
    let mut found: HashMap<EventId, Vec<Occurrence>> = HashMap::new();
    for occurrence in packed::read(db, select, to_occurrence).await? {
        found
            .entry(occurrence.event_id)
            .or_default()
            .push(occurrence);
    }
    for occurrences in found.values_mut() {
        occurrences.sort_by_key(|o| (o.range.start(), o.id));
    }
    Ok(found)
}

/// A booking that is an event's venue, with the occurrence it is for.
#[derive(Debug, Clone)]
pub struct VenueBooking {
    /// The occurrence.
    pub occurrence_id: i64,
    /// The booking.
    pub booking: Booking,
}

/// The events with a venue booking at `facility`.
pub(in crate::service) fn held_at(facility: FacilityId) -> SelectStatement {
    Query::select()
        .column((event_booking::Entity, event_booking::Column::EventId))
        .from(event_booking::Entity)
        .inner_join(
            booking::Entity,
            Expr::col((booking::Entity, booking::Column::Id))
                .equals((event_booking::Entity, event_booking::Column::BookingId)),
        )
        .and_where(booking::Column::FacilityId.eq(facility.0))
        .to_owned()
}

/// The venue bookings of these events, by start.
pub async fn bookings_of(
    db: &impl ConnectionTrait,
    events: &[EventId],
) -> AppResult<HashMap<EventId, Vec<VenueBooking>>> {
    let links = event_booking::Entity::find()
        .filter(event_booking::Column::EventId.is_in(events.iter().map(|e| e.0)))
        .all(db)
        .await?;
    let rows = booking::Entity::find()
        .filter(booking::Column::Id.is_in(links.iter().map(|l| l.booking_id)))
        .order_by_asc(booking::Column::StartsAt)
        .order_by_asc(booking::Column::Id)
        .all(db)
        .await?;
    let link_of: HashMap<i64, &event_booking::Model> =
        links.iter().map(|l| (l.booking_id, l)).collect();
    let mut found: HashMap<EventId, Vec<VenueBooking>> = HashMap::new();
    for row in rows {
        let Some(link) = link_of.get(&row.id) else {
            continue;
        };
        found
            .entry(EventId(link.event_id))
            .or_default()
            .push(VenueBooking {
                occurrence_id: link.occurrence_id,
                booking: bookings::to_booking(row)?,
            });
    }
    Ok(found)
}

/// The occurrences a schedule gives: one for a single event, the expanded series for a
/// recurring one (each with its recurrence id). A series occurrence whose local time does
/// not exist is a `VALIDATION` error on `start`.
fn planned_occurrences(
    schedule: &Schedule,
) -> Result<Vec<(Option<NaiveDateTime>, TimeRange)>, ValidationError> {
    let Some(recurrence) = &schedule.recurrence else {
        return Ok(vec![(None, schedule.first)]);
    };
    let zone = schedule.zone;
    let first_local = schedule.first.start().with_timezone(&zone).naive_local();
    let duration = schedule.first.end().with_timezone(&zone).naive_local() - first_local;
    let exceptions: Vec<ExceptionDate> = recurrence
        .exception_dates
        .iter()
        .map(|d| ExceptionDate::Date(*d))
        .collect();
    let occurrences =
        expand(&recurrence.rule, first_local, duration, zone, &exceptions).map_err(|e| {
            let field = if e.field() == "rule" {
                "recurrence.rule"
            } else {
                e.field()
            };
            ValidationError::new(field, e.code(), e.to_string())
        })?;
    if occurrences.is_empty() {
        return Err(ValidationError::new(
            "recurrence.exceptionDates",
            "NO_OCCURRENCES",
            "the exception dates leave no occurrence",
        ));
    }
    occurrences
        .iter()
        .map(|o| {
            o.range()
                .map(|range| (Some(o.local_start()), range))
                .map_err(|problem| {
                    ValidationError::new("start", problem.code(), problem.to_string())
                })
        })
        .collect()
}

/// The booking details of a venue booking made for an event: shown with its title in
/// public schedules only while the event is `listed` (public and published), so a draft's
/// or a private event's name never appears there.
fn booking_details(spec: &EventSpec, listed: bool, attendees: Option<u32>) -> BookingDetails {
    BookingDetails {
        title: spec
            .title
            .best(Language::Fi)
            .unwrap_or_default()
            .to_string(),
        purpose: spec.summary.best(Language::Fi).map(str::to_string),
        attendees,
        public: listed,
        contact_name: None,
        contact_email: None,
        contact_phone: None,
        notes: None,
    }
}

/// The intervals that hold `range` of a facility now, as a `CONFLICT`: the answer to a
/// lost race, once the savepoint of the refused write is rolled back.
async fn conflict_now(
    txn: &DatabaseTransaction,
    facility: FacilityId,
    range: &TimeRange,
) -> AppError {
    let found = async {
        let facility = facilities::get(txn, facility).await?;
        let units = occupancy::units_of(txn, facility.id).await?;
        Ok::<_, AppError>((facility, units))
    }
    .await;
    match found {
        Ok((facility, units)) => {
            occupancy::conflict(txn, &units, &facility.spec.rules.blocked_range(range)).await
        }
        Err(err) => err,
    }
}

/// Books `request` inside a savepoint of `txn`, so that a lost race (the database guard
/// refusing the hold) can still be answered with the intervals that hold the time.
async fn book_guarded(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    facility: &Facility,
    request: &BookingRequest,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let context = RuleContext::load(txn, facility.clone(), request.organisation_id).await?;
    let booker = notifications::booker(txn, user).await?;
    let savepoint = txn.begin().await?;
    match bookings::book_within(&savepoint, access, user, &booker, &context, request, now).await {
        Ok(model) => {
            savepoint.commit().await?;
            Ok(model)
        }
        Err(AppError::BookingConflict { conflicts }) if conflicts.is_empty() => {
            savepoint.rollback().await?;
            Err(conflict_now(txn, request.facility_id, &request.range).await)
        }
        Err(err) => Err(err),
    }
}

/// Moves a venue booking inside a savepoint of `txn`, like [`book_guarded`].
async fn move_guarded(
    txn: &DatabaseTransaction,
    access: &Access,
    user: UserId,
    booking: &Booking,
    range: TimeRange,
    now: DateTime<Utc>,
) -> AppResult<Booking> {
    let savepoint = txn.begin().await?;
    match booking_series::move_within(&savepoint, access, user, booking.id, range, now).await {
        Ok(moved) => {
            savepoint.commit().await?;
            Ok(moved)
        }
        Err(AppError::BookingConflict { conflicts }) if conflicts.is_empty() => {
            savepoint.rollback().await?;
            Err(conflict_now(txn, booking.facility_id, &range).await)
        }
        Err(err) => Err(err),
    }
}

/// Creates an event with its occurrences and venue bookings in one write transaction: if
/// any booking conflicts or breaks a facility's rules, nothing is created. A recurring
/// event books each venue facility as a series, one booking per occurrence.
pub async fn create(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    new: NewEvent,
    now: DateTime<Utc>,
) -> Result<Event, SeriesError> {
    if !access.can_host_for(new.organiser_id) {
        return Err(
            AppError::Forbidden("you create events only for organisations you belong to").into(),
        );
    }
    new.spec
        .validate(!new.venues.is_empty())
        .map_err(|e| e.within("details"))?;
    if new.schedule.recurrence.is_some()
        && let Some(i) = new
            .venues
            .iter()
            .position(|v| matches!(v, Venue::Booking { .. }))
    {
        return Err(ValidationError::new(
            format!("venues.{i}.bookingId"),
            "SERIES_NEEDS_NEW_BOOKINGS",
            "a recurring event books its facilities itself: give facilityId",
        )
        .into());
    }
    let planned = planned_occurrences(&new.schedule)?;
    let txn = database::begin_write(db).await?;
    let organiser = organisations::get(&txn, new.organiser_id).await?;
    let mut venue_facilities: Vec<(Facility, Option<Booking>)> = Vec::new();
    for (i, venue) in new.venues.iter().enumerate() {
        let field = |name: &str| format!("venues.{i}.{name}");
        let (facility, existing) = match venue {
            Venue::NewBooking { facility_id, .. } => {
                (facilities::get(&txn, *facility_id).await?, None)
            }
            Venue::Booking { booking_id } => {
                let booking = bookings::get(&txn, *booking_id).await?;
                let facility = facilities::get(&txn, booking.facility_id).await?;
                if !access.can_book_for(booking.organisation_id) {
                    return Err(AppError::not_found("booking", booking_id).into());
                }
                if !booking.status.blocks() {
                    return Err(ValidationError::new(
                        field("bookingId"),
                        "BOOKING_NOT_ACTIVE",
                        "the booking is cancelled or rejected",
                    )
                    .into());
                }
                if !booking.range.contains_range(&new.schedule.first) {
                    return Err(ValidationError::new(
                        field("bookingId"),
                        "BOOKING_DOES_NOT_COVER_EVENT",
                        "the booking does not cover the event's time",
                    )
                    .into());
                }
                let taken = event_booking::Entity::find_by_id(booking.id)
                    .one(&txn)
                    .await?;
                if taken.is_some() {
                    return Err(AppError::Conflict {
                        message: "the booking is already the venue of another event".into(),
                        field: Some(field("bookingId")),
                    }
                    .into());
                }
                (facility, Some(booking))
            }
        };
        if facility.spec.time_zone != new.schedule.zone {
            return Err(ValidationError::new(
                field("facilityId"),
                "TIME_ZONE_MISMATCH",
                "the venues of one event are in one time zone",
            )
            .into());
        }
        venue_facilities.push((facility, existing));
    }
    let municipality = match (&new.spec.external_place, venue_facilities.first()) {
        (Some(place), _) => place.municipality_code.clone(),
        (None, Some((facility, _))) => facility.spec.municipality_code.clone(),
        (None, None) => organiser.municipality_code.clone(),
    };
    let recurrence = new.schedule.recurrence.as_ref();
    let mut row = event::ActiveModel {
        organiser_id: Set(new.organiser_id.0),
        created_by: Set(user.0),
        // Replaced below by the title and id; unique meanwhile.
        slug: Set(format!("new-{:016x}", rand::random::<u64>())),
        time_zone: Set(new.schedule.zone.name().to_string()),
        starts_at: Set(new.schedule.first.start()),
        ends_at: Set(new.schedule.first.end()),
        recurrence_rule: Set(recurrence.map(|r| r.rule.to_string())),
        exception_dates: Set(serde_json::to_string(
            &recurrence
                .map(|r| r.exception_dates.clone())
                .unwrap_or_default(),
        )
        .map_err(AppError::internal)?),
        municipality_code: Set(municipality),
        status: Set(EventStatus::Scheduled.as_ref().to_string()),
        status_reason: Set(None),
        visibility: Set(new.visibility.as_ref().to_string()),
        publication: Set(new.publication.as_ref().to_string()),
        published_at: Set((new.publication == Publication::Published).then_some(now)),
        sequence: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_spec(&new.spec, &mut row)?;
    let inserted = row.insert(&txn).await?;
    let id = EventId(inserted.id);
    event::Entity::update_many()
        .col_expr(
            event::Column::Slug,
            slug(new.spec.title.best(Language::Fi).unwrap_or_default(), id.0).into(),
        )
        .filter(event::Column::Id.eq(id.0))
        .exec(&txn)
        .await?;
    event_occurrence::Entity::insert_many(planned.iter().map(|(recurrence_id, range)| {
        event_occurrence::ActiveModel {
            event_id: Set(id.0),
            recurrence_id: Set(recurrence_id.map(|r| r.format(LOCAL_FORMAT).to_string())),
            starts_at: Set(range.start()),
            ends_at: Set(range.end()),
            status: Set(EventStatus::Scheduled.as_ref().to_string()),
            status_reason: Set(None),
            updated_at: Set(now),
            ..Default::default()
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    let occurrence_ids: HashMap<Option<String>, i64> = event_occurrence::Entity::find()
        .filter(event_occurrence::Column::EventId.eq(id.0))
        .all(&txn)
        .await?
        .into_iter()
        .map(|o| (o.recurrence_id, o.id))
        .collect();
    let occurrence_of = |recurrence_id: &Option<String>| {
        occurrence_ids
            .get(recurrence_id)
            .copied()
            .ok_or_else(|| corrupt("occurrence link"))
    };
    let listed =
        new.visibility == EventVisibility::Public && new.publication == Publication::Published;
    let mut links: Vec<(i64, i64)> = Vec::new();
    for (venue, (facility, existing)) in new.venues.iter().zip(&venue_facilities) {
        match (venue, existing, &new.schedule.recurrence) {
            (_, Some(booking), _) => links.push((booking.id, occurrence_of(&None)?)),
            (Venue::NewBooking { attendees, .. }, None, None) => {
                let request = BookingRequest {
                    facility_id: facility.id,
                    organisation_id: new.organiser_id,
                    range: new.schedule.first,
                    details: booking_details(&new.spec, listed, *attendees),
                    client_key: None,
                };
                let booked = book_guarded(&txn, access, user, facility, &request, now).await?;
                links.push((booked.id, occurrence_of(&None)?));
            }
            (Venue::NewBooking { attendees, .. }, None, Some(recurrence)) => {
                let request = SeriesRequest {
                    facility_id: facility.id,
                    organisation_id: new.organiser_id,
                    first: new.schedule.first,
                    rule: recurrence.rule.clone(),
                    exception_dates: recurrence.exception_dates.clone(),
                    details: booking_details(&new.spec, listed, *attendees),
                    dry_run: false,
                    skip_conflicts: false,
                };
                let booked = booking_series::book_within(&txn, access, user, &request, now).await?;
                if booked.occurrences.iter().any(|o| o.status.is_problem()) {
                    return Err(SeriesError::Rejected {
                        occurrences: booked
                            .occurrences
                            .into_iter()
                            .filter(|o| o.status.is_problem())
                            .collect(),
                    });
                }
                for (_, model) in &booked.inserted {
                    links.push((model.id, occurrence_of(&model.recurrence_id)?));
                }
            }
            (Venue::Booking { .. }, None, _) => return Err(corrupt("venue").into()),
        }
    }
    if !links.is_empty() {
        event_booking::Entity::insert_many(links.into_iter().map(|(booking_id, occurrence_id)| {
            event_booking::ActiveModel {
                booking_id: Set(booking_id),
                event_id: Set(id.0),
                occurrence_id: Set(occurrence_id),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let created = get(&txn, id).await?;
    sync_venue_details(&txn, &created, now).await?;
    txn.commit().await?;
    Ok(created)
}

/// Gives the venue bookings of `event` its title, summary and public-ness where they
/// differ, growing their sequence, so facility schedules show what the event is now.
async fn sync_venue_details(
    txn: &DatabaseTransaction,
    event: &Event,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let details = booking_details(&event.spec, event.is_listed(), None);
    let purpose_differs = match &details.purpose {
        Some(purpose) => Condition::any()
            .add(booking::Column::Purpose.is_null())
            .add(booking::Column::Purpose.ne(purpose.as_str())),
        None => Condition::all().add(booking::Column::Purpose.is_not_null()),
    };
    booking::Entity::update_many()
        .col_expr(booking::Column::Title, details.title.as_str().into())
        .col_expr(booking::Column::Purpose, details.purpose.clone().into())
        .col_expr(booking::Column::Public, details.public.into())
        .col_expr(
            booking::Column::Sequence,
            Expr::col(booking::Column::Sequence).add(1),
        )
        .col_expr(booking::Column::UpdatedAt, now.into())
        .filter(
            booking::Column::Id.in_subquery(
                Query::select()
                    .column(event_booking::Column::BookingId)
                    .from(event_booking::Entity)
                    .and_where(event_booking::Column::EventId.eq(event.id.0))
                    .to_owned(),
            ),
        )
        .filter(
            Condition::any()
                .add(booking::Column::Title.ne(details.title.as_str()))
                .add(booking::Column::Public.ne(details.public))
                .add(purpose_differs),
        )
        .exec(txn)
        .await?;
    Ok(())
}
