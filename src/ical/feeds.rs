//! Calendar feeds over HTTP (`text/calendar`): a facility's schedule, an organisation's
//! public bookings, and members' private feeds. Each answers `304 Not Modified` from one
//! aggregate query when the client's copy is current, and otherwise streams the calendar
//! item by item.
use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use poem::http::{HeaderMap, StatusCode, header};
use poem::web::headers::{ETag, HeaderMapExt, IfModifiedSince, IfNoneMatch, LastModified};
use poem::web::{Data, Path, Query};
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Response, Route, get, handler};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::bookings::{Booker, BookingCalendar, Detail, Place};
use super::calendar::{CalendarHeader, Method, zones_of};
use super::events::{EventCalendar, EventSetting};
use super::writer::ContentWriter;
use crate::config::Config;
use crate::domain::ids::{EventId, FacilityId, OrganisationId};
use crate::domain::localized::Language;
use crate::domain::permissions::Access;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};
use crate::graphql::context::AppState;
use crate::graphql::events::event_url;
use crate::service::bookings::Booking;
use crate::service::bookings::series::Series;
use crate::service::calendar::{
    self, BookingScope, EventSelection, FeedData, FeedQuery, FeedWindow,
};
use crate::service::events::{Event, EventFilter, Occurrence};
use crate::service::{facilities, organisations};

/// Changes whenever the rendering changes, so that ETags of old output do not match.
const FORMAT_VERSION: u32 = 1;

/// About this many bytes go out in one piece of the streamed body.
const CHUNK_BYTES: usize = 64 * 1024;

/// How far feeds reach and how they ask to be refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSettings {
    /// Items that ended longer ago are left out.
    pub back: Duration,
    /// Items that start later are left out.
    pub ahead: Duration,
    /// Cancelled items stay this long after the cancellation.
    pub cancelled_kept: Duration,
    /// `REFRESH-INTERVAL` and `X-PUBLISHED-TTL`.
    pub refresh: Duration,
}

impl FeedSettings {
    /// The settings given by flags and the environment.
    pub fn from_config(config: &Config) -> Self {
        let days = |d: u32| Duration::days(i64::from(d));
        Self {
            back: days(config.feed_days_back),
            ahead: days(config.feed_days_ahead),
            cancelled_kept: days(config.feed_cancelled_days),
            refresh: Duration::minutes(i64::from(config.feed_refresh_minutes.max(1))),
        }
    }

    fn window(&self, now: DateTime<Utc>) -> FeedWindow {
        FeedWindow {
            from: now - self.back,
            until: now + self.ahead,
            cancelled_since: now - self.cancelled_kept,
        }
    }
}

/// What the feed handlers share.
struct Feeds {
    state: Arc<AppState>,
    settings: FeedSettings,
}

/// The feed routes, to be nested under `/ical`.
pub fn routes(state: Arc<AppState>, settings: FeedSettings) -> impl Endpoint {
    Route::new()
        .at("/events.ics", get(events_feed))
        .at("/facilities/:file", get(facility_feed))
        .at("/organisations/:file", get(organisation_feed))
        .at("/private/:file", get(private_feed))
        .data(Arc::new(Feeds { state, settings }))
}

/// Query parameters every feed takes.
#[derive(Debug, Deserialize)]
struct FeedParams {
    /// `fi`, `sv` or `en`.
    lang: Option<String>,
}

impl FeedParams {
    fn language(&self, default: Language) -> Result<Language, ValidationError> {
        match &self.lang {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| {
                ValidationError::new("lang", "UNKNOWN_LANGUAGE", "lang is fi, sv or en")
            }),
        }
    }
}

/// The id in a `<id>.ics` path segment; anything else is not found.
fn file_id(file: &str, entity: &'static str) -> AppResult<i64> {
    file.strip_suffix(".ics")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AppError::not_found(entity, file))
}

fn error_response(err: AppError) -> Response {
    let status =
        StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match &err {
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "calendar feed failed");
            format!("{}: {err}", err.code())
        }
        AppError::Validation(v) => format!("{}: {} ({})", err.code(), v.message, v.field),
        // Never a hint whether a private feed exists.
        AppError::NotFound { .. } => "NOT_FOUND: no such calendar".to_string(),
        _ => format!("{}: {err}", err.code()),
    };
    Response::builder()
        .status(status)
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

