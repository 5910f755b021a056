//! What a VEVENT says, independent of bookings and events, and how a calendar is written.
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::timezone::write_vtimezone;
use super::writer::{ContentWriter, reads_back};

/// The product that wrote the calendar (fixed, so the same data gives the same bytes).
const PRODID: &str = "-//Yhteistila//Yhteistila calendar//FI";

/// What a calendar object is for (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A feed to subscribe to; carries no `ATTENDEE`.
    Publish,
    /// An invitation (iMIP), with the recipient as `ATTENDEE`.
    Request,
    /// A cancellation of an invitation (iMIP).
    Cancel,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "PUBLISH",
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// `STATUS` of a VEVENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemStatus {
    /// Happens.
    Confirmed,
    /// Not decided yet (a booking awaiting approval).
    Tentative,
    /// Called off; stays in feeds for a while so subscribers remove it.
    Cancelled,
}

impl ItemStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Tentative => "TENTATIVE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// `ORGANIZER` or `ATTENDEE`: a name and a calendar address.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    /// Shown name (`CN`).
    pub name: String,
    /// Email address, written as `mailto:`.
    pub email: String,
}

/// A recurrence of a master VEVENT: the rule and the local starts it leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    /// RRULE value, e.g. `FREQ=WEEKLY;BYDAY=TU;COUNT=10`.
    pub rule: String,
    /// Local starts (in the item's zone) the rule generates but the series does not hold.
    pub exception_dates: Vec<NaiveDateTime>,
}

/// What a VEVENT tells besides its identity and time.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemContent {
    /// `STATUS`.
    pub status: ItemStatus,
    /// `SUMMARY`.
    pub summary: String,
    /// `DESCRIPTION`.
    pub description: Option<String>,
    /// `LOCATION`.
    pub location: Option<String>,
    /// `GEO`: latitude and longitude.
    pub geo: Option<(f64, f64)>,
    /// `URL`.
    pub url: Option<String>,
    /// `CATEGORIES`.
    pub categories: Vec<String>,
    /// `ORGANIZER`.
    pub organizer: Option<Party>,
    /// `ATTENDEE`s; only written for [`Method::Request`] and [`Method::Cancel`].
    pub attendees: Vec<Party>,
    /// `LANGUAGE` of the texts (`fi`, `sv`, `en`).
    pub language: &'static str,
}

/// One VEVENT: a single item, the master of a recurring one, or an override of one
/// occurrence (with `recurrence_id`).
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarItem {
    /// `UID`, the same for a master and its overrides, never changing.
    pub uid: String,
    /// `RECURRENCE-ID`: the original local start of the occurrence this overrides.
    pub recurrence_id: Option<NaiveDateTime>,
    /// `SEQUENCE`: grows with every change a subscriber would see.
    pub sequence: i32,
    /// `DTSTAMP` and `LAST-MODIFIED`: the last change of the data (never the clock).
    pub changed: DateTime<Utc>,
    /// `CREATED`.
    pub created: DateTime<Utc>,
    /// The zone of the wall clock the times are shown on.
    pub zone: Tz,
    /// `DTSTART`.
    pub start: DateTime<Utc>,
    /// The end: `DTEND`, or `DURATION` (an exact length) for a master with a recurrence.
    pub end: DateTime<Utc>,
    /// `RRULE` and `EXDATE` of a master.
    pub recurrence: Option<Recurrence>,
    /// Everything else.
    pub content: ItemContent,
}

/// `DURATION` value of an exact length, e.g. `PT1H30M`.
fn duration_value(length: Duration) -> String {
    let minutes = length.num_minutes();
    let seconds = length.num_seconds() % 60;
    let mut value = format!("PT{}H{}M", minutes / 60, minutes % 60);
    if seconds != 0 {
        value.push_str(&format!("{seconds}S"));
    }
    value
}

