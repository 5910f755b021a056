//! Events as calendar items: a single event is one VEVENT, a recurring one a master with
//! its rule and overrides for cancelled or moved occurrences (see [`super::recurring`]).
use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::Installation;
use super::bookings::{Place, language_code};
use super::calendar::{CalendarItem, ItemContent, ItemStatus, Party};
use super::recurring::recurring_items;
use crate::domain::event::EventStatus;
use crate::domain::local_time::resolve_rfc5545;
use crate::domain::localized::Language;
use crate::domain::recurrence::expand;
use crate::domain::time_range::TimeRange;
use crate::error::{AppError, AppResult};
use crate::service::events::{Event, Occurrence};

/// `STATUS` of an event or occurrence: a postponed one has no time yet, so it is tentative.
pub fn event_status(status: EventStatus) -> ItemStatus {
    match status {
        EventStatus::Scheduled | EventStatus::Rescheduled => ItemStatus::Confirmed,
        EventStatus::Postponed => ItemStatus::Tentative,
        EventStatus::Cancelled => ItemStatus::Cancelled,
    }
}

/// Who hosts an event and where it is, as a calendar shows it.
#[derive(Debug, Clone, Default)]
pub struct EventSetting {
    /// The organiser's name and public email (for `ORGANIZER`).
    pub organiser: (String, Option<String>),
    /// The names of the co-hosts that accepted, named in `DESCRIPTION`.
    pub cohosts: Vec<String>,
    /// The venue: the booked facility, or the external place.
    pub place: Option<Place>,
    /// The event's public page.
    pub url: String,
}

/// Words of the event texts in one language.
struct Words {
    organiser: &'static str,
    cohosts: &'static str,
    free: &'static str,
    price: &'static str,
    registration: &'static str,
    online: &'static str,
    accessibility: &'static str,
    postponed: &'static str,
    cancelled: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::Fi => Words {
            organiser: "Järjestäjä",
            cohosts: "Yhteistyössä",
            free: "Maksuton",
            price: "Hinta",
            registration: "Ilmoittautuminen",
            online: "Verkossa",
            accessibility: "Saavutettavuus",
            postponed: "Siirretty",
            cancelled: "Peruttu",
        },
        Language::Sv => Words {
            organiser: "Arrangör",
            cohosts: "I samarbete med",
            free: "Avgiftsfri",
            price: "Pris",
            registration: "Anmälan",
            online: "På nätet",
            accessibility: "Tillgänglighet",
            postponed: "Uppskjutet",
            cancelled: "Inställt",
        },
        Language::En => Words {
            organiser: "Organiser",
            cohosts: "Together with",
            free: "Free of charge",
            price: "Price",
            registration: "Registration",
            online: "Online",
            accessibility: "Accessibility",
            postponed: "Postponed",
            cancelled: "Cancelled",
        },
    }
}

/// Turns events into calendar items in one language.
#[derive(Debug, Clone, Copy)]
pub struct EventCalendar<'a> {
    /// The installation, for UIDs.
    pub installation: &'a Installation,
    /// The language of texts (falling back to whichever the event has).
    pub language: Language,
}

