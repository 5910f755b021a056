//! Bookings and booking series as calendar items.
//!
//! A series is one master VEVENT (`RRULE` from the stored rule, `DTSTART` the first local
//! start) and overrides, built so that the occurrences a client expands equal the rows:
//! every generated start without a row (an exception date, a skipped conflict, a time in
//! the spring gap) is an `EXDATE`, and every row that differs from what the client would
//! expand for it (moved, cancelled, awaiting approval, or an overnight occurrence whose
//! wall-clock length differs from the exact `DURATION` across a clock change) is an
//! override with its `RECURRENCE-ID`.
use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;

use super::Installation;
use super::calendar::{CalendarItem, ItemContent, ItemStatus, Party};
use super::recurring::recurring_items;
use crate::domain::booking::BookingStatus;
use crate::domain::event::ExternalPlace;
use crate::domain::local_time::{parse_time_zone, resolve_rfc5545};
use crate::domain::localized::Language;
use crate::domain::municipality::Municipality;
use crate::domain::recurrence::{RecurrenceRule, expand};
use crate::error::{AppError, AppResult};
use crate::service::bookings::Booking;
use crate::service::bookings::series::Series;
use crate::service::facilities::Facility;
use crate::service::organisations::Organisation;

/// How a stored recurrence id reads (`YYYY-MM-DDTHH:MM:SS`).
const RECURRENCE_ID_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// How much of a booking a calendar shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Public bookings with their title and purpose; private ones as busy time with no
    /// name, purpose or contact.
    Public,
    /// Everything, contacts and notes included (members' private feeds, mail).
    Full,
}

/// Where a booking is, as a calendar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The facility's zone.
    pub zone: Tz,
    /// `LOCATION`: name, street address, postal code and municipality.
    pub location: String,
    /// `GEO`.
    pub geo: Option<(f64, f64)>,
}

impl Place {
    /// The place of `facility` in `municipality`, named in `language`.
    pub fn new(
        facility: &Facility,
        municipality: Option<&Municipality>,
        language: Language,
    ) -> Self {
        let spec = &facility.spec;
        Self {
            zone: spec.time_zone,
            location: location(
                spec.name.best(language),
                Some(&spec.street_address),
                Some(&spec.postal_code),
                municipality,
                language,
            ),
            geo: spec.coordinates,
        }
    }

    /// An event's place outside the facilities, in `zone`.
    pub fn external(
        place: &ExternalPlace,
        municipality: Option<&Municipality>,
        language: Language,
        zone: Tz,
    ) -> Self {
        Self {
            zone,
            location: location(
                Some(&place.name),
                place.street_address.as_deref(),
                place.postal_code.as_deref(),
                municipality,
                language,
            ),
            geo: place.coordinates,
        }
    }
}

/// `Name, Street 1, 15110 Lahti`, leaving out what is missing.
fn location(
    name: Option<&str>,
    street: Option<&str>,
    postal_code: Option<&str>,
    municipality: Option<&Municipality>,
    language: Language,
) -> String {
    let municipality = municipality.map(|m| match language {
        Language::Sv => m.name_sv.as_str(),
        Language::Fi | Language::En => m.name_fi.as_str(),
    });
    let town = [postal_code, municipality]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [name, street, Some(&town)]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who booked, as a calendar shows it (only where the booking is shown).
#[derive(Debug, Clone, PartialEq)]
pub struct Booker {
    /// The organisation's name.
    pub name: String,
    /// Its public contact email, for `ORGANIZER`.
    pub email: Option<String>,
}

impl Booker {
    /// The booker `organisation`, named in `language`.
    pub fn new(organisation: &Organisation, language: Language) -> Self {
        Self {
            name: organisation
                .name
                .best(language)
                .unwrap_or_default()
                .to_string(),
            email: organisation.contact_email.clone(),
        }
    }
}

/// Turns bookings into calendar items for one reader.
#[derive(Debug, Clone, Copy)]
pub struct BookingCalendar<'a> {
    /// The installation, for UIDs.
    pub installation: &'a Installation,
    /// The language of texts.
    pub language: Language,
    /// How much to show.
    pub detail: Detail,
}

