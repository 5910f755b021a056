//! Bookings: making, approving, rejecting and cancelling them, and free time.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::common::parse_id;
use super::connection::{CountedConnection, connection, page_request};
use super::context::{access, actor, authorize, request, state};
use super::facilities::{Facility, visible, visible_facility};
use super::loaders::load_error;
use super::organisations::Organisation;
use crate::domain::booking::{BookingStatus as DomainStatus, booking_range, parse_instant};
use crate::domain::contact::{EmailAddress, PhoneNumber, required_line};
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::bookings::{
    self as service, BookingDetails, BookingFilter, BookingRequest, MAX_AVAILABILITY_WINDOW,
    Transition,
};
use crate::service::facilities;
use crate::service::pagination::Page;

/// Where a booking stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::booking::BookingStatus")]
pub enum BookingStatus {
    /// Awaiting approval; already holds the time.
    Pending,
    /// Confirmed.
    Confirmed,
    /// Turned down.
    Rejected,
    /// Cancelled.
    Cancelled,
}

/// A stretch of time, in UTC and on the facility's wall clock.
#[derive(SimpleObject)]
pub struct TimeSlot {
    /// Start (UTC).
    start: DateTime<Utc>,
    /// End (UTC), exclusive.
    end: DateTime<Utc>,
    /// Start in the facility's time zone, RFC 3339 with its offset.
    start_local: String,
    /// End in the facility's time zone, RFC 3339 with its offset.
    end_local: String,
}

pub(crate) fn slot(range: &TimeRange, zone: Tz) -> TimeSlot {
    TimeSlot {
        start: range.start(),
        end: range.end(),
        start_local: range.start().with_timezone(&zone).to_rfc3339(),
        end_local: range.end().with_timezone(&zone).to_rfc3339(),
    }
}

/// A booking of a facility. Title and purpose are shown to everyone only for public
/// bookings; contact details and notes only to the booker's and the owner's members.
pub struct Booking {
    booking: service::Booking,
    zone: Tz,
    owner: OrganisationId,
    seen_by_hosts: bool,
}

impl Booking {
    pub(crate) fn new(booking: service::Booking, facility: &facilities::Facility) -> Self {
        Self {
            booking,
            zone: facility.spec.time_zone,
            owner: facility.owner_id,
            seen_by_hosts: false,
        }
    }

    /// The booking as the hosts of the event it is the venue of see it: whole.
    pub(crate) fn seen_by_hosts(mut self) -> Self {
        self.seen_by_hosts = true;
        self
    }

    fn private_visible(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
        Ok(self.seen_by_hosts
            || access(ctx)?.can_see_booking_of(self.booking.organisation_id, self.owner))
    }

    fn public_visible(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
        Ok(self.booking.details.public || self.private_visible(ctx)?)
    }
}

#[Object]
impl Booking {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.booking.id.to_string())
    }

    /// The booked time.
    async fn time(&self) -> TimeSlot {
        slot(&self.booking.range, self.zone)
    }

    /// Where it stands.
    async fn status(&self) -> BookingStatus {
        self.booking.status.into()
    }

    /// Why it was rejected or cancelled.
    async fn status_reason(&self) -> Option<&str> {
        self.booking.status_reason.as_deref()
    }

    /// When the status last changed.
    async fn status_changed_at(&self) -> DateTime<Utc> {
        self.booking.status_changed_at
    }

    /// The facility.
    async fn facility(&self, ctx: &Context<'_>) -> Result<Facility> {
        Ok(Facility(
            visible_facility(ctx, self.booking.facility_id).await?,
        ))
    }

    /// The booking organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let organisation = request(ctx)?
            .loader
            .load_one(self.booking.organisation_id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| AppError::not_found("organisation", self.booking.organisation_id))?;
        Ok(Organisation(organisation))
    }

    /// Title; null for private bookings seen by outsiders.
    async fn title(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .public_visible(ctx)?
            .then_some(self.booking.details.title.as_str()))
    }

    /// Purpose; null for private bookings seen by outsiders.
    async fn purpose(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .public_visible(ctx)?
            .then_some(self.booking.details.purpose.as_deref())
            .flatten())
    }

    /// Expected number of people.
    async fn attendees(&self) -> Option<i32> {
        self.booking
            .details
            .attendees
            .map(|a| i32::try_from(a).unwrap_or(i32::MAX))
    }

    /// Shown with its title in public schedules.
    async fn public(&self) -> bool {
        self.booking.details.public
    }

    /// Contact person; for the booker's and owner's members only.
    async fn contact_name(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .private_visible(ctx)?
            .then_some(self.booking.details.contact_name.as_deref())
            .flatten())
    }

    /// Contact email; for the booker's and owner's members only.
    async fn contact_email(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .private_visible(ctx)?
            .then_some(self.booking.details.contact_email.as_deref())
            .flatten())
    }

    /// Contact phone; for the booker's and owner's members only.
    async fn contact_phone(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .private_visible(ctx)?
            .then_some(self.booking.details.contact_phone.as_deref())
            .flatten())
    }

    /// Notes to the facility; for the booker's and owner's members only.
    async fn notes(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self
            .private_visible(ctx)?
            .then_some(self.booking.details.notes.as_deref())
            .flatten())
    }

    /// The recurring series this booking belongs to.
    async fn series_id(&self) -> Option<ID> {
        self.booking.series_id.map(|id| ID(id.to_string()))
    }

    /// Within a series, the occurrence's original local start; it stays when the
    /// occurrence is moved (the RECURRENCE-ID of calendars).
    async fn recurrence_id(&self) -> Option<&str> {
        self.booking.recurrence_id.as_deref()
    }

    /// What the booker pays, in euro cents, worked out from the facility's prices when
    /// booking; null for bookings made before prices were recorded.
    async fn price_cents(&self) -> Option<i64> {
        self.booking.price_cents
    }

    /// Grows with every change a calendar would show.
    async fn sequence(&self) -> i32 {
        self.booking.sequence
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.booking.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.booking.updated_at
    }
}