impl EventCalendar<'_> {
    fn content(
        &self,
        event: &Event,
        status: EventStatus,
        reason: Option<&str>,
        setting: &EventSetting,
    ) -> ItemContent {
        let words = words(self.language);
        let spec = &event.spec;
        let best = |text: &crate::domain::localized::LocalizedText| {
            text.best(self.language).map(str::to_string)
        };
        let mut lines: Vec<String> = Vec::new();
        match status {
            EventStatus::Cancelled => lines.push(format!(
                "{}: {}",
                words.cancelled,
                reason.unwrap_or_default()
            )),
            EventStatus::Postponed => lines.push(format!(
                "{}: {}",
                words.postponed,
                reason.unwrap_or_default()
            )),
            EventStatus::Scheduled | EventStatus::Rescheduled => {}
        }
        lines.extend(best(&spec.summary));
        lines.extend(best(&spec.description));
        lines.push(format!("{}: {}", words.organiser, setting.organiser.0));
        if !setting.cohosts.is_empty() {
            lines.push(format!("{}: {}", words.cohosts, setting.cohosts.join(", ")));
        }
        match best(&spec.price) {
            Some(price) => lines.push(format!("{}: {price}", words.price)),
            None if spec.is_free => lines.push(words.free.to_string()),
            None => {}
        }
        if let Some(url) = &spec.registration_url {
            lines.push(format!("{}: {}", words.registration, url.as_str()));
        }
        if let Some(url) = &spec.online_url {
            lines.push(format!("{}: {}", words.online, url.as_str()));
        }
        if let Some(info) = best(&spec.accessibility_info) {
            lines.push(format!("{}: {info}", words.accessibility));
        }
        let categories = spec
            .themes
            .iter()
            .map(|t| t.label(self.language))
            .chain(spec.target_groups.iter().map(|g| g.label(self.language)))
            .map(str::to_string)
            .collect();
        ItemContent {
            status: event_status(status),
            summary: event.title(self.language).to_string(),
            description: Some(lines.join("\n")),
            location: setting.place.as_ref().map(|p| p.location.clone()),
            geo: setting.place.as_ref().and_then(|p| p.geo),
            url: Some(setting.url.clone()),
            categories,
            organizer: setting.organiser.1.as_ref().map(|email| Party {
                name: setting.organiser.0.clone(),
                email: email.clone(),
            }),
            attendees: Vec::new(),
            language: language_code(self.language),
        }
    }

    /// The item of one occurrence of `event` (`recurrence_id` within a series) at `range`,
    /// saying `content`.
    fn item(
        &self,
        event: &Event,
        recurrence_id: Option<NaiveDateTime>,
        range: &TimeRange,
        content: ItemContent,
    ) -> CalendarItem {
        CalendarItem {
            uid: self.installation.uid("event", event.id.0),
            recurrence_id,
            sequence: event.sequence,
            // Changes of occurrences touch the event, so its last change covers them.
            changed: event.updated_at,
            created: event.created_at,
            zone: event.schedule.zone,
            start: range.start(),
            end: range.end(),
            recurrence: None,
            content,
        }
    }

    /// The items of `event`: a single event's one item (its row is its occurrence), or a
    /// recurring event's master and overrides, from its `occurrences` (all of them).
    pub fn items(
        &self,
        event: &Event,
        occurrences: &[Occurrence],
        setting: &EventSetting,
    ) -> AppResult<Vec<CalendarItem>> {
        let schedule = &event.schedule;
        let reason = event.status_reason.as_deref();
        let content = self.content(event, event.status, reason, setting);
        let Some(recurrence) = &schedule.recurrence else {
            return Ok(vec![self.item(event, None, &schedule.first, content)]);
        };
        let zone = schedule.zone;
        let first_local = schedule.first.start().with_timezone(&zone).naive_local();
        let length = schedule.first.end().with_timezone(&zone).naive_local() - first_local;
        let generated: Vec<NaiveDateTime> =
            expand(&recurrence.rule, first_local, length, zone, &[])
                .map_err(|_| AppError::internal("corrupt event recurrence in the database"))?
                .iter()
                .map(|o| o.local_start())
                .collect();
        let rows: HashMap<NaiveDateTime, CalendarItem> = occurrences
            .iter()
            .filter_map(|o| {
                o.recurrence_id.map(|local| {
                    // Most occurrences say what the event says: only the others are built.
                    let (status, own_reason) =
                        (event.occurrence_status(o), event.occurrence_reason(o));
                    let said = if (status, own_reason) == (event.status, reason) {
                        content.clone()
                    } else {
                        self.content(event, status, own_reason, setting)
                    };
                    (local, self.item(event, Some(local), &o.range, said))
                })
            })
            .collect();
        let start = resolve_rfc5545(first_local, zone)
            .ok_or_else(|| AppError::internal("an event start out of range"))?;
        let master = CalendarItem {
            uid: self.installation.uid("event", event.id.0),
            recurrence_id: None,
            sequence: event.sequence,
            changed: event.updated_at,
            created: event.created_at,
            zone,
            start,
            end: start + length,
            recurrence: None,
            content,
        };
        recurring_items(master, recurrence.rule.to_string(), &generated, rows)
    }
}