/// Words of the calendar texts in one language.
struct Words {
    busy: &'static str,
    booked_by: &'static str,
    attendees: &'static str,
    contact: &'static str,
    notes: &'static str,
    reason: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::Fi => Words {
            busy: "Varattu",
            booked_by: "Varaaja",
            attendees: "Osallistujia",
            contact: "Yhteyshenkilö",
            notes: "Lisätiedot",
            reason: "Syy",
        },
        Language::Sv => Words {
            busy: "Reserverad",
            booked_by: "Bokare",
            attendees: "Deltagare",
            contact: "Kontaktperson",
            notes: "Anteckningar",
            reason: "Orsak",
        },
        Language::En => Words {
            busy: "Reserved",
            booked_by: "Booked by",
            attendees: "Attendees",
            contact: "Contact",
            notes: "Notes",
            reason: "Reason",
        },
    }
}

/// `STATUS` of a booking: a rejected booking was shown as tentative, so it is cancelled.
pub fn item_status(status: BookingStatus) -> ItemStatus {
    match status {
        BookingStatus::Pending => ItemStatus::Tentative,
        BookingStatus::Confirmed => ItemStatus::Confirmed,
        BookingStatus::Rejected | BookingStatus::Cancelled => ItemStatus::Cancelled,
    }
}

/// The `LANGUAGE` parameter value of a language.
pub fn language_code(language: Language) -> &'static str {
    match language {
        Language::Fi => "fi",
        Language::Sv => "sv",
        Language::En => "en",
    }
}

fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("corrupt booking series in the database: {what}"))
}

impl BookingCalendar<'_> {
    fn content(&self, booking: &Booking, place: &Place, booker: &Booker) -> ItemContent {
        let words = words(self.language);
        let details = &booking.details;
        let shown = self.detail == Detail::Full || details.public;
        let description = shown.then(|| {
            let mut lines: Vec<String> = details.purpose.iter().cloned().collect();
            lines.push(format!("{}: {}", words.booked_by, booker.name));
            if self.detail == Detail::Full {
                if let Some(n) = details.attendees {
                    lines.push(format!("{}: {n}", words.attendees));
                }
                let contact: Vec<&str> = [
                    &details.contact_name,
                    &details.contact_email,
                    &details.contact_phone,
                ]
                .into_iter()
                .filter_map(|c| c.as_deref())
                .collect();
                if !contact.is_empty() {
                    lines.push(format!("{}: {}", words.contact, contact.join(", ")));
                }
                if let Some(notes) = &details.notes {
                    lines.push(format!("{}: {notes}", words.notes));
                }
                if let Some(reason) = &booking.status_reason {
                    lines.push(format!("{}: {reason}", words.reason));
                }
            }
            lines.join("\n")
        });
        let organizer = booker.email.as_ref().filter(|_| shown).map(|email| Party {
            name: booker.name.clone(),
            email: email.clone(),
        });
        ItemContent {
            status: item_status(booking.status),
            summary: if shown {
                details.title.clone()
            } else {
                words.busy.to_string()
            },
            description,
            location: Some(place.location.clone()),
            geo: place.geo,
            url: None,
            categories: Vec::new(),
            organizer,
            attendees: Vec::new(),
            language: language_code(self.language),
        }
    }

    /// A booking that is not an occurrence of a series.
    pub fn single(&self, booking: &Booking, place: &Place, booker: &Booker) -> CalendarItem {
        CalendarItem {
            uid: self.installation.uid("booking", booking.id),
            recurrence_id: None,
            sequence: booking.sequence,
            changed: booking.updated_at,
            created: booking.created_at,
            zone: place.zone,
            start: booking.range.start(),
            end: booking.range.end(),
            recurrence: None,
            content: self.content(booking, place, booker),
        }
    }

    /// A series and its bookings (`rows`, all of them) as a master and its overrides.
    pub fn series(
        &self,
        series: &Series,
        rows: &[Booking],
        place: &Place,
        booker: &Booker,
    ) -> AppResult<Vec<CalendarItem>> {
        let zone = parse_time_zone(&series.time_zone).map_err(|_| corrupt("time zone"))?;
        let rule = RecurrenceRule::parse(&series.rule).map_err(|_| corrupt("rule"))?;
        let length = Duration::minutes(i64::from(series.duration_minutes));
        let generated: Vec<NaiveDateTime> =
            expand(&rule, series.first_start_local, length, zone, &[])
                .map_err(|_| corrupt("rule and first start"))?
                .iter()
                .map(|o| o.local_start())
                .collect();
        let uid = self.installation.uid("series", series.id);
        let mut by_local = HashMap::new();
        for row in rows {
            let local = row
                .recurrence_id
                .as_deref()
                .and_then(|r| NaiveDateTime::parse_from_str(r, RECURRENCE_ID_FORMAT).ok())
                .ok_or_else(|| corrupt("recurrence id"))?;
            let mut item = self.single(row, place, booker);
            item.uid.clone_from(&uid);
            item.recurrence_id = Some(local);
            by_local.insert(local, item);
        }
        let template = template_row(rows).ok_or_else(|| corrupt("a series without bookings"))?;
        let start = resolve_rfc5545(series.first_start_local, zone)
            .ok_or_else(|| corrupt("a start out of range"))?;
        let master = CalendarItem {
            uid,
            recurrence_id: None,
            // Every change of any occurrence raises the master's sequence too.
            sequence: rows.iter().map(|r| r.sequence).fold(0, i32::saturating_add),
            changed: rows
                .iter()
                .map(|r| r.updated_at)
                .fold(series.created_at, std::cmp::max),
            created: series.created_at,
            zone,
            start,
            end: start + length,
            recurrence: None,
            content: self.content(template, place, booker),
        };
        recurring_items(master, series.rule.clone(), &generated, by_local)
    }
}