fn answer(result: AppResult<Response>) -> Response {
    result.unwrap_or_else(error_response)
}

/// The filters of the public events feed, as in the GraphQL `events` query; lists are
/// comma-separated (`theme=MENTAL_WELLBEING,EVERYDAY_SAFETY`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventParams {
    lang: Option<String>,
    /// Municipality code or Finnish or Swedish name.
    municipality: Option<String>,
    /// HYTE themes.
    theme: Option<String>,
    /// Target groups.
    target_group: Option<String>,
    /// Organised or co-hosted by this organisation (id).
    organiser: Option<String>,
    /// `true` for free events only.
    free: Option<bool>,
}

/// Parses a comma-separated list of enum names into a bit set.
fn flags<T>(field: &str, list: Option<&str>) -> Result<enumflags2::BitFlags<T>, ValidationError>
where
    T: enumflags2::BitFlag + std::str::FromStr,
{
    list.into_iter()
        .flat_map(|l| l.split(','))
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            item.trim().parse::<T>().map_err(|_| {
                ValidationError::new(field, "UNKNOWN_VALUE", format!("unknown {field} {item:?}"))
            })
        })
        .collect()
}

impl EventParams {
    fn filter(&self, state: &AppState) -> Result<EventFilter, ValidationError> {
        Ok(EventFilter {
            municipality_code: self
                .municipality
                .as_deref()
                .map(|m| {
                    state
                        .municipalities
                        .resolve("municipality", m)
                        .map(|m| m.code.clone())
                })
                .transpose()?,
            themes: flags("theme", self.theme.as_deref())?,
            target_groups: flags("targetGroup", self.target_group.as_deref())?,
            host: self
                .organiser
                .as_deref()
                .map(|id| {
                    id.parse()
                        .map(OrganisationId)
                        .map_err(|_| ValidationError::new("organiser", "INVALID_ID", "not an id"))
                })
                .transpose()?,
            free_only: self.free.unwrap_or(false),
            ..EventFilter::default()
        })
    }
}

#[handler]
async fn events_feed(
    feeds: Data<&Arc<Feeds>>,
    Query(params): Query<EventParams>,
    headers: &HeaderMap,
) -> Response {
    answer(
        async {
            let language = FeedParams {
                lang: params.lang.clone(),
            }
            .language(Language::Fi)?;
            let filter = params.filter(&feeds.state)?;
            let key = format!("events:{filter:?}");
            let request = FeedRequest {
                query: FeedQuery {
                    bookings: None,
                    events: Some(EventSelection {
                        filter,
                        venue: None,
                    }),
                },
                detail: Detail::Public,
                language,
                name: match language {
                    Language::Fi => "Yhteistila: tapahtumat",
                    Language::Sv => "Yhteistila: evenemang",
                    Language::En => "Yhteistila: events",
                }
                .to_string(),
                zone: feeds.state.default_timezone,
                key,
                changed: DateTime::UNIX_EPOCH,
                private: false,
            };
            serve(&feeds, request, headers).await
        }
        .await,
    )
}

#[handler]
async fn facility_feed(
    feeds: Data<&Arc<Feeds>>,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
    headers: &HeaderMap,
) -> Response {
    answer(
        async {
            let id = FacilityId(file_id(&file, "facility")?);
            let language = params.language(Language::Fi)?;
            let facility = facilities::get(&feeds.state.db, id).await?;
            if !facility.published {
                return Err(AppError::not_found("facility", id));
            }
            let request = FeedRequest {
                query: FeedQuery {
                    bookings: Some(BookingScope::Facility(id)),
                    events: Some(EventSelection {
                        filter: EventFilter::default(),
                        venue: Some(id),
                    }),
                },
                detail: Detail::Public,
                language,
                name: facility
                    .spec
                    .name
                    .best(language)
                    .unwrap_or_default()
                    .to_string(),
                zone: facility.spec.time_zone,
                key: format!("facility:{id}"),
                changed: facility.updated_at,
                private: false,
            };
            serve(&feeds, request, headers).await
        }
        .await,
    )
}

