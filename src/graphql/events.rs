//! Events: creating and co-hosting them, the public listing, and changes to them.
use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use enumflags2::BitFlags;

use super::bookings::{Booking, TimeSlot, optional_text, slot};
use super::common::{LocalizedTextInput, LocalizedTextOutput, Municipality, best_text, parse_id};
use super::connection::TotalCount;
use super::context::{access, actor, authorize, request, state};
use super::enums::{
    AccessibilityFeature, CohostStatus, EventStatus, EventVisibility, HyteTheme, Language,
    Publication, TargetGroup,
};
use super::facilities::{Coordinates, Facility, visible_facility};
use super::loaders::{CohostsOf, OccurrencesOf, VenueOf, app_error, load_error};
use super::organisations::Organisation;
use crate::domain::booking::{booking_range, parse_instant};
use crate::domain::contact::{WebAddress, required_line};
use crate::domain::event::{
    self as domain, AgeRange, EventHosts, EventSpec, ExternalPlace, validate_keywords,
};
use crate::domain::facility::{
    self as facility_domain, validate_coordinates, validate_postal_code,
};
use crate::domain::ids::{EventId, FacilityId, OrganisationId};
use crate::domain::recurrence::RecurrenceRule;
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::bookings::series::SeriesError;
use crate::service::events::{
    self as service, EventFilter, EventUpdate, NewEvent, Recurrence, Schedule, Venue,
};
use crate::service::pagination::MAX_PAGE_SIZE;
use crate::service::{bookings as bookings_service, facilities};

/// An event: a concert, a peer group, a fair, hosted by an organisation and its co-hosts.
pub struct Event(pub service::Event);

/// A place outside the service's facilities.
#[derive(SimpleObject)]
pub struct EventPlace {
    /// Name of the place.
    name: String,
    /// Street address.
    street_address: Option<String>,
    /// Postal code.
    postal_code: Option<String>,
    /// Municipality.
    municipality: Option<Municipality>,
    /// WGS84 coordinates.
    coordinates: Option<Coordinates>,
}

/// How a recurring event repeats.
#[derive(SimpleObject)]
pub struct EventRecurrence {
    /// The RFC 5545 RRULE, e.g. `FREQ=WEEKLY;BYDAY=TU`.
    rrule: String,
    /// Local dates without an occurrence.
    exception_dates: Vec<NaiveDate>,
}

/// One time an event takes place.
#[derive(SimpleObject)]
pub struct EventOccurrence {
    /// Id.
    id: ID,
    /// Within a series, its original local start (`YYYY-MM-DDTHH:MM:SS`); it stays when
    /// the occurrence is moved (the RECURRENCE-ID of calendars).
    recurrence_id: Option<String>,
    /// When it takes place.
    time: TimeSlot,
    /// How it stands (a cancelled or postponed event's occurrences all do so).
    status: EventStatus,
    /// Why, for a cancelled or postponed one.
    status_reason: Option<String>,
}

/// An organisation invited to co-host an event.
pub struct EventCohost(service::Cohost);

#[Object]
impl EventCohost {
    /// The invited organisation.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        organisation(ctx, self.0.organisation_id).await
    }

    /// Its answer so far.
    async fn status(&self) -> CohostStatus {
        self.0.status.into()
    }

    /// When it was invited.
    async fn invited_at(&self) -> DateTime<Utc> {
        self.0.invited_at
    }

    /// When it answered.
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }
}

async fn organisation(ctx: &Context<'_>, id: OrganisationId) -> Result<Organisation> {
    let found = request(ctx)?
        .loader
        .load_one(id)
        .await
        .map_err(load_error)?
        .ok_or_else(|| AppError::not_found("organisation", id))?;
    Ok(Organisation(found))
}

impl Event {
    async fn cohosts_all(&self, ctx: &Context<'_>) -> Result<Vec<service::Cohost>, AppError> {
        Ok(request(ctx)?
            .loader
            .load_one(CohostsOf(self.0.id))
            .await
            .map_err(app_error)?
            .unwrap_or_default())
    }

    async fn hosts(&self, ctx: &Context<'_>) -> Result<EventHosts, AppError> {
        let cohosts = self.cohosts_all(ctx).await?;
        let with = |status: domain::CohostStatus| {
            cohosts
                .iter()
                .filter(|c| c.status == status)
                .map(|c| c.organisation_id)
                .collect()
        };
        Ok(EventHosts {
            organiser: self.0.organiser_id,
            accepted: with(domain::CohostStatus::Accepted),
            invited: with(domain::CohostStatus::Invited),
        })
    }

