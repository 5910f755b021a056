//! Recurring bookings: booking a series, cancelling it or part of it, moving one booking.
use async_graphql::resolver_utils::enum_value;
use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject,
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::bookings::{
    Booking, DetailsText, TimeSlot, authorize_booker, booking_target, optional_text, slot,
};
use super::common::parse_id;
use super::context::{access, actor, request, state};
use super::facilities::{Facility, visible_facility};
use super::loaders::load_error;
use super::organisations::Organisation;
use crate::domain::booking::{booking_range, parse_instant};
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::recurrence::RecurrenceRule;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::bookings::series::{
    self as service, OccurrenceStatus, SeriesError, SeriesRequest, SeriesScope as DomainScope,
};
use crate::service::bookings::{self as bookings_service};
use crate::service::facilities;

/// A series to book: the first occurrence and an RFC 5545 RRULE that repeats it on the
/// facility's wall clock (Tuesdays 18:00–20:00 stay 18:00–20:00 across clock changes).
#[derive(InputObject)]
pub struct CreateBookingSeriesInput {
    /// The facility.
    facility_id: ID,
    /// The organisation that books.
    organisation_id: ID,
    /// Start of the first occurrence: local `YYYY-MM-DDTHH:MM` or RFC 3339.
    start: String,
    /// End of the first occurrence (exclusive); each occurrence lasts as long on the wall clock.
    end: String,
    /// The rule, e.g. `FREQ=WEEKLY;BYDAY=TU;UNTIL=20270601T000000Z`: FREQ=DAILY, WEEKLY or
    /// MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, WKST, and COUNT or UNTIL. At most 500
    /// occurrences within 2 years of the first start.
    rrule: String,
    /// Local dates on which no occurrence is booked (EXDATE).
    exception_dates: Option<Vec<NaiveDate>>,
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
    /// Only report the occurrences and their problems; book nothing.
    #[graphql(default)]
    dry_run: bool,
    /// Book the occurrences that can be booked and report the others. By default the
    /// series is all or nothing.
    #[graphql(default)]
    skip_conflicts: bool,
}

impl CreateBookingSeriesInput {
    fn into_request(
        self,
        zone: Tz,
        facility_id: FacilityId,
    ) -> Result<SeriesRequest, ValidationError> {
        let start = parse_instant("start", &self.start, zone)?;
        let end = parse_instant("end", &self.end, zone)?;
        Ok(SeriesRequest {
            facility_id,
            organisation_id: OrganisationId(parse_id("organisationId", &self.organisation_id)?),
            first: booking_range(start, end)?,
            rule: RecurrenceRule::parse(&self.rrule)
                .map_err(|e| ValidationError::new("rrule", e.code(), e.to_string()))?,
            exception_dates: self.exception_dates.unwrap_or_default(),
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
            dry_run: self.dry_run,
            skip_conflicts: self.skip_conflicts,
        })
    }
}

/// What became of one occurrence.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::service::bookings::series::OccurrenceStatus")]
pub enum OccurrenceOutcome {
    /// Booked.
    Booked,
    /// Would be booked (dry run).
    WouldBook,
    /// The time is taken by another booking.
    Conflict,
    /// It breaks the facility's rules.
    RuleViolation,
    /// Its local start or end does not exist (clocks moved forward); it is not moved.
    NonexistentLocalTime,
    /// Left out by an exception date.
    Excluded,
}

/// Why an occurrence was not booked.
#[derive(SimpleObject)]
pub struct OccurrenceProblem {
    /// A stable machine-readable reason, e.g. `TIME_TAKEN` or `OUTSIDE_OPENING_HOURS`.
    reason: String,
    /// The input field at fault (`start`, `end`, `attendees`, `organisationId`).
    field: String,
    /// In words.
    message: String,
}

impl From<&ValidationError> for OccurrenceProblem {
    fn from(v: &ValidationError) -> Self {
        Self {
            reason: v.reason.to_string(),
            field: v.field.clone(),
            message: v.message.clone(),
        }
    }
}

