//! Calendar feeds over HTTP (`text/calendar`): a facility's schedule, an organisation's
//! public bookings, and members' private feeds. Each answers `304 Not Modified` from one
//! aggregate query when the client's copy is current, and otherwise streams the calendar
//! item by item.
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
use super::writer::ContentWriter;
use crate::config::Config;
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::localized::Language;
use crate::domain::permissions::Access;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};
use crate::graphql::context::AppState;
use crate::service::bookings::Booking;
use crate::service::bookings::series::Series;
use crate::service::calendar::{self, BookingScope, FeedBookings, FeedWindow};
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
                scope: BookingScope::Facility(id),
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
                scope: BookingScope::PublicOfOrganisation(id),
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
                scope: BookingScope::Member(feed.organisation_id),
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
    scope: BookingScope,
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
    let print = calendar::fingerprint(&txn, request.scope, window).await?;
    let digest = Sha256::digest(
        format!(
            "{FORMAT_VERSION}|{}|{:?}|{}|{:?}|{}|{}|{:?}|{:?}|{:?}",
            request.key,
            request.detail,
            request.language.as_ref(),
            print,
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
    let last_modified = [
        Some(request.changed),
        print.last_change,
        print.newest_start.map(|s| s - settings.ahead),
    ]
    .into_iter()
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
        let data = calendar::feed_bookings(&txn, request.scope, window).await?;
        txn.commit().await?;
        let chunks = Chunks::new(
            state.clone(),
            request_header(&request, settings),
            request.language,
            request.detail,
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

/// A single booking or a series, with the start it is ordered by.
enum Entry {
    Single(Booking),
    Series(Series, Vec<Booking>),
}

impl Entry {
    fn order(&self) -> (DateTime<Utc>, bool, i64) {
        match self {
            Self::Single(b) => (b.range.start(), false, b.id),
            Self::Series(s, rows) => (
                rows.iter()
                    .map(|r| r.range.start())
                    .min()
                    .unwrap_or(s.created_at),
                true,
                s.id,
            ),
        }
    }
}

/// The calendar as pieces of about [`CHUNK_BYTES`], rendered as the body is sent.
struct Chunks {
    header: Option<(CalendarHeader, Vec<Tz>, std::ops::RangeInclusive<i32>)>,
    entries: std::vec::IntoIter<Entry>,
    state: Arc<AppState>,
    language: Language,
    detail: Detail,
    places: std::collections::HashMap<FacilityId, Place>,
    bookers: std::collections::HashMap<OrganisationId, Booker>,
    done: bool,
}

impl Chunks {
    fn new(
        state: Arc<AppState>,
        header: CalendarHeader,
        language: Language,
        detail: Detail,
        data: FeedBookings,
        years: std::ops::RangeInclusive<i32>,
    ) -> Self {
        let places: std::collections::HashMap<FacilityId, Place> = data
            .facilities
            .values()
            .map(|f| {
                let municipality = state.municipalities.by_code(&f.spec.municipality_code);
                (f.id, Place::new(f, municipality, language))
            })
            .collect();
        let bookers = data
            .organisations
            .values()
            .map(|o| (o.id, Booker::new(o, language)))
            .collect();
        let zones = zones_of(header.zone, places.values().map(|p| p.zone));
        let mut entries: Vec<Entry> = data
            .singles
            .into_iter()
            .map(Entry::Single)
            .chain(
                data.series
                    .into_iter()
                    .map(|(s, rows)| Entry::Series(s, rows)),
            )
            .collect();
        entries.sort_by_key(Entry::order);
        Self {
            header: Some((header, zones, years)),
            entries: entries.into_iter(),
            state,
            language,
            detail,
            places,
            bookers,
            done: false,
        }
    }

    fn write_entry(&self, entry: &Entry, w: &mut ContentWriter<'_>) -> AppResult<()> {
        let calendar = BookingCalendar {
            installation: &self.state.installation,
            language: self.language,
            detail: self.detail,
        };
        let (facility, organisation) = match entry {
            Entry::Single(b) => (b.facility_id, b.organisation_id),
            Entry::Series(s, _) => (s.facility_id, s.organisation_id),
        };
        let missing = || AppError::internal("a booking of a facility or booker not loaded");
        let place = self.places.get(&facility).ok_or_else(missing)?;
        let booker = self.bookers.get(&organisation).ok_or_else(missing)?;
        match entry {
            Entry::Single(b) => calendar.single(b, place, booker).write(w, Method::Publish),
            Entry::Series(s, rows) => {
                for item in calendar.series(s, rows, place, booker)? {
                    item.write(w, Method::Publish);
                }
            }
        }
        Ok(())
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
        if let Some((header, zones, years)) = self.header.take() {
            header.write_start(&mut w, &zones, years);
        }
        while w.written() < CHUNK_BYTES {
            let Some(entry) = self.entries.next() else {
                CalendarHeader::write_end(&mut w);
                self.done = true;
                break;
            };
            if let Err(err) = self.write_entry(&entry, &mut w) {
                // The status is sent already: break the body so no client takes it whole.
                tracing::error!(error = %err, "calendar feed item failed");
                self.done = true;
                return Some(Err(std::io::Error::other(err.to_string())));
            }
        }
        Some(Ok(out))
    }
}