    async fn private_visible(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
        Ok(self.hosts(ctx).await?.can_see_private(access(ctx)?))
    }

    async fn venue(&self, ctx: &Context<'_>) -> Result<Vec<service::VenueBooking>, AppError> {
        Ok(request(ctx)?
            .loader
            .load_one(VenueOf(self.0.id))
            .await
            .map_err(app_error)?
            .unwrap_or_default())
    }

    /// The facilities the event is held in (those of its active bookings), that the
    /// request may see.
    async fn venue_facilities(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<facilities::Facility>, AppError> {
        let mut ids: Vec<FacilityId> = self
            .venue(ctx)
            .await?
            .iter()
            .filter(|v| v.booking.status.blocks())
            .map(|v| v.booking.facility_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Ok(facility) = visible_facility(ctx, id).await {
                found.push(facility);
            }
        }
        Ok(found)
    }
}

#[Object]
impl Event {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The stable part of the event's public address.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The event's public page.
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(event_url(&state(ctx)?.base_url, &self.0.slug))
    }

    /// Title in each language given.
    async fn title(&self) -> LocalizedTextOutput {
        (&self.0.spec.title).into()
    }

    /// The title in `language`, or in whichever language exists.
    async fn display_title(&self, language: Option<Language>) -> Option<String> {
        best_text(&self.0.spec.title, language)
    }

    /// A sentence or two.
    async fn summary(&self) -> LocalizedTextOutput {
        (&self.0.spec.summary).into()
    }

    /// The full description.
    async fn description(&self) -> LocalizedTextOutput {
        (&self.0.spec.description).into()
    }

    /// When it takes place (a recurring event: its first occurrence).
    async fn time(&self) -> TimeSlot {
        slot(&self.0.schedule.first, self.0.schedule.zone)
    }

    /// The IANA zone of its wall-clock times.
    async fn time_zone(&self) -> &str {
        self.0.schedule.zone.name()
    }

    /// How it repeats; null for a single event.
    async fn recurrence(&self) -> Option<EventRecurrence> {
        self.0
            .schedule
            .recurrence
            .as_ref()
            .map(|r| EventRecurrence {
                rrule: r.rule.to_string(),
                exception_dates: r.exception_dates.clone(),
            })
    }