#[handler]
async fn organisation_feed(
    feeds: Data<&Arc<Feeds>>,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
    headers: &HeaderMap,
) -> Response {
    answer(
        async {
            let id = OrganisationId(file_id(&file, "organisation")?);
            let language = params.language(Language::Fi)?;
            let organisation = organisations::get(&feeds.state.db, id).await?;
            let request = FeedRequest {
                query: FeedQuery {
                    bookings: Some(BookingScope::PublicOfOrganisation(id)),
                    events: Some(EventSelection {
                        filter: EventFilter {
                            host: Some(id),
                            ..EventFilter::default()
                        },
                        venue: None,
                    }),
                },
                detail: Detail::Public,
                language,
                name: organisation
                    .name
                    .best(language)
                    .unwrap_or_default()
                    .to_string(),
                zone: feeds.state.default_timezone,
                key: format!("organisation:{id}"),
                changed: organisation.updated_at,
                private: false,
            };
            serve(&feeds, request, headers).await
        }
        .await,
    )
}

#[handler]
async fn private_feed(
    feeds: Data<&Arc<Feeds>>,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
    headers: &HeaderMap,
) -> Response {
    answer(
        async {
            let unknown = || AppError::not_found("calendar", "");
            let token = file.strip_suffix(".ics").ok_or_else(unknown)?;
            let db = &feeds.state.db;
            let (feed, actor) = calendar::private_feed_by_token(db, token)
                .await?
                .ok_or_else(unknown)?;
            // The owner's rights are checked on every fetch: a member who left gets 404.
            if !Access::user(actor).can_follow_calendar_of(feed.organisation_id) {
                return Err(unknown());
            }
            let language = params.language(feed.language)?;
            let organisation = organisations::get(db, feed.organisation_id).await?;
            let name = organisation.name.best(language).unwrap_or_default();
            let request = FeedRequest {
                query: FeedQuery {
                    bookings: Some(BookingScope::Member(feed.organisation_id)),
                    events: Some(EventSelection {
                        filter: EventFilter {
                            hosted_by_members_of: Some(feed.organisation_id),
                            ..EventFilter::default()
                        },
                        venue: None,
                    }),
                },
                detail: Detail::Full,
                language,
                name: format!("{name} ({})", feed.name),
                zone: feeds.state.default_timezone,
                key: format!("private:{}", feed.id),
                changed: organisation.updated_at.max(feed.created_at),
                private: true,
            };
            serve(&feeds, request, headers).await
        }
        .await,
    )
}

/// One feed to answer.
struct FeedRequest {
    query: FeedQuery,
    detail: Detail,
    language: Language,
    /// `X-WR-CALNAME`.
    name: String,
    /// `X-WR-TIMEZONE`.
    zone: Tz,
    /// Tells this feed from others in the ETag.
    key: String,
    /// The last change of what the feed is of (its name is in the calendar).
    changed: DateTime<Utc>,
    /// Members only: not to be kept by shared caches.
    private: bool,
}