/// A booking to make. Times are RFC 3339 with an offset, or local `YYYY-MM-DDTHH:MM`
/// on the facility's wall clock (a time in the autumn's repeated hour needs an offset).
#[derive(InputObject)]
pub struct CreateBookingInput {
    /// The facility.
    facility_id: ID,
    /// The organisation that books.
    organisation_id: ID,
    /// Start.
    start: String,
    /// End (exclusive).
    end: String,
    /// Title, e.g. the name of the group or event.
    title: String,
    /// Purpose.
    purpose: Option<String>,
    /// Expected number of people.
    attendees: Option<i32>,
    /// Show the title in public schedules (default: only as busy time).
    #[graphql(default)]
    public: bool,
    /// Contact person's name.
    contact_name: Option<String>,
    /// Contact person's email.
    contact_email: Option<String>,
    /// Contact person's phone.
    contact_phone: Option<String>,
    /// Notes to the facility.
    notes: Option<String>,
    /// Your own key for this request: sending it again returns the same booking.
    client_key: Option<String>,
}

pub(crate) fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        Some(v) if v.chars().count() > max => Err(ValidationError::new(
            field,
            "TEXT_TOO_LONG",
            format!("at most {max} characters"),
        )),
        other => Ok(other),
    }
}

impl CreateBookingInput {
    fn into_request(
        self,
        zone: Tz,
        facility_id: FacilityId,
    ) -> Result<BookingRequest, ValidationError> {
        let start = parse_instant("start", &self.start, zone)?;
        let end = parse_instant("end", &self.end, zone)?;
        Ok(BookingRequest {
            facility_id,
            organisation_id: OrganisationId(parse_id("organisationId", &self.organisation_id)?),
            range: booking_range(start, end)?,
            details: DetailsText {
                title: self.title,
                purpose: self.purpose,
                attendees: self.attendees,
                public: self.public,
                contact_name: self.contact_name,
                contact_email: self.contact_email,
                contact_phone: self.contact_phone,
                notes: self.notes,
            }
            .parse()?,
            client_key: optional_text("clientKey", self.client_key, 200)?,
        })
    }
}

/// What a booker tells about a booking, as given, before it is validated.
pub(crate) struct DetailsText {
    pub(crate) title: String,
    pub(crate) purpose: Option<String>,
    pub(crate) attendees: Option<i32>,
    pub(crate) public: bool,
    pub(crate) contact_name: Option<String>,
    pub(crate) contact_email: Option<String>,
    pub(crate) contact_phone: Option<String>,
    pub(crate) notes: Option<String>,
}

impl DetailsText {
    /// Validates the details; errors name the input field at fault.
    pub(crate) fn parse(self) -> Result<BookingDetails, ValidationError> {
        Ok(BookingDetails {
            title: required_line("title", &self.title, 200)?,
            purpose: optional_text("purpose", self.purpose, 4000)?,
            attendees: self
                .attendees
                .map(|a| {
                    u32::try_from(a).map_err(|_| {
                        ValidationError::new("attendees", "NEGATIVE_VALUE", "must not be negative")
                    })
                })
                .transpose()?,
            public: self.public,
            contact_name: optional_text("contactName", self.contact_name, 200)?,
            contact_email: self
                .contact_email
                .map(|e| EmailAddress::parse("contactEmail", &e).map(|e| e.as_str().to_string()))
                .transpose()?,
            contact_phone: self
                .contact_phone
                .map(|p| PhoneNumber::parse("contactPhone", &p).map(|p| p.as_str().to_string()))
                .transpose()?,
            notes: optional_text("notes", self.notes, 4000)?,
        })
    }
}