/// One occurrence of a series.
#[derive(SimpleObject)]
pub struct SeriesOccurrence {
    /// Its original local start in the facility's zone, `YYYY-MM-DDTHH:MM:SS` (RECURRENCE-ID).
    recurrence_id: String,
    /// Its time; null when its local time does not exist.
    time: Option<TimeSlot>,
    /// What became of it.
    status: OccurrenceOutcome,
    /// Why it was not booked.
    problems: Vec<OccurrenceProblem>,
    /// The booking made for it.
    booking: Option<Booking>,
}

fn occurrence_view(
    o: service::SeriesOccurrence,
    facility: &facilities::Facility,
) -> SeriesOccurrence {
    let zone = facility.spec.time_zone;
    SeriesOccurrence {
        recurrence_id: o.recurrence_id.format("%Y-%m-%dT%H:%M:%S").to_string(),
        time: o.range.as_ref().map(|r| slot(r, zone)),
        status: o.status.into(),
        problems: o.problems.iter().map(OccurrenceProblem::from).collect(),
        booking: o.booking.map(|b| Booking::new(b, facility)),
    }
}

/// A recurring series of bookings; each occurrence is its own booking.
pub struct BookingSeries {
    series: service::Series,
    facility: facilities::Facility,
}

#[Object]
impl BookingSeries {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.series.id.to_string())
    }

    /// The rule, canonical RRULE text.
    async fn rule(&self) -> &str {
        &self.series.rule
    }

    /// The first occurrence's local start, `YYYY-MM-DDTHH:MM:SS`.
    async fn first_start_local(&self) -> String {
        self.series
            .first_start_local
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    }

    /// How long each occurrence lasts on the wall clock, in minutes.
    async fn duration_minutes(&self) -> i32 {
        self.series.duration_minutes
    }

    /// The IANA zone the series is expanded in.
    async fn time_zone(&self) -> &str {
        &self.series.time_zone
    }

    /// Local dates left out.
    async fn exception_dates(&self) -> &[NaiveDate] {
        &self.series.exception_dates
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.series.created_at
    }

    /// The facility.
    async fn facility(&self, ctx: &Context<'_>) -> Result<Facility> {
        Ok(Facility(
            visible_facility(ctx, self.series.facility_id).await?,
        ))
    }

    /// The booking organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let id = self.series.organisation_id;
        let organisation = request(ctx)?
            .loader
            .load_one(id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| AppError::not_found("organisation", id))?;
        Ok(Organisation(organisation))
    }

    /// Its bookings (moved, cancelled and past ones too), by start.
    async fn bookings(&self, ctx: &Context<'_>) -> Result<Vec<Booking>> {
        let rows = service::bookings_of(&state(ctx)?.db, self.series.id).await?;
        Ok(rows
            .into_iter()
            .map(|b| Booking::new(b, &self.facility))
            .collect())
    }
}

/// The answer to `createBookingSeries`.
#[derive(SimpleObject)]
pub struct BookingSeriesResult {
    /// The series; null on a dry run or when nothing was booked.
    series: Option<BookingSeries>,
    /// Every occurrence the rule generates, in order, with what became of it.
    occurrences: Vec<SeriesOccurrence>,
    /// Occurrences booked (on a dry run: that would be booked).
    booked_count: i32,
    /// Occurrences not booked because of a conflict, a rule or a nonexistent local time.
    skipped_count: i32,
    /// Occurrences left out by exception dates.
    excluded_count: i32,
}