/// Answers a feed: 304 when the client's copy is current, else the whole calendar.
async fn serve(feeds: &Feeds, request: FeedRequest, headers: &HeaderMap) -> AppResult<Response> {
    use sea_orm::TransactionTrait;
    let settings = feeds.settings;
    let state = &feeds.state;
    let now = Utc::now();
    let window = settings.window(now);
    let years = window.from.year()..=window.until.year();
    // One snapshot for the fingerprint and the rows.
    let txn = state.db.begin().await?;
    let prints = calendar::fingerprint(&txn, &request.query, window).await?;
    let digest = Sha256::digest(
        format!(
            "{FORMAT_VERSION}|{}|{:?}|{}|{:?}|{}|{}|{:?}|{:?}|{:?}",
            request.key,
            request.detail,
            request.language.as_ref(),
            prints,
            request.changed.timestamp_micros(),
            state.base_url,
            state.installation,
            years,
            settings,
        )
        .as_bytes(),
    );
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag: ETag = format!("\"{hex}\"")
        .parse()
        .map_err(|_| AppError::internal("an ETag that does not parse"))?;
    // The feed last changed when a row, facility or booker did, or when its newest item
    // entered the window.
    let last_modified = [prints.0, prints.1]
        .iter()
        .flat_map(|p| [p.last_change, p.newest_start.map(|s| s - settings.ahead)])
        .chain([Some(request.changed)])
        .flatten()
        .max()
        .unwrap_or(request.changed)
        .min(now);
    let last_modified = last_modified
        .duration_trunc(Duration::seconds(1))
        .unwrap_or(last_modified);
    let mut response = if not_modified(headers, &etag, last_modified.into()) {
        txn.commit().await?;
        Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .finish()
    } else {
        let data = calendar::feed_data(&txn, &request.query, window).await?;
        txn.commit().await?;
        let chunks = Chunks::new(
            state,
            request_header(&request, settings),
            &request,
            data,
            years,
        );
        Response::builder()
            .content_type("text/calendar; charset=utf-8")
            .body(Body::from_bytes_stream(futures::stream::iter(chunks)))
    };
    let response_headers = response.headers_mut();
    response_headers.typed_insert(etag);
    response_headers.typed_insert(LastModified::from(SystemTime::from(last_modified)));
    let cache = if request.private {
        "private, no-cache"
    } else {
        "no-cache"
    };
    response_headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static(cache),
    );
    Ok(response.into_response())
}

/// Whether the client's copy is current: `If-None-Match` decides when given, otherwise
/// `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, etag: &ETag, last_modified: SystemTime) -> bool {
    if let Some(if_none_match) = headers.typed_get::<IfNoneMatch>() {
        return !if_none_match.precondition_passes(etag);
    }
    headers
        .typed_get::<IfModifiedSince>()
        .is_some_and(|since| !since.is_modified(last_modified))
}

fn request_header(request: &FeedRequest, settings: FeedSettings) -> CalendarHeader {
    CalendarHeader {
        method: Method::Publish,
        name: Some(request.name.clone()),
        zone: request.zone,
        refresh: Some(settings.refresh),
    }
}

/// A single booking, a series or an event, with the start it is ordered by.
enum Entry {
    Single(Box<Booking>),
    Series(Series, Vec<Booking>),
    Event(Box<Event>, Vec<Occurrence>),
}

impl Entry {
    fn order(&self) -> (DateTime<Utc>, u8, i64) {
        match self {
            Self::Single(b) => (b.range.start(), 0, b.id),
            Self::Series(s, rows) => (
                rows.iter()
                    .map(|r| r.range.start())
                    .min()
                    .unwrap_or(s.created_at),
                1,
                s.id,
            ),
            Self::Event(e, occurrences) => (
                occurrences
                    .first()
                    .map_or(e.schedule.first.start(), |o| o.range.start()),
                2,
                e.id.0,
            ),
        }
    }
}

/// How the feed's items are shown: the places, bookers and event settings, made once.
struct Shown {
    installation: crate::ical::Installation,
    language: Language,
    detail: Detail,
    places: HashMap<FacilityId, Place>,
    bookers: HashMap<OrganisationId, Booker>,
    settings: HashMap<EventId, EventSetting>,
}

impl Shown {
    fn write(&self, entry: &Entry, w: &mut ContentWriter<'_>) -> AppResult<()> {
        let missing = || AppError::internal("a feed item whose facility or host was not loaded");
        let bookings = BookingCalendar {
            installation: &self.installation,
            language: self.language,
            detail: self.detail,
        };
        let items = match entry {
            Entry::Single(b) => {
                let place = self.places.get(&b.facility_id).ok_or_else(missing)?;
                let booker = self.bookers.get(&b.organisation_id).ok_or_else(missing)?;
                vec![bookings.single(b, place, booker)]
            }
            Entry::Series(s, rows) => {
                let place = self.places.get(&s.facility_id).ok_or_else(missing)?;
                let booker = self.bookers.get(&s.organisation_id).ok_or_else(missing)?;
                bookings.series(s, rows, place, booker)?
            }
            Entry::Event(e, occurrences) => {
                let setting = self.settings.get(&e.id).ok_or_else(missing)?;
                EventCalendar {
                    installation: &self.installation,
                    language: self.language,
                }
                .items(e, occurrences, setting)?
            }
        };
        for item in items {
            item.write(w, Method::Publish);
        }
        Ok(())
    }
}