/// Which bookings to list: give a facility, an organisation, or both.
#[derive(InputObject, Default)]
pub struct BookingFilterInput {
    /// Bookings of this facility (its managers see all of them).
    facility_id: Option<ID>,
    /// Bookings made by this organisation (its members see all of them).
    organisation_id: Option<ID>,
    /// Bookings that end after this instant.
    from: Option<DateTime<Utc>>,
    /// Bookings that start before this instant.
    to: Option<DateTime<Utc>>,
    /// Only these statuses.
    statuses: Option<Vec<BookingStatus>>,
}

/// Reading bookings and free time.
#[derive(Default)]
pub struct BookingQuery;

async fn booking_view(ctx: &Context<'_>, booking: service::Booking) -> Result<Booking, AppError> {
    let facility = facilities::get(&state(ctx)?.db, booking.facility_id).await?;
    Ok(Booking::new(booking, &facility))
}

#[Object]
impl BookingQuery {
    /// One booking: for the booker's and the facility owner's members.
    async fn booking(&self, ctx: &Context<'_>, id: ID) -> Result<Booking> {
        let id = parse_id("id", &id)?;
        let booking = service::get(&state(ctx)?.db, id).await?;
        let view = booking_view(ctx, booking).await?;
        if !view.private_visible(ctx)? {
            return Err(AppError::not_found("booking", id).into());
        }
        Ok(view)
    }