    /// Its occurrences that overlap `from`–`to` (all of them by default), by start.
    async fn occurrences(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<EventOccurrence>> {
        let all = request(ctx)?
            .loader
            .load_one(OccurrencesOf(self.0.id))
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        let zone = self.0.schedule.zone;
        Ok(all
            .iter()
            .filter(|o| from.is_none_or(|f| o.range.end() > f))
            .filter(|o| to.is_none_or(|t| o.range.start() < t))
            .map(|o| EventOccurrence {
                id: ID(o.id.to_string()),
                recurrence_id: o.recurrence_id.map(|r| {
                    r.format(crate::service::bookings::series::LOCAL_FORMAT)
                        .to_string()
                }),
                time: slot(&o.range, zone),
                status: self.0.occurrence_status(o).into(),
                status_reason: self.0.occurrence_reason(o).map(str::to_string),
            })
            .collect())
    }

    /// Where it stands.
    async fn status(&self) -> EventStatus {
        self.0.status.into()
    }

    /// Why it was cancelled or postponed.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }

    /// Who may find it.
    async fn visibility(&self) -> EventVisibility {
        self.0.visibility.into()
    }

    /// Whether it is out.
    async fn publication(&self) -> Publication {
        self.0.publication.into()
    }

    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// The organising organisation.
    async fn organiser(&self, ctx: &Context<'_>) -> Result<Organisation> {
        organisation(ctx, self.0.organiser_id).await
    }

    /// Co-hosts: those that accepted, and for the hosts' members also the pending and
    /// declined invitations.
    async fn cohosts(&self, ctx: &Context<'_>) -> Result<Vec<EventCohost>> {
        let private = self.private_visible(ctx).await?;
        Ok(self
            .cohosts_all(ctx)
            .await?
            .into_iter()
            .filter(|c| private || c.status == domain::CohostStatus::Accepted)
            .map(EventCohost)
            .collect())
    }

    /// The facilities it is held in.
    async fn venues(&self, ctx: &Context<'_>) -> Result<Vec<Facility>> {
        Ok(self
            .venue_facilities(ctx)
            .await?
            .into_iter()
            .map(Facility)
            .collect())
    }

    /// A place outside the service's facilities, if held in one.
    async fn external_place(&self, ctx: &Context<'_>) -> Result<Option<EventPlace>> {
        let directory = &state(ctx)?.municipalities;
        Ok(self.0.spec.external_place.as_ref().map(|p| EventPlace {
            name: p.name.clone(),
            street_address: p.street_address.clone(),
            postal_code: p.postal_code.clone(),
            municipality: directory.by_code(&p.municipality_code).map(Into::into),
            coordinates: p.coordinates.map(|(latitude, longitude)| Coordinates {
                latitude,
                longitude,
            }),
        }))
    }

    /// Where to join online.
    async fn online_url(&self) -> Option<&str> {
        self.0.spec.online_url.as_ref().map(WebAddress::as_str)
    }

    /// The municipality it is held in.
    async fn municipality(&self, ctx: &Context<'_>) -> Result<Option<Municipality>> {
        Ok(state(ctx)?
            .municipalities
            .by_code(&self.0.municipality_code)
            .map(Into::into))
    }

    /// HYTE themes.
    async fn themes(&self) -> Vec<HyteTheme> {
        self.0.spec.themes.iter().map(Into::into).collect()
    }

    /// Target groups.
    async fn target_groups(&self) -> Vec<TargetGroup> {
        self.0.spec.target_groups.iter().map(Into::into).collect()
    }

    /// Languages it is held in.
    async fn languages(&self) -> Vec<Language> {
        self.0
            .spec
            .languages
            .iter()
            .map(|l| crate::domain::localized::Language::from(l).into())
            .collect()
    }

    /// Free of charge.
    async fn is_free(&self) -> bool {
        self.0.spec.is_free
    }

    /// What it costs, in words.
    async fn price(&self) -> LocalizedTextOutput {
        (&self.0.spec.price).into()
    }

    /// Where to register.
    async fn registration_url(&self) -> Option<&str> {
        self.0
            .spec
            .registration_url
            .as_ref()
            .map(WebAddress::as_str)
    }

    /// How many may register.
    async fn registration_capacity(&self) -> Option<i32> {
        self.0
            .spec
            .registration_capacity
            .map(|c| i32::try_from(c).unwrap_or(i32::MAX))
    }

    /// Accessibility features of where it is held: those every venue facility offers, or
    /// those of its external place.
    async fn accessibility(&self, ctx: &Context<'_>) -> Result<Vec<AccessibilityFeature>> {
        let venues = self.venue_facilities(ctx).await?;
        let features = if venues.is_empty() {
            self.0.spec.accessibility
        } else {
            venues
                .iter()
                .fold(BitFlags::all(), |all, f| all & f.spec.accessibility)
        };
        Ok(features.iter().map(Into::into).collect())
    }

    /// Accessibility, in words.
    async fn accessibility_info(&self) -> LocalizedTextOutput {
        (&self.0.spec.accessibility_info).into()
    }

    /// The youngest age it is meant for.
    async fn min_age(&self) -> Option<i32> {
        self.0.spec.age.min().map(i32::from)
    }

    /// The oldest age it is meant for.
    async fn max_age(&self) -> Option<i32> {
        self.0.spec.age.max().map(i32::from)
    }

    /// Keywords.
    async fn keywords(&self) -> &[String] {
        &self.0.spec.keywords
    }

    /// A picture.
    async fn image_url(&self) -> Option<&str> {
        self.0.spec.image_url.as_ref().map(WebAddress::as_str)
    }

    /// More information.
    async fn info_url(&self) -> Option<&str> {
        self.0.spec.info_url.as_ref().map(WebAddress::as_str)
    }

    /// Its venue bookings: for the hosts' members only (null for others), so that no
    /// private detail of a booking is shown through an event.
    async fn bookings(&self, ctx: &Context<'_>) -> Result<Option<Vec<Booking>>> {
        if !self.private_visible(ctx).await? {
            return Ok(None);
        }
        let venue = self.venue(ctx).await?;
        let ids: Vec<FacilityId> = venue.iter().map(|v| v.booking.facility_id).collect();
        let facilities = request(ctx)?
            .loader
            .load_many(ids)
            .await
            .map_err(load_error)?;
        venue
            .into_iter()
            .map(|v| {
                let facility = facilities
                    .get(&v.booking.facility_id)
                    .ok_or_else(|| AppError::internal("a booking of a missing facility"))?;
                Ok(Booking::new(v.booking, facility).seen_by_hosts())
            })
            .collect::<Result<Vec<_>, AppError>>()
            .map(Some)
            .map_err(Into::into)
    }

    /// Grows with every change a calendar would show.
    async fn sequence(&self) -> i32 {
        self.0.sequence
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The public page of the event with `slug`.
pub fn event_url(base_url: &str, slug: &str) -> String {
    format!("{base_url}/events/{slug}")
}

/// A place outside the service's facilities.
#[derive(InputObject)]
pub struct EventPlaceInput {
    /// Name of the place, e.g. "Kauppatori".
    name: String,
    /// Street address.
    street_address: Option<String>,
    /// Postal code.
    postal_code: Option<String>,
    /// Municipality: code or Finnish or Swedish name.
    municipality: String,
    /// Latitude (WGS84).
    latitude: Option<f64>,
    /// Longitude (WGS84).
    longitude: Option<f64>,
}

/// What an event is. Texts are in Finnish, Swedish and English; the title in at least one.
#[derive(InputObject)]
pub struct EventDetailsInput {
    /// Title.
    title: LocalizedTextInput,
    /// A sentence or two.
    #[graphql(default)]
    summary: LocalizedTextInput,
    /// The full description.
    #[graphql(default)]
    description: LocalizedTextInput,
    /// A place outside the service's facilities (instead of venue bookings).
    external_place: Option<EventPlaceInput>,
    /// Where to join online.
    online_url: Option<String>,
    /// HYTE themes.
    #[graphql(default)]
    themes: Vec<HyteTheme>,
    /// Target groups.
    #[graphql(default)]
    target_groups: Vec<TargetGroup>,
    /// Languages it is held in (default: the languages of its title).
    languages: Option<Vec<Language>>,
    /// Free of charge.
    #[graphql(default)]
    is_free: bool,
    /// What it costs, in words.
    #[graphql(default)]
    price: LocalizedTextInput,
    /// Where to register.
    registration_url: Option<String>,
    /// How many may register.
    registration_capacity: Option<i32>,
    /// Accessibility features of an external place (a facility's own count otherwise).
    #[graphql(default)]
    accessibility: Vec<AccessibilityFeature>,
    /// Accessibility, in words.
    #[graphql(default)]
    accessibility_info: LocalizedTextInput,
    /// The youngest age it is meant for.
    min_age: Option<i32>,
    /// The oldest age it is meant for.
    max_age: Option<i32>,
    /// Keywords (at most 20).
    #[graphql(default)]
    keywords: Vec<String>,
    /// A picture (http or https).
    image_url: Option<String>,
    /// More information (http or https).
    info_url: Option<String>,
}

fn url(field: &str, value: Option<String>) -> Result<Option<WebAddress>, ValidationError> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| WebAddress::parse(field, &v))
        .transpose()
}

impl EventDetailsInput {
    fn into_spec(self, ctx: &Context<'_>) -> Result<EventSpec, AppError> {
        let directory = &state(ctx)?.municipalities;
        let title = self.title.required("title", 200)?;
        let summary = self.summary.optional();
        if let Some((lang, _)) = summary.entries().find(|(_, t)| t.chars().count() > 600) {
            return Err(ValidationError::new(
                format!("summary.{}", lang.as_ref()),
                "TEXT_TOO_LONG",
                "at most 600 characters",
            )
            .into());
        }
        let description = self.description.optional();
        if let Some((lang, _)) = description
            .entries()
            .find(|(_, t)| t.chars().count() > 20_000)
        {
            return Err(ValidationError::new(
                format!("description.{}", lang.as_ref()),
                "TEXT_TOO_LONG",
                "at most 20000 characters",
            )
            .into());
        }
        let external_place = self
            .external_place
            .map(|p| -> Result<ExternalPlace, ValidationError> {
                Ok(ExternalPlace {
                    name: required_line("name", &p.name, 200)?,
                    street_address: optional_text("streetAddress", p.street_address, 200)?,
                    postal_code: p
                        .postal_code
                        .filter(|c| !c.trim().is_empty())
                        .map(|c| validate_postal_code(&c))
                        .transpose()?,
                    municipality_code: directory
                        .resolve("municipality", &p.municipality)?
                        .code
                        .clone(),
                    coordinates: validate_coordinates(p.latitude, p.longitude)?,
                })
            })
            .transpose()
            .map_err(|e| e.within("externalPlace"))?;
        let languages = match self.languages {
            Some(list) => list
                .into_iter()
                .map(|l| domain::EventLanguage::from(crate::domain::localized::Language::from(l)))
                .collect(),
            None => title
                .entries()
                .map(|(l, _)| domain::EventLanguage::from(l))
                .collect(),
        };
        let spec = EventSpec {
            title,
            summary,
            description,
            external_place,
            online_url: url("onlineUrl", self.online_url)?,
            themes: self
                .themes
                .into_iter()
                .map(domain::HyteTheme::from)
                .collect(),
            target_groups: self
                .target_groups
                .into_iter()
                .map(domain::TargetGroup::from)
                .collect(),
            languages,
            is_free: self.is_free,
            price: self.price.optional(),
            registration_url: url("registrationUrl", self.registration_url)?,
            registration_capacity: self
                .registration_capacity
                .map(|c| {
                    u32::try_from(c).map_err(|_| {
                        ValidationError::new(
                            "registrationCapacity",
                            "NEGATIVE_VALUE",
                            "must not be negative",
                        )
                    })
                })
                .transpose()?,
            accessibility: self
                .accessibility
                .into_iter()
                .map(facility_domain::AccessibilityFeature::from)
                .collect(),
            accessibility_info: self.accessibility_info.optional(),
            age: AgeRange::new(self.min_age, self.max_age)?,
            keywords: validate_keywords(self.keywords)?,
            image_url: url("imageUrl", self.image_url)?,
            info_url: url("infoUrl", self.info_url)?,
        };
        Ok(spec)
    }
}

/// How an event repeats, on its venue's wall clock.
#[derive(InputObject)]
pub struct EventRecurrenceInput {
    /// An RFC 5545 RRULE in the supported subset (FREQ=DAILY/WEEKLY/MONTHLY, INTERVAL,
    /// BYDAY, BYMONTHDAY, COUNT, UNTIL), e.g. `FREQ=WEEKLY;BYDAY=TU;COUNT=10`.
    rrule: String,
    /// Local dates without an occurrence.
    #[graphql(default)]
    exception_dates: Vec<NaiveDate>,
}

/// A venue of an event: a facility to book for it, or a booking already made.
#[derive(InputObject)]
pub struct EventVenueInput {
    /// Book this facility for the event's time (each occurrence of a recurring event).
    facility_id: Option<ID>,
    /// Or use this booking of yours, which covers the event's time.
    booking_id: Option<ID>,
    /// Expected number of people (checked against the facility's capacity).
    attendees: Option<i32>,
}

/// An event to create. Times are RFC 3339 with an offset, or local `YYYY-MM-DDTHH:MM` on
/// the venue's wall clock (Europe/Helsinki without a facility).
#[derive(InputObject)]
pub struct CreateEventInput {
    /// The organising organisation (you must belong to it).
    organiser_id: ID,
    /// Start (of the first occurrence).
    start: String,
    /// End (exclusive).
    end: String,
    /// How it repeats.
    recurrence: Option<EventRecurrenceInput>,
    /// Facilities to book, or bookings to use, for it.
    #[graphql(default)]
    venues: Vec<EventVenueInput>,
    /// Who may find it.
    #[graphql(default_with = "EventVisibility::Public")]
    visibility: EventVisibility,
    /// Publish it at once (default: a draft).
    #[graphql(default)]
    publish: bool,
    /// What it is.
    details: EventDetailsInput,
}

/// Which events to list; all given filters must match. Lists of themes, groups and
/// languages match events with any of them.
#[derive(InputObject, Default)]
pub struct EventFilterInput {
    /// Events that end after this instant (default: now).
    from: Option<DateTime<Utc>>,
    /// Events that start before this instant.
    to: Option<DateTime<Utc>>,
    /// Municipality: code or Finnish or Swedish name.
    municipality: Option<String>,
    /// About any of these themes.
    themes: Option<Vec<HyteTheme>>,
    /// For any of these target groups.
    target_groups: Option<Vec<TargetGroup>>,
    /// Organised or co-hosted by this organisation.
    organisation_id: Option<ID>,
    /// Free of charge only.
    #[graphql(default)]
    free_only: bool,
    /// Held where all of these accessibility features are offered.
    accessibility: Option<Vec<AccessibilityFeature>>,
    /// Held in any of these languages.
    languages: Option<Vec<Language>>,
    /// Words to find in titles, texts and keywords, in any language.
    text: Option<String>,
    /// With `organisationId`: every event the organisation hosts or is invited to
    /// (drafts, private and unlisted ones too), for its members.
    #[graphql(default)]
    include_unpublished: bool,
}

impl EventFilterInput {
    fn into_filter(self, ctx: &Context<'_>) -> Result<EventFilter, AppError> {
        let directory = &state(ctx)?.municipalities;
        let host = self
            .organisation_id
            .map(|id| parse_id("filter.organisationId", &id).map(OrganisationId))
            .transpose()?;
        let hosted_by_members_of = match (self.include_unpublished, host) {
            (false, _) => None,
            (true, None) => {
                return Err(ValidationError::new(
                    "filter.organisationId",
                    "FILTER_REQUIRED",
                    "includeUnpublished lists one organisation's events: give organisationId",
                )
                .into());
            }
            (true, Some(host)) => {
                authorize(
                    ctx,
                    |a| a.role_in(host).is_some() || a.is_coordinator(),
                    "only an organisation's members see its unpublished events",
                )?;
                Some(host)
            }
        };
        Ok(EventFilter {
            from: self.from.unwrap_or_else(Utc::now),
            to: self.to,
            municipality_code: self
                .municipality
                .map(|m| {
                    directory
                        .resolve("filter.municipality", &m)
                        .map(|m| m.code.clone())
                })
                .transpose()?,
            themes: self
                .themes
                .unwrap_or_default()
                .into_iter()
                .map(domain::HyteTheme::from)
                .collect(),
            target_groups: self
                .target_groups
                .unwrap_or_default()
                .into_iter()
                .map(domain::TargetGroup::from)
                .collect(),
            host: host.filter(|_| hosted_by_members_of.is_none()),
            free_only: self.free_only,
            accessibility: self
                .accessibility
                .unwrap_or_default()
                .into_iter()
                .map(facility_domain::AccessibilityFeature::from)
                .collect(),
            languages: self
                .languages
                .unwrap_or_default()
                .into_iter()
                .map(|l| domain::EventLanguage::from(crate::domain::localized::Language::from(l)))
                .collect(),
            text: self.text.filter(|t| !t.trim().is_empty()),
            hosted_by_members_of,
        })
    }
}

/// The cursor of the event listing: first start (microseconds) and id.
type EventCursor = OpaqueCursor<(i64, i64)>;

/// A page of the event listing.
pub type EventConnection = Connection<EventCursor, Event, TotalCount>;

/// The event `id` if the request may see it: published and not private, or to its hosts.
async fn visible_event(ctx: &Context<'_>, event: service::Event) -> Result<Event, AppError> {
    let id = event.id;
    let view = Event(event);
    if view.0.is_open() || view.private_visible(ctx).await? {
        Ok(view)
    } else {
        Err(AppError::not_found("event", id))
    }
}

/// Reading events.
#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// One event, by id or by its slug; drafts and private events only for their hosts.
    async fn event(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> Result<Event> {
        let db = &state(ctx)?.db;
        let event = match (id, slug) {
            (Some(id), None) => service::get(db, EventId(parse_id("id", &id)?)).await?,
            (None, Some(slug)) => service::by_slug(db, &slug).await?,
            _ => {
                return Err(ValidationError::new(
                    "id",
                    "ONE_OF_REQUIRED",
                    "give either id or slug",
                )
                .into());
            }
        };
        Ok(visible_event(ctx, event).await?)
    }

    /// Public, published events by their (first) start in the window, then id: the
    /// regional calendar. Anyone may ask.
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<EventConnection> {
        let first = first.unwrap_or(20);
        let size = u64::try_from(first)
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ValidationError::new(
                    "first",
                    "INVALID_PAGE_SIZE",
                    format!("first is from 1 to {MAX_PAGE_SIZE}"),
                )
            })?;
        let cursor = after
            .map(|c| {
                EventCursor::decode_cursor(&c)
                    .ok()
                    .and_then(|c| {
                        DateTime::from_timestamp_micros(c.0.0).map(|t| (t, EventId(c.0.1)))
                    })
                    .ok_or_else(|| {
                        ValidationError::new("after", "INVALID_CURSOR", "not a cursor of this list")
                    })
            })
            .transpose()?;
        let filter = filter.unwrap_or_default().into_filter(ctx)?;
        let page = service::list(&state(ctx)?.db, &filter, size, cursor).await?;
        let mut connection = Connection::with_additional_fields(
            cursor.is_some(),
            page.has_next_page,
            TotalCount::new(page.count),
        );
        connection.edges.extend(page.rows.into_iter().map(|listed| {
            let cursor = OpaqueCursor((listed.first_start.timestamp_micros(), listed.event.id.0));
            Edge::new(cursor, Event(listed.event))
        }));
        Ok(connection)
    }
}

