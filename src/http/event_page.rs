//! `GET /events/{slug}`: an event's public page, in Finnish, Swedish or English (from
//! `?lang=` or the browser's `Accept-Language`), with schema.org data for search engines.
//! Drafts and private events are not found.
use std::sync::Arc;

use chrono::Utc;
use minijinja::{Environment, context};
use poem::http::{HeaderMap, StatusCode, header};
use poem::web::{Data, Html, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::domain::event::EventStatus;
use crate::domain::localized::Language;
use crate::domain::time_text::time_range;
use crate::error::{AppError, AppResult};
use crate::graphql::context::AppState;
use crate::graphql::events::event_url;
use crate::service::{events, facilities, organisations};

const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/templates/pages/event.html"
));

/// The compiled page templates.
pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    /// Compiles the templates (HTML escaping on).
    pub fn new() -> AppResult<Self> {
        let mut env = Environment::new();
        env.add_template("event.html", TEMPLATE)
            .map_err(AppError::internal)?;
        Ok(Self { env })
    }
}

/// The query string: `lang=fi|sv|en`.
#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

/// The language asked for, else the first of ours the browser accepts, else Finnish.
fn language(query: &PageQuery, headers: &HeaderMap) -> Language {
    let ours = |tag: &str| {
        tag.trim()
            .get(..2)?
            .to_ascii_lowercase()
            .parse::<Language>()
            .ok()
    };
    query
        .lang
        .as_deref()
        .and_then(ours)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)?
                .to_str()
                .ok()?
                .split(',')
                .find_map(|part| ours(part.split(';').next().unwrap_or_default()))
        })
        .unwrap_or(Language::Fi)
}

/// The page's words in one language.
#[derive(Serialize)]
struct Labels {
    when: &'static str,
    r#where: &'static str,
    online: &'static str,
    hosts: &'static str,
    themes: &'static str,
    target_groups: &'static str,
    price: &'static str,
    free: &'static str,
    ages: &'static str,
    accessibility: &'static str,
    registration: &'static str,
    more: &'static str,
    cancelled: &'static str,
    postponed: &'static str,
    rescheduled: &'static str,
    not_found: &'static str,
}

fn labels(language: Language) -> Labels {
    match language {
        Language::Fi => Labels {
            when: "Aika",
            r#where: "Paikka",
            online: "Verkossa",
            hosts: "Järjestäjät",
            themes: "Teemat",
            target_groups: "Kenelle",
            price: "Hinta",
            free: "Maksuton",
            ages: "Ikä",
            accessibility: "Saavutettavuus",
            registration: "Ilmoittautuminen",
            more: "Lisätietoa",
            cancelled: "Peruttu",
            postponed: "Siirretty myöhemmäksi",
            rescheduled: "Uusi aika",
            not_found: "Tapahtumaa ei löytynyt.",
        },
        Language::Sv => Labels {
            when: "Tid",
            r#where: "Plats",
            online: "På nätet",
            hosts: "Arrangörer",
            themes: "Teman",
            target_groups: "För vem",
            price: "Pris",
            free: "Avgiftsfri",
            ages: "Ålder",
            accessibility: "Tillgänglighet",
            registration: "Anmälan",
            more: "Mer information",
            cancelled: "Inställt",
            postponed: "Uppskjutet",
            rescheduled: "Ny tid",
            not_found: "Evenemanget hittades inte.",
        },
        Language::En => Labels {
            when: "When",
            r#where: "Where",
            online: "Online",
            hosts: "Hosts",
            themes: "Themes",
            target_groups: "For whom",
            price: "Price",
            free: "Free of charge",
            ages: "Ages",
            accessibility: "Accessibility",
            registration: "Registration",
            more: "More information",
            cancelled: "Cancelled",
            postponed: "Postponed",
            rescheduled: "New time",
            not_found: "The event was not found.",
        },
    }
}

fn status_label(status: EventStatus, t: &Labels) -> Option<&'static str> {
    match status {
        EventStatus::Scheduled => None,
        EventStatus::Cancelled => Some(t.cancelled),
        EventStatus::Postponed => Some(t.postponed),
        EventStatus::Rescheduled => Some(t.rescheduled),
    }
}