/// The calendar as pieces of about [`CHUNK_BYTES`], rendered as the body is sent.
struct Chunks {
    start: Option<(CalendarHeader, Vec<Tz>, RangeInclusive<i32>)>,
    entries: std::vec::IntoIter<Entry>,
    shown: Shown,
    done: bool,
}

impl Chunks {
    fn new(
        state: &AppState,
        header: CalendarHeader,
        request: &FeedRequest,
        data: FeedData,
        years: RangeInclusive<i32>,
    ) -> Self {
        let language = request.language;
        let FeedData { bookings, events } = data;
        let place_of = |f: &crate::service::facilities::Facility| {
            let municipality = state.municipalities.by_code(&f.spec.municipality_code);
            (f.id, Place::new(f, municipality, language))
        };
        let mut places: HashMap<FacilityId, Place> =
            bookings.facilities.values().map(place_of).collect();
        places.extend(events.facilities.values().map(place_of));
        let bookers = bookings
            .organisations
            .values()
            .map(|o| (o.id, Booker::new(o, language)))
            .collect();
        let name = |id: &OrganisationId| {
            events
                .organisations
                .get(id)
                .map(|o| Booker::new(o, language))
                .unwrap_or(Booker {
                    name: String::new(),
                    email: None,
                })
        };
        let settings: HashMap<EventId, EventSetting> = events
            .events
            .iter()
            .map(|e| {
                let organiser = name(&e.organiser_id);
                let place = match (events.venues.get(&e.id), &e.spec.external_place) {
                    (Some(venue), _) => places.get(venue).cloned(),
                    (None, Some(external)) => Some(Place::external(
                        external,
                        state.municipalities.by_code(&external.municipality_code),
                        language,
                        e.schedule.zone,
                    )),
                    (None, None) => None,
                };
                let setting = EventSetting {
                    organiser: (organiser.name, organiser.email),
                    cohosts: events
                        .cohosts
                        .get(&e.id)
                        .into_iter()
                        .flatten()
                        .map(|c| name(c).name)
                        .collect(),
                    place,
                    url: event_url(&state.base_url, &e.slug),
                };
                (e.id, setting)
            })
            .collect();
        let zones = zones_of(
            header.zone,
            places
                .values()
                .map(|p| p.zone)
                .chain(events.events.iter().map(|e| e.schedule.zone)),
        );
        let mut occurrences = events.occurrences;
        let mut entries: Vec<Entry> = bookings
            .singles
            .into_iter()
            .map(|b| Entry::Single(Box::new(b)))
            .chain(
                bookings
                    .series
                    .into_iter()
                    .map(|(s, rows)| Entry::Series(s, rows)),
            )
            .chain(events.events.into_iter().map(|e| {
                let of = occurrences.remove(&e.id).unwrap_or_default();
                Entry::Event(Box::new(e), of)
            }))
            .collect();
        entries.sort_by_key(Entry::order);
        Self {
            start: Some((header, zones, years)),
            entries: entries.into_iter(),
            shown: Shown {
                installation: state.installation.clone(),
                language,
                detail: request.detail,
                places,
                bookers,
                settings,
            },
            done: false,
        }
    }
}

impl Iterator for Chunks {
    type Item = std::io::Result<String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut out = String::with_capacity(CHUNK_BYTES + 4096);
        let mut w = ContentWriter::new(&mut out);
        if let Some((header, zones, years)) = self.start.take() {
            header.write_start(&mut w, &zones, years);
        }
        while w.written() < CHUNK_BYTES {
            let Some(entry) = self.entries.next() else {
                CalendarHeader::write_end(&mut w);
                self.done = true;
                break;
            };
            if let Err(err) = self.shown.write(&entry, &mut w) {
                // The status is sent already: break the body so no client takes it whole.
                tracing::error!(error = %err, "calendar feed item failed");
                self.done = true;
                return Some(Err(std::io::Error::other(err.to_string())));
            }
        }
        Some(Ok(out))
    }
}