/// Creating, co-hosting and changing events.
#[derive(Default)]
pub struct EventMutation;

fn venues(input: Vec<EventVenueInput>) -> Result<Vec<Venue>, ValidationError> {
    input
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let field = |name: &str| format!("venues.{i}.{name}");
            let attendees = v
                .attendees
                .map(|a| {
                    u32::try_from(a).map_err(|_| {
                        ValidationError::new(
                            field("attendees"),
                            "NEGATIVE_VALUE",
                            "must not be negative",
                        )
                    })
                })
                .transpose()?;
            match (v.facility_id, v.booking_id) {
                (Some(facility), None) => Ok(Venue::NewBooking {
                    facility_id: FacilityId(parse_id(&field("facilityId"), &facility)?),
                    attendees,
                }),
                (None, Some(booking)) => Ok(Venue::Booking {
                    booking_id: parse_id(&field("bookingId"), &booking)?,
                }),
                _ => Err(ValidationError::new(
                    field("facilityId"),
                    "ONE_OF_REQUIRED",
                    "give either facilityId or bookingId",
                )),
            }
        })
        .collect()
}

/// The zone of an event's times: its first venue's, or the service's default.
async fn venue_zone(ctx: &Context<'_>, venues: &[Venue]) -> Result<Tz, AppError> {
    let state = state(ctx)?;
    let facility = match venues.first() {
        None => return Ok(state.default_timezone),
        Some(Venue::NewBooking { facility_id, .. }) => *facility_id,
        Some(Venue::Booking { booking_id }) => {
            bookings_service::get(&state.db, *booking_id)
                .await?
                .facility_id
        }
    };
    Ok(visible_facility(ctx, facility).await?.spec.time_zone)
}