fn count(outcome: &service::SeriesOutcome, wanted: impl Fn(OccurrenceStatus) -> bool) -> i32 {
    let n = outcome
        .occurrences
        .iter()
        .filter(|o| wanted(o.status))
        .count();
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl BookingSeriesResult {
    fn new(outcome: service::SeriesOutcome, facility: &facilities::Facility) -> Self {
        let booked_count = count(&outcome, |s| {
            matches!(s, OccurrenceStatus::Booked | OccurrenceStatus::WouldBook)
        });
        let skipped_count = count(&outcome, OccurrenceStatus::is_problem);
        let excluded_count = count(&outcome, |s| s == OccurrenceStatus::Excluded);
        Self {
            series: outcome.series.map(|series| BookingSeries {
                series,
                facility: facility.clone(),
            }),
            occurrences: outcome
                .occurrences
                .into_iter()
                .map(|o| occurrence_view(o, facility))
                .collect(),
            booked_count,
            skipped_count,
            excluded_count,
        }
    }
}

impl ErrorExtensions for SeriesError {
    fn extend(&self) -> async_graphql::Error {
        let occurrences = match self {
            SeriesError::App(err) => return err.extend(),
            SeriesError::Rejected { occurrences } => occurrences,
        };
        let first = occurrences.iter().flat_map(|o| o.problems.first()).next();
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let Some(first) = first {
                ext.set("field", first.field.as_str());
                ext.set("reason", first.reason);
            }
            let listed: Vec<async_graphql::Value> = occurrences
                .iter()
                .map(|o| {
                    let problems: Vec<async_graphql::Value> = o
                        .problems
                        .iter()
                        .map(|p| {
                            async_graphql::value!({
                                "field": p.field.as_str(),
                                "reason": p.reason,
                                "message": p.message.as_str(),
                            })
                        })
                        .collect();
                    let status = enum_value(OccurrenceOutcome::from(o.status));
                    async_graphql::value!({
                        "recurrenceId": o.recurrence_id.format("%Y-%m-%dT%H:%M:%S").to_string(),
                        "start": o.range.map(|r| r.start().to_rfc3339()),
                        "end": o.range.map(|r| r.end().to_rfc3339()),
                        "status": status,
                        "problems": problems,
                    })
                })
                .collect();
            ext.set("occurrences", listed);
            let conflicts: Vec<async_graphql::Value> = occurrences
                .iter()
                .flat_map(|o| &o.conflicts)
                .map(|c| {
                    async_graphql::value!({
                        "start": c.start().to_rfc3339(),
                        "end": c.end().to_rfc3339(),
                    })
                })
                .collect();
            if !conflicts.is_empty() {
                ext.set("conflicts", conflicts);
            }
        })
    }
}

/// Which occurrences of a series to cancel (cancel one with `cancelBooking`).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SeriesScope {
    /// Every occurrence still to come.
    WholeSeries,
    /// The occurrence `fromBookingId` and every later one.
    ThisAndFollowing,
}

/// An occurrence a series cancellation left as it is.
#[derive(SimpleObject)]
pub struct KeptOccurrence {
    /// The booking.
    booking: Booking,
    /// Why it was kept, e.g. `CANCELLATION_TOO_LATE`.
    reason: String,
    /// In words.
    message: String,
}

/// What cancelling a series did.
#[derive(SimpleObject)]
pub struct SeriesCancellation {
    /// Occurrences cancelled now.
    cancelled: Vec<Booking>,
    /// Occurrences in scope that could not be cancelled, and why.
    kept: Vec<KeptOccurrence>,
}

/// Reading series.
#[derive(Default)]
pub struct SeriesQuery;

#[Object]
impl SeriesQuery {
    /// One series with its bookings: for the booker's and the facility owner's members.
    async fn booking_series(&self, ctx: &Context<'_>, id: ID) -> Result<BookingSeries> {
        let id = parse_id("id", &id)?;
        let db = &state(ctx)?.db;
        let series = service::get(db, id).await?;
        let facility = facilities::get(db, series.facility_id).await?;
        if !access(ctx)?.can_see_booking_of(series.organisation_id, facility.owner_id) {
            return Err(AppError::not_found("booking series", id).into());
        }
        Ok(BookingSeries { series, facility })
    }
}

/// Booking and changing series.
#[derive(Default)]
pub struct SeriesMutation;