impl CalendarItem {
    /// Writes the VEVENT; attendees only when `method` is not PUBLISH.
    pub fn write(&self, w: &mut ContentWriter<'_>, method: Method) {
        let c = &self.content;
        w.begin("VEVENT");
        w.raw("UID", &self.uid);
        w.utc("DTSTAMP", self.changed);
        if let Some(local) = self.recurrence_id {
            w.local("RECURRENCE-ID", local, self.zone);
        }
        match &self.recurrence {
            None if !reads_back(self.end, self.zone) => w.utc("DTSTART", self.start),
            _ => w.date_time("DTSTART", self.start, self.zone),
        }
        match &self.recurrence {
            Some(recurrence) => {
                w.raw("DURATION", &duration_value(self.end - self.start));
                w.raw("RRULE", &recurrence.rule);
                if !recurrence.exception_dates.is_empty() {
                    w.local_list("EXDATE", &recurrence.exception_dates, self.zone);
                }
            }
            // Both ends in one form: a client that reads a UTC start next to a local end
            // in the zone may move the start (Python's recurring-ical-events does).
            None if reads_back(self.start, self.zone) && reads_back(self.end, self.zone) => {
                w.date_time("DTEND", self.end, self.zone);
            }
            None => w.utc("DTEND", self.end),
        }
        w.utc("CREATED", self.created);
        w.utc("LAST-MODIFIED", self.changed);
        w.raw("SEQUENCE", &self.sequence.to_string());
        w.raw("STATUS", c.status.as_str());
        let language = [("LANGUAGE", c.language)];
        w.text_with("SUMMARY", &language, &c.summary);
        if let Some(description) = &c.description {
            w.text_with("DESCRIPTION", &language, description);
        }
        if let Some(location) = &c.location {
            w.text_with("LOCATION", &language, location);
        }
        if let Some((latitude, longitude)) = c.geo {
            w.raw("GEO", &format!("{latitude:.6};{longitude:.6}"));
        }
        if let Some(url) = &c.url {
            w.raw_with("URL", &[("VALUE", "URI")], url);
        }
        if !c.categories.is_empty() {
            let categories: Vec<&str> = c.categories.iter().map(String::as_str).collect();
            w.text_list("CATEGORIES", &categories);
        }
        if let Some(organizer) = &c.organizer {
            party(w, "ORGANIZER", organizer, &[]);
        }
        if method != Method::Publish {
            for attendee in &c.attendees {
                let params = [
                    ("ROLE", "REQ-PARTICIPANT"),
                    ("PARTSTAT", "NEEDS-ACTION"),
                    ("RSVP", "FALSE"),
                ];
                party(w, "ATTENDEE", attendee, &params);
            }
        }
        w.raw("TRANSP", "OPAQUE");
        w.end("VEVENT");
    }
}

fn party(
    w: &mut ContentWriter<'_>,
    name: &'static str,
    who: &Party,
    extra: &[(&'static str, &str)],
) {
    let mut params = vec![("CN", who.name.as_str())];
    params.extend_from_slice(extra);
    w.raw_with(name, &params, &format!("mailto:{}", who.email));
}

/// The calendar around the items: method, name and refresh hints.
#[derive(Debug, Clone)]
pub struct CalendarHeader {
    /// `METHOD`.
    pub method: Method,
    /// `X-WR-CALNAME`, the name a client shows for a subscription.
    pub name: Option<String>,
    /// `X-WR-TIMEZONE`, the zone a client shows the calendar in.
    pub zone: Tz,
    /// `REFRESH-INTERVAL` and `X-PUBLISHED-TTL`: how often subscribers should refetch.
    pub refresh: Option<Duration>,
}

impl CalendarHeader {
    /// Writes `BEGIN:VCALENDAR`, the calendar's properties and a VTIMEZONE for each of
    /// `zones` correct for `years`.
    pub fn write_start(&self, w: &mut ContentWriter<'_>, zones: &[Tz], years: RangeInclusive<i32>) {
        w.begin("VCALENDAR");
        w.raw("VERSION", "2.0");
        w.text("PRODID", PRODID);
        w.raw("CALSCALE", "GREGORIAN");
        w.raw("METHOD", self.method.as_str());
        if let Some(name) = &self.name {
            w.text("X-WR-CALNAME", name);
        }
        w.text("X-WR-TIMEZONE", self.zone.name());
        if let Some(refresh) = self.refresh {
            let value = duration_value(refresh);
            w.raw_with("REFRESH-INTERVAL", &[("VALUE", "DURATION")], &value);
            w.raw("X-PUBLISHED-TTL", &value);
        }
        for zone in zones {
            write_vtimezone(w, *zone, years.clone());
        }
    }

    /// Writes `END:VCALENDAR`.
    pub fn write_end(w: &mut ContentWriter<'_>) {
        w.end("VCALENDAR");
    }

    /// A whole calendar of `items` in one string (for mail; feeds stream instead).
    pub fn render(&self, items: &[CalendarItem]) -> String {
        let zones = zones_of(self.zone, items.iter().map(|i| i.zone));
        let years = items
            .iter()
            // A recurrence lasts at most two years (see `domain::recurrence`).
            .flat_map(|i| {
                [
                    i.start.year(),
                    i.end.year() + 2 * i32::from(i.recurrence.is_some()),
                ]
            })
            .fold(None, |span: Option<(i32, i32)>, y| {
                Some(span.map_or((y, y), |(a, b)| (a.min(y), b.max(y))))
            })
            .map_or(1970..=1970, |(a, b)| a..=b);
        let mut out = String::new();
        let mut w = ContentWriter::new(&mut out);
        self.write_start(&mut w, &zones, years);
        for item in items {
            item.write(&mut w, self.method);
        }
        Self::write_end(&mut w);
        out
    }
}

/// The zones a calendar needs a VTIMEZONE for: `main` and those of the items, by name.
pub fn zones_of(main: Tz, items: impl IntoIterator<Item = Tz>) -> Vec<Tz> {
    let mut zones: Vec<Tz> = std::iter::once(main).chain(items).collect();
    zones.sort_by_key(|z| z.name());
    zones.dedup();
    zones
}