fn time_range(start: &str, end: &str, zone: Tz) -> Result<TimeRange, ValidationError> {
    booking_range(
        parse_instant("start", start, zone)?,
        parse_instant("end", end, zone)?,
    )
}

/// A series error on `input`, with its fields under `input`.
fn series_error(err: SeriesError) -> async_graphql::Error {
    use async_graphql::ErrorExtensions;
    match err {
        SeriesError::App(AppError::Validation(v)) => {
            AppError::Validation(v.within("input")).extend()
        }
        other => other.extend(),
    }
}

async fn event_of(ctx: &Context<'_>, id: &ID) -> Result<service::Event, AppError> {
    service::get(&state(ctx)?.db, EventId(parse_id("id", id)?)).await
}

#[Object]
impl EventMutation {
    /// Creates an event of an organisation you belong to, booking its venue facilities in
    /// the same transaction: if a booking conflicts or breaks a facility's rules, no event
    /// is created. A recurring event books each facility for every occurrence.
    async fn create_event(&self, ctx: &Context<'_>, input: CreateEventInput) -> Result<Event> {
        let user = actor(ctx)?.user_id;
        let organiser_id = OrganisationId(parse_id("input.organiserId", &input.organiser_id)?);
        authorize(
            ctx,
            |a| a.can_host_for(organiser_id),
            "you create events only for organisations you belong to",
        )?;
        let venues = venues(input.venues).map_err(|e| e.within("input"))?;
        let zone = venue_zone(ctx, &venues).await?;
        let first = time_range(&input.start, &input.end, zone).map_err(|e| e.within("input"))?;
        let recurrence = input
            .recurrence
            .map(|r| {
                RecurrenceRule::parse(&r.rrule)
                    .map(|rule| Recurrence {
                        rule,
                        exception_dates: r.exception_dates,
                    })
                    .map_err(|e| {
                        ValidationError::new("input.recurrence.rrule", e.code(), e.to_string())
                    })
            })
            .transpose()?;
        let spec = input.details.into_spec(ctx).map_err(|e| match e {
            AppError::Validation(v) => AppError::Validation(v.within("input.details")),
            other => other,
        })?;
        let new = NewEvent {
            organiser_id,
            spec,
            schedule: Schedule {
                zone,
                first,
                recurrence,
            },
            venues,
            visibility: input.visibility.into(),
            publication: if input.publish {
                domain::Publication::Published
            } else {
                domain::Publication::Draft
            },
        };
        let event = service::create(&state(ctx)?.db, access(ctx)?, user, new, Utc::now())
            .await
            .map_err(series_error)?;
        Ok(Event(event))
    }