/// The row whose status the master shows: the most common status among the rows still
/// on (the first such row), or the first row when every one is called off.
fn template_row(rows: &[Booking]) -> Option<&Booking> {
    let on: Vec<&Booking> = rows
        .iter()
        .filter(|r| item_status(r.status) != ItemStatus::Cancelled)
        .collect();
    let count = |status: ItemStatus| {
        on.iter()
            .filter(|r| item_status(r.status) == status)
            .count()
    };
    let status = if count(ItemStatus::Confirmed) >= count(ItemStatus::Tentative) {
        ItemStatus::Confirmed
    } else {
        ItemStatus::Tentative
    };
    on.iter()
        .find(|r| item_status(r.status) == status)
        .copied()
        .or_else(|| rows.first())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{FacilityId, OrganisationId, UserId};
    use crate::domain::recurrence::Occurrence;
    use crate::domain::time_range::TimeRange;
    use crate::ical::calendar::{CalendarHeader, Method};
    use crate::service::bookings::BookingDetails;
    use chrono::{DateTime, NaiveDate, Utc};

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, RECURRENCE_ID_FORMAT).unwrap()
    }

    fn installation() -> Installation {
        Installation::new("0123456789abcdef")
    }

    fn calendar(installation: &Installation, detail: Detail) -> BookingCalendar<'_> {
        BookingCalendar {
            installation,
            language: Language::Fi,
            detail,
        }
    }

    fn place() -> Place {
        Place {
            zone: HELSINKI,
            location: "Kerhohuone, Rautatienkatu 1, 15110 Lahti".into(),
            geo: Some((60.98, 25.66)),
        }
    }

    fn booker() -> Booker {
        Booker {
            name: "Lahden Martat".into(),
            email: Some("martat@example.fi".into()),
        }
    }

    fn booking(id: i64, range: TimeRange, public: bool) -> Booking {
        let at = utc("2026-12-01T10:00:00Z");
        Booking {
            id,
            facility_id: FacilityId(1),
            organisation_id: OrganisationId(2),
            booked_by: UserId(3),
            series_id: None,
            recurrence_id: None,
            range,
            details: BookingDetails {
                title: "Omaishoitajien vertaisryhmä".into(),
                purpose: Some("Keskustelua".into()),
                attendees: Some(12),
                public,
                contact_name: Some("Liisa Virtanen".into()),
                contact_email: Some("liisa@example.fi".into()),
                contact_phone: Some("+358401234567".into()),
                notes: Some("Avain vahtimestarilta".into()),
            },
            status: BookingStatus::Confirmed,
            status_reason: None,
            status_changed_at: at,
            status_changed_by: None,
            price_cents: None,
            sequence: 0,
            created_at: at,
            updated_at: at,
        }
    }

    fn render(items: &[CalendarItem], method: Method) -> String {
        CalendarHeader {
            method,
            name: Some("Kerhohuone".into()),
            zone: HELSINKI,
            refresh: Some(Duration::hours(1)),
        }
        .render(items)
    }

    #[test]
    fn a_private_booking_is_busy_time_in_public_and_whole_in_full() {
        let range =
            TimeRange::new(utc("2027-06-01T15:00:00Z"), utc("2027-06-01T17:00:00Z")).unwrap();
        let row = booking(7, range, false);
        let installation = installation();
        let public = calendar(&installation, Detail::Public).single(&row, &place(), &booker());
        let text = render(std::slice::from_ref(&public), Method::Publish);
        assert!(text.contains("SUMMARY;LANGUAGE=fi:Varattu\r\n"), "{text}");
        for secret in [
            "Omaishoitajien",
            "Keskustelua",
            "Liisa",
            "liisa@",
            "+358",
            "Avain",
            "Martat",
        ] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(text.contains("UID:booking-7-0123456789abcdef@yhteistila\r\n"));
        assert!(text.contains("DTSTART;TZID=Europe/Helsinki:20270601T180000\r\nDTEND;TZID=Europe/Helsinki:20270601T200000\r\n"));
        assert!(text.contains("DTSTAMP:20261201T100000Z\r\n"));
        let full = calendar(&installation, Detail::Full).single(&row, &place(), &booker());
        let description = full.content.description.unwrap();
        for detail in [
            "Keskustelua",
            "Varaaja: Lahden Martat",
            "Osallistujia: 12",
            "Liisa Virtanen, liisa@example.fi, +358401234567",
            "Lisätiedot: Avain vahtimestarilta",
        ] {
            assert!(
                description.contains(detail),
                "{detail} missing: {description}"
            );
        }
        assert_eq!(full.content.organizer.unwrap().email, "martat@example.fi");
    }

    #[test]
    fn publish_never_carries_attendees_and_request_does() {
        let range =
            TimeRange::new(utc("2027-06-01T15:00:00Z"), utc("2027-06-01T17:00:00Z")).unwrap();
        let installation = installation();
        let mut item = calendar(&installation, Detail::Full).single(
            &booking(1, range, true),
            &place(),
            &booker(),
        );
        item.content.attendees.push(Party {
            name: "Liisa".into(),
            email: "liisa@example.fi".into(),
        });
        assert!(!render(std::slice::from_ref(&item), Method::Publish).contains("ATTENDEE"));
        let request = render(&[item], Method::Request);
        assert!(request.contains("METHOD:REQUEST\r\n"));
        assert!(request.contains("ATTENDEE;CN=Liisa;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mai\r\n lto:liisa@example.fi\r\n"), "{request}");
    }

    /// The rows the service would store for `rule` from `first` (wall-clock length).
    fn series_rows(rule: &str, first: &str, minutes: i64) -> (Series, Vec<Booking>) {
        let series = Series {
            id: 5,
            facility_id: FacilityId(1),
            organisation_id: OrganisationId(2),
            rule: rule.into(),
            first_start_local: local(first),
            duration_minutes: i32::try_from(minutes).unwrap(),
            time_zone: "Europe/Helsinki".into(),
            exception_dates: Vec::new(),
            created_at: utc("2026-12-01T09:00:00Z"),
        };
        let rows = expand(
            &RecurrenceRule::parse(rule).unwrap(),
            local(first),
            Duration::minutes(minutes),
            HELSINKI,
            &[],
        )
        .unwrap()
        .iter()
        .filter_map(|o: &Occurrence| {
            let range = o.range().ok()?;
            let mut row = booking(100 + i64::try_from(o.index()).unwrap(), range, true);
            row.series_id = Some(5);
            row.recurrence_id = Some(o.local_start().format(RECURRENCE_ID_FORMAT).to_string());
            Some(row)
        })
        .collect();
        (series, rows)
    }

    #[test]
    fn a_series_with_a_skipped_a_moved_a_cancelled_and_a_pending_occurrence() {
        // Tuesdays at 18:00 through the spring change of 2027 (28 March).
        let (series, mut rows) =
            series_rows("FREQ=WEEKLY;BYDAY=TU;COUNT=6", "2027-03-16T18:00:00", 120);
        rows.remove(1); // 23 March: skipped (a conflict), no row
        rows[1].range =
            TimeRange::new(utc("2027-03-30T16:00:00Z"), utc("2027-03-30T18:00:00Z")).unwrap();
        rows[1].sequence = 1;
        rows[2].status = BookingStatus::Cancelled;
        rows[2].sequence = 1;
        rows[2].updated_at = utc("2026-12-02T08:00:00Z");
        rows[3].status = BookingStatus::Pending;
        let installation = installation();
        let items = calendar(&installation, Detail::Public)
            .series(&series, &rows, &place(), &booker())
            .unwrap();
        let master = &items[0];
        assert_eq!(master.uid, "series-5-0123456789abcdef@yhteistila");
        assert_eq!(master.start, utc("2027-03-16T16:00:00Z"));
        assert_eq!(master.end - master.start, Duration::hours(2));
        assert_eq!(master.content.status, ItemStatus::Confirmed);
        assert_eq!(master.sequence, 2);
        assert_eq!(master.changed, utc("2026-12-02T08:00:00Z"));
        assert_eq!(
            master.recurrence.as_ref().unwrap().exception_dates,
            [local("2027-03-23T18:00:00")]
        );
        let overrides: Vec<(NaiveDateTime, ItemStatus, DateTime<Utc>)> = items[1..]
            .iter()
            .map(|i| (i.recurrence_id.unwrap(), i.content.status, i.start))
            .collect();
        assert_eq!(
            overrides,
            [
                (
                    local("2027-03-30T18:00:00"),
                    ItemStatus::Confirmed,
                    utc("2027-03-30T16:00:00Z")
                ),
                (
                    local("2027-04-06T18:00:00"),
                    ItemStatus::Cancelled,
                    utc("2027-04-06T15:00:00Z")
                ),
                (
                    local("2027-04-13T18:00:00"),
                    ItemStatus::Tentative,
                    utc("2027-04-13T15:00:00Z")
                ),
            ]
        );
        let text = render(&items, Method::Publish);
        assert!(text.contains("DTSTART;TZID=Europe/Helsinki:20270316T180000\r\nDURATION:PT2H0M\r\nRRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6\r\nEXDATE;TZID=Europe/Helsinki:20270323T180000\r\n"), "{text}");
        assert!(text.contains("RECURRENCE-ID;TZID=Europe/Helsinki:20270406T180000\r\n"));
    }

    #[test]
    fn an_overnight_series_across_the_autumn_change_overrides_the_longer_night() {
        // 22:00–04:00 on the wall clock: the night into 31 October 2027 lasts 7 hours,
        // where a client adds the exact DURATION of 6.
        let (series, rows) = series_rows("FREQ=DAILY;COUNT=3", "2027-10-29T22:00:00", 360);
        let installation = installation();
        let items = calendar(&installation, Detail::Public)
            .series(&series, &rows, &place(), &booker())
            .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].recurrence_id, Some(local("2027-10-30T22:00:00")));
        assert_eq!(items[1].end - items[1].start, Duration::hours(7));
        assert_eq!(items[1].end, utc("2027-10-31T02:00:00Z"));
    }

    #[test]
    fn an_occurrence_in_the_spring_gap_is_an_exception_date() {
        // 03:30 does not exist on 28 March 2027: the service books no row for it.
        let (series, rows) = series_rows("FREQ=WEEKLY;COUNT=3", "2027-03-21T03:30:00", 60);
        assert_eq!(rows.len(), 2);
        let installation = installation();
        let items = calendar(&installation, Detail::Public)
            .series(&series, &rows, &place(), &booker())
            .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].recurrence.as_ref().unwrap().exception_dates,
            [NaiveDate::from_ymd_opt(2027, 3, 28)
                .unwrap()
                .and_hms_opt(3, 30, 0)
                .unwrap()]
        );
    }

    #[test]
    fn a_row_the_rule_does_not_generate_is_refused() {
        let (series, mut rows) = series_rows("FREQ=DAILY;COUNT=2", "2027-05-03T10:00:00", 60);
        rows[1].recurrence_id = Some("2027-05-09T10:00:00".into());
        let installation = installation();
        let err = calendar(&installation, Detail::Public)
            .series(&series, &rows, &place(), &booker())
            .unwrap_err();
        assert_eq!(err.code(), "INTERNAL");
    }
}