#[Object]
impl SeriesMutation {
    /// Books a recurring series for an organisation you belong to; each occurrence is its
    /// own booking under the facility's rules. All or nothing unless `skipConflicts`: if
    /// any occurrence conflicts (`CONFLICT`) or breaks a rule or falls in the spring clock
    /// change (`VALIDATION`), nothing is booked and `extensions.occurrences` lists them.
    async fn create_booking_series(
        &self,
        ctx: &Context<'_>,
        input: CreateBookingSeriesInput,
    ) -> Result<BookingSeriesResult> {
        let (user, facility) = booking_target(ctx, &input.facility_id).await?;
        let request = input
            .into_request(facility.spec.time_zone, facility.id)
            .map_err(|e| e.within("input"))?;
        authorize_booker(ctx, request.organisation_id)?;
        let db = &state(ctx)?.db;
        let outcome = service::create(db, access(ctx)?, user, request, Utc::now())
            .await
            .map_err(|err| match err {
                SeriesError::App(AppError::Validation(v)) => {
                    AppError::Validation(v.within("input")).extend()
                }
                other => other.extend(),
            })?;
        Ok(BookingSeriesResult::new(outcome, &facility))
    }

    /// Cancels the whole series or an occurrence and the ones after it (cancel a single
    /// occurrence with `cancelBooking`): the booker within the facility's cancellation
    /// notice, or a manager with a reason. Occurrences that have begun stay as they are.
    async fn cancel_booking_series(
        &self,
        ctx: &Context<'_>,
        series_id: ID,
        scope: SeriesScope,
        from_booking_id: Option<ID>,
        reason: Option<String>,
    ) -> Result<SeriesCancellation> {
        let user = actor(ctx)?.user_id;
        let series_id = parse_id("seriesId", &series_id)?;
        let scope = match (scope, from_booking_id) {
            (SeriesScope::WholeSeries, _) => DomainScope::WholeSeries,
            (SeriesScope::ThisAndFollowing, Some(from)) => DomainScope::ThisAndFollowing {
                from: parse_id("fromBookingId", &from)?,
            },
            (SeriesScope::ThisAndFollowing, None) => {
                return Err(ValidationError::new(
                    "fromBookingId",
                    "FROM_BOOKING_REQUIRED",
                    "give the first occurrence to cancel",
                )
                .into());
            }
        };
        let reason = optional_text("reason", reason, 2000)?;
        let db = &state(ctx)?.db;
        let done =
            service::cancel(db, access(ctx)?, user, series_id, scope, reason, Utc::now()).await?;
        let facility = &done.facility;
        Ok(SeriesCancellation {
            cancelled: done
                .cancelled
                .into_iter()
                .map(|b| Booking::new(b, facility))
                .collect(),
            kept: done
                .kept
                .into_iter()
                .map(|(b, why)| KeptOccurrence {
                    booking: Booking::new(b, facility),
                    reason: why.reason.to_string(),
                    message: why.message,
                })
                .collect(),
        })
    }

    /// Moves a booking (an occurrence of a series, or any booking) to a new time: the
    /// rules and conflicts are checked again and on failure nothing changes. The status
    /// stays; `sequence` grows. Times are RFC 3339 or local `YYYY-MM-DDTHH:MM`.
    async fn move_booking(
        &self,
        ctx: &Context<'_>,
        id: ID,
        start: String,
        end: String,
    ) -> Result<Booking> {
        let user = actor(ctx)?.user_id;
        let id = parse_id("id", &id)?;
        let db = &state(ctx)?.db;
        let current = bookings_service::get(db, id).await?;
        let facility = facilities::get(db, current.facility_id).await?;
        if !access(ctx)?.can_see_booking_of(current.organisation_id, facility.owner_id) {
            return Err(AppError::not_found("booking", id).into());
        }
        let zone = facility.spec.time_zone;
        let range = booking_range(
            parse_instant("start", &start, zone)?,
            parse_instant("end", &end, zone)?,
        )?;
        let moved = service::move_booking(db, access(ctx)?, user, id, range, Utc::now()).await?;
        Ok(Booking::new(moved, &facility))
    }
}