    /// Replaces what an event is (its details) and who may find it: the organiser's and
    /// accepted co-hosts' members (visibility only the organiser's).
    async fn update_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        visibility: EventVisibility,
        details: EventDetailsInput,
    ) -> Result<Event> {
        actor(ctx)?;
        let id = EventId(parse_id("id", &id)?);
        let spec = details.into_spec(ctx).map_err(|e| match e {
            AppError::Validation(v) => AppError::Validation(v.within("details")),
            other => other,
        })?;
        let update = EventUpdate {
            spec,
            visibility: visibility.into(),
        };
        let event = service::update(&state(ctx)?.db, access(ctx)?, id, update, Utc::now()).await?;
        Ok(Event(event))
    }

    /// Publishes a draft: the organiser's members.
    async fn publish_event(&self, ctx: &Context<'_>, id: ID) -> Result<Event> {
        actor(ctx)?;
        let id = EventId(parse_id("id", &id)?);
        Ok(Event(
            service::publish(&state(ctx)?.db, access(ctx)?, id, Utc::now()).await?,
        ))
    }

    /// Moves a single event (also a postponed one) to a new time with its venue bookings,
    /// under their facilities' rules; it shows as RESCHEDULED.
    async fn reschedule_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
        start: String,
        end: String,
    ) -> Result<Event> {
        let user = actor(ctx)?.user_id;
        let event = event_of(ctx, &id).await?;
        let range = time_range(&start, &end, event.schedule.zone)?;
        Ok(Event(
            service::reschedule(
                &state(ctx)?.db,
                access(ctx)?,
                user,
                event.id,
                range,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Postpones an event to a time not yet known, telling the public why.
    async fn postpone_event(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Event> {
        actor(ctx)?;
        let id = EventId(parse_id("id", &id)?);
        let reason = optional_text("reason", Some(reason), 2000)?;
        Ok(Event(
            service::postpone(
                &state(ctx)?.db,
                access(ctx)?,
                id,
                reason.as_deref(),
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Cancels an event, telling the public why; its venue bookings still to come are
    /// freed (those past a facility's cancellation notice stay for its contact person).
    async fn cancel_event(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Event> {
        let user = actor(ctx)?.user_id;
        let id = EventId(parse_id("id", &id)?);
        let reason = optional_text("reason", Some(reason), 2000)?;
        Ok(Event(
            service::cancel(
                &state(ctx)?.db,
                access(ctx)?,
                user,
                id,
                reason.as_deref(),
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Cancels one occurrence of a recurring event and frees its venue bookings.
    async fn cancel_event_occurrence(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        occurrence_id: ID,
        reason: String,
    ) -> Result<Event> {
        let user = actor(ctx)?.user_id;
        let id = EventId(parse_id("eventId", &event_id)?);
        let occurrence = parse_id("occurrenceId", &occurrence_id)?;
        let reason = optional_text("reason", Some(reason), 2000)?;
        Ok(Event(
            service::cancel_occurrence(
                &state(ctx)?.db,
                access(ctx)?,
                user,
                id,
                occurrence,
                reason.as_deref(),
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Moves one occurrence of a recurring event with its venue bookings; it keeps its
    /// recurrence id and shows as RESCHEDULED.
    async fn move_event_occurrence(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        occurrence_id: ID,
        start: String,
        end: String,
    ) -> Result<Event> {
        let user = actor(ctx)?.user_id;
        let event = event_of(ctx, &event_id).await?;
        let occurrence = parse_id("occurrenceId", &occurrence_id)?;
        let range = time_range(&start, &end, event.schedule.zone)?;
        Ok(Event(
            service::move_occurrence(
                &state(ctx)?.db,
                access(ctx)?,
                user,
                event.id,
                occurrence,
                range,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Invites an organisation to co-host (again, if it declined): the organiser's members.
    async fn invite_cohost(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        organisation_id: ID,
    ) -> Result<EventCohost> {
        let user = actor(ctx)?.user_id;
        let id = EventId(parse_id("eventId", &event_id)?);
        let organisation = OrganisationId(parse_id("organisationId", &organisation_id)?);
        Ok(EventCohost(
            service::invite_cohost(
                &state(ctx)?.db,
                access(ctx)?,
                user,
                id,
                organisation,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Accepts or declines an invitation to co-host: the invited organisation's admins.
    async fn answer_cohost_invitation(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        organisation_id: ID,
        accept: bool,
    ) -> Result<EventCohost> {
        let user = actor(ctx)?.user_id;
        let id = EventId(parse_id("eventId", &event_id)?);
        let organisation = OrganisationId(parse_id("organisationId", &organisation_id)?);
        Ok(EventCohost(
            service::answer_invitation(
                &state(ctx)?.db,
                access(ctx)?,
                user,
                id,
                organisation,
                accept,
                Utc::now(),
            )
            .await?,
        ))
    }

    /// Withdraws an invitation or ends a co-hosting: the organiser's members.
    async fn remove_cohost(
        &self,
        ctx: &Context<'_>,
        event_id: ID,
        organisation_id: ID,
    ) -> Result<bool> {
        actor(ctx)?;
        let id = EventId(parse_id("eventId", &event_id)?);
        let organisation = OrganisationId(parse_id("organisationId", &organisation_id)?);
        service::remove_cohost(&state(ctx)?.db, access(ctx)?, id, organisation, Utc::now()).await?;
        Ok(true)
    }
}