fn schema_status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Scheduled => "https://schema.org/EventScheduled",
        EventStatus::Postponed => "https://schema.org/EventPostponed",
        EventStatus::Rescheduled => "https://schema.org/EventRescheduled",
        EventStatus::Cancelled => "https://schema.org/EventCancelled",
    }
}

/// The most occurrences a page lists.
const LISTED_OCCURRENCES: usize = 20;

/// The public page of an event.
#[handler]
pub async fn event_page(
    state: Data<&Arc<AppState>>,
    pages: Data<&Arc<Pages>>,
    Path(slug): Path<String>,
    Query(query): Query<PageQuery>,
    headers: &HeaderMap,
) -> Response {
    let language = language(&query, headers);
    match render(&state, &pages, &slug, language).await {
        Ok(page) => Html(page).into_response(),
        Err(AppError::NotFound { .. }) => (
            StatusCode::NOT_FOUND,
            Html(format!(
                "<!DOCTYPE html><html lang=\"{}\"><meta charset=\"utf-8\"><title>404</title><p>{}</p></html>",
                language.as_ref(),
                labels(language).not_found
            )),
        )
            .into_response(),
        Err(err) => super::error_response(err),
    }
}

async fn render(
    state: &AppState,
    pages: &Pages,
    slug: &str,
    language: Language,
) -> AppResult<String> {
    let event = events::by_slug(&state.db, slug).await?;
    if !event.is_open() {
        return Err(AppError::not_found("event", slug));
    }
    let t = labels(language);
    let zone = event.schedule.zone;
    let now = Utc::now();
    let occurrences = events::occurrences_of(&state.db, &[event.id], None)
        .await?
        .remove(&event.id)
        .unwrap_or_default();
    let upcoming: Vec<&events::Occurrence> = {
        let coming: Vec<_> = occurrences.iter().filter(|o| o.range.end() > now).collect();
        if coming.is_empty() {
            occurrences.iter().rev().take(1).collect()
        } else {
            coming
        }
    };
    let times: Vec<_> = upcoming
        .iter()
        .take(LISTED_OCCURRENCES)
        .map(|o| {
            let note = if event.schedule.recurrence.is_some() {
                status_label(event.occurrence_status(o), &t)
            } else {
                None
            };
            context! { text => time_range(o.range.start(), o.range.end(), zone, language), note }
        })
        .collect();
    let venue = events::bookings_of(&state.db, &[event.id])
        .await?
        .remove(&event.id)
        .unwrap_or_default();
    let mut facility_ids: Vec<_> = venue
        .iter()
        .filter(|v| v.booking.status.blocks())
        .map(|v| v.booking.facility_id)
        .collect();
    facility_ids.sort_unstable();
    facility_ids.dedup();
    let venues: Vec<facilities::Facility> = facilities::by_ids(&state.db, &facility_ids)
        .await?
        .into_iter()
        .filter(|f| f.published)
        .collect();
    let municipality = |code: &str| {
        state
            .municipalities
            .by_code(code)
            .map(|m| {
                if language == Language::Sv {
                    m.name_sv.clone()
                } else {
                    m.name_fi.clone()
                }
            })
            .unwrap_or_default()
    };
    let mut places: Vec<String> = venues
        .iter()
        .map(|f| {
            format!(
                "{}, {}, {} {}",
                f.spec.name.best(language).unwrap_or_default(),
                f.spec.street_address,
                f.spec.postal_code,
                municipality(&f.spec.municipality_code)
            )
        })
        .collect();
    if let Some(place) = &event.spec.external_place {
        let address = [place.street_address.clone(), place.postal_code.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        places.push(
            [
                place.name.clone(),
                address,
                municipality(&place.municipality_code),
            ]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        );
    }
    let cohosts = events::cohosts_of(&state.db, &[event.id])
        .await?
        .remove(&event.id)
        .unwrap_or_default();
    let mut host_ids = vec![event.organiser_id];
    host_ids.extend(
        cohosts
            .iter()
            .filter(|c| c.status == crate::domain::event::CohostStatus::Accepted)
            .map(|c| c.organisation_id),
    );
    let found = organisations::by_ids(&state.db, &host_ids).await?;
    let hosts: Vec<String> = host_ids
        .iter()
        .filter_map(|id| found.iter().find(|o| o.id == *id))
        .map(|o| o.name.best(language).unwrap_or_default().to_string())
        .collect();
    let title = event.title(language).to_string();
    let summary = event.spec.summary.best(language).map(str::to_string);
    let url = event_url(&state.base_url, &event.slug);
    let price = if event.spec.is_free {
        t.free.to_string()
    } else {
        event
            .spec
            .price
            .best(language)
            .unwrap_or_default()
            .to_string()
    };
    let ages = match (event.spec.age.min(), event.spec.age.max()) {
        (None, None) => None,
        (min, max) => Some(format!(
            "{}–{}",
            min.map(|m| m.to_string()).unwrap_or_default(),
            max.map(|m| m.to_string()).unwrap_or_default()
        )),
    };
    let next = upcoming
        .first()
        .map(|o| o.range)
        .unwrap_or(event.schedule.first);
    let mut locations: Vec<serde_json::Value> = venues
        .iter()
        .map(|f| {
            json!({
                "@type": "Place",
                "name": f.spec.name.best(language),
                "address": { "@type": "PostalAddress", "streetAddress": f.spec.street_address,
                    "postalCode": f.spec.postal_code, "addressLocality": municipality(&f.spec.municipality_code),
                    "addressCountry": "FI" },
                "geo": f.spec.coordinates.map(|(latitude, longitude)|
                    json!({ "@type": "GeoCoordinates", "latitude": latitude, "longitude": longitude })),
            })
        })
        .collect();
    if let Some(place) = &event.spec.external_place {
        locations.push(json!({
            "@type": "Place",
            "name": place.name,
            "address": { "@type": "PostalAddress", "streetAddress": place.street_address,
                "postalCode": place.postal_code, "addressLocality": municipality(&place.municipality_code),
                "addressCountry": "FI" },
        }));
    }
    if let Some(online) = &event.spec.online_url {
        locations.push(json!({ "@type": "VirtualLocation", "url": online.as_str() }));
    }
    let physical = !venues.is_empty() || event.spec.external_place.is_some();
    let mode = match (physical, event.spec.online_url.is_some()) {
        (true, true) => "https://schema.org/MixedEventAttendanceMode",
        (false, true) => "https://schema.org/OnlineEventAttendanceMode",
        _ => "https://schema.org/OfflineEventAttendanceMode",
    };
    let json_ld = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": title,
        "description": summary,
        "url": url,
        "startDate": next.start().with_timezone(&zone).to_rfc3339(),
        "endDate": next.end().with_timezone(&zone).to_rfc3339(),
        "eventStatus": schema_status(event.status),
        "eventAttendanceMode": mode,
        "location": locations,
        "organizer": hosts.iter().map(|h| json!({ "@type": "Organization", "name": h })).collect::<Vec<_>>(),
        "isAccessibleForFree": event.spec.is_free,
        "image": event.spec.image_url.as_ref().map(|u| u.as_str()),
        "inLanguage": event.spec.languages.iter().map(|l| Language::from(l).as_ref().to_string()).collect::<Vec<_>>(),
    })
    .to_string()
    // Inside <script> no markup may appear: JSON allows these as escapes.
    .replace('<', "\\u003c")
    .replace('>', "\\u003e")
    .replace('&', "\\u0026");
    let description: Vec<String> = event
        .spec
        .description
        .best(language)
        .map(|d| {
            d.split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let languages = [
        ("fi", "Suomeksi"),
        ("sv", "På svenska"),
        ("en", "In English"),
    ]
    .map(|(code, name)| context! { code, name });
    let status = status_label(event.status, &t);
    let template = pages
        .env
        .get_template("event.html")
        .map_err(AppError::internal)?;
    template
        .render(context! {
            lang => language.as_ref(),
            languages,
            t => minijinja::value::Serde(&t),
            title,
            summary,
            url,
            json_ld,
            status,
            status_reason => event.status_reason.as_deref(),
            times,
            places,
            online_url => event.spec.online_url.as_ref().map(|u| u.as_str()),
            hosts,
            themes => event.spec.themes.iter().map(|th| th.label(language)).collect::<Vec<_>>(),
            target_groups => event.spec.target_groups.iter().map(|g| g.label(language)).collect::<Vec<_>>(),
            price,
            ages,
            accessibility => event.spec.accessibility_info.best(language),
            registration_url => event.spec.registration_url.as_ref().map(|u| u.as_str()),
            info_url => event.spec.info_url.as_ref().map(|u| u.as_str()),
            description,
        })
        .map_err(AppError::internal)
}