    /// Bookings of an organisation (for its members) or of a facility (for its
    /// owner's members), by id.
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        filter: BookingFilterInput,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Booking>> {
        let page = page_request(first, after)?;
        let db = &state(ctx)?.db;
        let facility_id = filter
            .facility_id
            .map(|id| parse_id("filter.facilityId", &id).map(FacilityId))
            .transpose()?;
        let organisation_id = filter
            .organisation_id
            .map(|id| parse_id("filter.organisationId", &id).map(OrganisationId))
            .transpose()?;
        let facility = match facility_id {
            Some(id) => Some(facilities::get(db, id).await?),
            None => None,
        };
        let allowed = |a: &crate::domain::permissions::Access| {
            organisation_id.is_some_and(|o| a.can_book_for(o))
                || facility
                    .as_ref()
                    .is_some_and(|f| a.can_manage_bookings_at(f.owner_id))
        };
        if facility_id.is_none() && organisation_id.is_none() {
            return Err(ValidationError::new(
                "filter",
                "FILTER_REQUIRED",
                "give facilityId or organisationId",
            )
            .into());
        }
        authorize(
            ctx,
            allowed,
            "only members see an organisation's bookings, and managers a facility's",
        )?;
        let filter = BookingFilter {
            facility_id,
            organisation_id,
            from: filter.from,
            to: filter.to,
            statuses: filter
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(DomainStatus::from)
                .collect(),
        };
        let rows = service::list(db, &filter, page).await?;
        let facility_ids: Vec<FacilityId> = rows.rows.iter().map(|b| b.facility_id).collect();
        let facilities = request(ctx)?
            .loader
            .load_many(facility_ids)
            .await
            .map_err(load_error)?;
        let views = rows
            .rows
            .into_iter()
            .map(|b| {
                let facility = facilities
                    .get(&b.facility_id)
                    .ok_or_else(|| AppError::internal("a booking of a missing facility"))?;
                Ok(Booking::new(b, facility))
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let rows = Page {
            rows: views,
            has_next_page: rows.has_next_page,
            count: rows.count,
        };
        Ok(connection(page, rows, |b| b.booking.id, |b| b))
    }

    /// Free time of a facility: opening hours minus closures minus bookings (with
    /// buffers). `from` and `to` are RFC 3339 or local times; at most 62 days.
    async fn facility_availability(
        &self,
        ctx: &Context<'_>,
        facility_id: ID,
        from: String,
        to: String,
    ) -> Result<Vec<TimeSlot>> {
        let id = FacilityId(parse_id("facilityId", &facility_id)?);
        let facility = visible_facility(ctx, id).await?;
        let zone = facility.spec.time_zone;
        let window = TimeRange::new(
            parse_instant("from", &from, zone)?,
            parse_instant("to", &to, zone)?,
        )
        .map_err(|e| ValidationError::new("to", e.code(), e.to_string()))?;
        if window.duration() > MAX_AVAILABILITY_WINDOW {
            return Err(ValidationError::new(
                "to",
                "WINDOW_TOO_LONG",
                "ask for at most 62 days at a time",
            )
            .into());
        }
        let free = service::availability(&state(ctx)?.db, &facility, &window).await?;
        Ok(free.iter().map(|r| slot(r, zone)).collect())
    }
}

/// Making and changing bookings.
#[derive(Default)]
pub struct BookingMutation;

/// What `changeBookings` does to each booking.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::service::bookings::Transition")]
pub enum BookingTransition {
    /// Approve pending bookings (the rules are checked again).
    Approve,
    /// Turn pending bookings down.
    Reject,
    /// Cancel bookings.
    Cancel,
}

async fn change(
    ctx: &Context<'_>,
    id: ID,
    transition: Transition,
    reason: Option<String>,
) -> Result<Booking> {
    let user = actor(ctx)?.user_id;
    let id = parse_id("id", &id)?;
    let reason = optional_text("reason", reason, 2000)?;
    let db = &state(ctx)?.db;
    let booking =
        service::transition(db, access(ctx)?, user, id, transition, reason, Utc::now()).await?;
    Ok(booking_view(ctx, booking).await?)
}

/// The signed-in user and the facility a booking input names (if they may see it).
pub(crate) async fn booking_target(
    ctx: &Context<'_>,
    facility_id: &ID,
) -> Result<(crate::domain::ids::UserId, facilities::Facility), AppError> {
    let user = actor(ctx)?.user_id;
    let id = FacilityId(parse_id("input.facilityId", facility_id)?);
    Ok((user, visible_facility(ctx, id).await?))
}

/// Lets the request book only in the name of an organisation the user belongs to.
pub(crate) fn authorize_booker(
    ctx: &Context<'_>,
    organisation: OrganisationId,
) -> Result<(), AppError> {
    authorize(
        ctx,
        |a| a.can_book_for(organisation),
        "you book only for organisations you belong to",
    )
}

#[Object]
impl BookingMutation {
    /// Books a facility for an organisation you belong to. Facilities that want
    /// approval get a PENDING booking that already holds the time.
    async fn create_booking(
        &self,
        ctx: &Context<'_>,
        input: CreateBookingInput,
    ) -> Result<Booking> {
        actor(ctx)?;
        let facility_id = FacilityId(parse_id("input.facilityId", &input.facility_id)?);
        let organisation_id =
            OrganisationId(parse_id("input.organisationId", &input.organisation_id)?);
        let state = state(ctx)?;
        let (facility, booker) = service::target(&state.db, facility_id, organisation_id).await?;
        let facility = visible(ctx, facility)?;
        let request = input
            .into_request(facility.spec.time_zone, facility.id)
            .map_err(|e| e.within("input"))?;
        authorize_booker(ctx, organisation_id)?;
        let booker = booker.ok_or_else(|| AppError::not_found("organisation", organisation_id))?;
        let booking = service::create(
            &state.db,
            &state.facility_rules,
            access(ctx)?,
            facility.clone(),
            booker,
            request,
            Utc::now(),
        )
        .await?;
        Ok(Booking::new(booking, &facility))
    }

    /// Approves a pending booking (the facility's managers); the rules are checked again.
    async fn approve_booking(&self, ctx: &Context<'_>, id: ID) -> Result<Booking> {
        change(ctx, id, Transition::Approve, None).await
    }

    /// Turns a pending booking down, telling the booker why (the facility's managers).
    async fn reject_booking(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Booking> {
        change(ctx, id, Transition::Reject, Some(reason)).await
    }

    /// Cancels a booking: the booker within the facility's cancellation notice, or a
    /// manager with a reason. The time is free again at once.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> Result<Booking> {
        change(ctx, id, Transition::Cancel, reason).await
    }

    /// Approves, turns down or cancels up to 500 bookings in one change, as
    /// `approveBooking`, `rejectBooking` and `cancelBooking` would each: all of them, or
    /// none when one cannot change (the error's field is `ids[i]`). Each booker gets one
    /// message for all their bookings in it, however many bookings and facilities.
    async fn change_bookings(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        transition: BookingTransition,
        reason: Option<String>,
    ) -> Result<Vec<Booking>> {
        let user = actor(ctx)?.user_id;
        let ids = ids
            .iter()
            .enumerate()
            .map(|(at, id)| parse_id(&format!("ids[{at}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let reason = optional_text("reason", reason, 2000)?;
        let transition = Transition::from(transition);
        if transition == Transition::Reject && reason.is_none() {
            return Err(
                ValidationError::new("reason", "REASON_REQUIRED", "tell the bookers why").into(),
            );
        }
        let db = &state(ctx)?.db;
        let changed =
            service::transition_all(db, access(ctx)?, user, &ids, transition, reason, Utc::now())
                .await?;
        let mut views = Vec::with_capacity(changed.len());
        for booking in changed {
            views.push(booking_view(ctx, booking).await?);
        }
        Ok(views)
    }
}
