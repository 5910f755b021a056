//! Calendar feeds over HTTP, read back with independent parsers: the `ical` crate for the
//! structure and the `rrule` crate for expanding recurrences, never our own writer. What
//! a client would show is compared with what the GraphQL API says the database holds.
use std::collections::HashMap;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use ical::property::Property;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bookings::{bookable, booking};
use crate::helpers::TestApp;

const CREATE: &str =
    "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }";

const CREATE_SERIES: &str =
    "mutation($input: CreateBookingSeriesInput!) { createBookingSeries(input: $input) {
    series { id } occurrences { status booking { id } } } }";

const CANCEL: &str = "mutation($id: ID!) { cancelBooking(id: $id) { id status sequence } }";

const MOVE: &str = "mutation($id: ID!, $start: String!, $end: String!) { moveBooking(id: $id, start: $start, end: $end) { id } }";

const CANCEL_FOLLOWING: &str = "mutation($id: ID!, $from: ID) {
    cancelBookingSeries(seriesId: $id, scope: THIS_AND_FOLLOWING, fromBookingId: $from) { cancelled { id } } }";

/// A fetched feed.
pub struct Fetched {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// GETs `path` with the given request headers.
pub async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("feed request");
    Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.expect("feed body"),
    }
}

/// Parses a calendar with the `ical` crate; exactly one VCALENDAR.
pub fn parse(text: &str) -> IcalCalendar {
    let mut calendars = ical::IcalParser::new(text.as_bytes());
    let calendar = calendars
        .next()
        .expect("a calendar")
        .expect("a calendar that parses");
    assert!(calendars.next().is_none(), "one calendar only");
    calendar
}

pub fn property<'a>(properties: &'a [Property], name: &str) -> Option<&'a Property> {
    properties.iter().find(|p| p.name == name)
}

fn param<'a>(property: &'a Property, name: &str) -> Option<&'a str> {
    property
        .params
        .as_ref()?
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, values)| values.first())
        .map(String::as_str)
}

/// Unescapes a TEXT value as RFC 5545 §3.3.11 says.
pub fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("a dangling backslash in {value:?}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn text(event: &IcalEvent, name: &str) -> Option<String> {
    property(&event.properties, name)
        .and_then(|p| p.value.as_deref())
        .map(unescape)
}

/// The instant a DATE-TIME property stands for: UTC with `Z`, else on the wall clock of
/// its `TZID` (the first of a repeated hour, as RFC 5545 reads it).
fn instant(property: &Property) -> DateTime<Utc> {
    let value = property.value.as_deref().expect("a value");
    if let Some(utc) = value.strip_suffix('Z') {
        assert!(
            param(property, "TZID").is_none(),
            "TZID on a UTC time: {property:?}"
        );
        return NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
            .expect("UTC date-time")
            .and_utc();
    }
    let zone: chrono_tz::Tz = param(property, "TZID")
        .expect("a local time with its TZID")
        .parse()
        .expect("a known zone");
    let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").expect("local date-time");
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => a.min(b).to_utc(),
        LocalResult::None => panic!("{local} does not exist in {zone}"),
    }
}

/// An exact `DURATION` such as `PT2H0M`.
fn duration(value: &str) -> Duration {
    let body = value.strip_prefix("PT").expect("a time duration");
    let mut total = Duration::zero();
    let mut number = String::new();
    for c in body.chars() {
        match c {
            '0'..='9' => number.push(c),
            unit => {
                let n: i64 = number.parse().expect("a number");
                number.clear();
                total += match unit {
                    'H' => Duration::hours(n),
                    'M' => Duration::minutes(n),
                    'S' => Duration::seconds(n),
                    _ => panic!("unit {unit}"),
                };
            }
        }
    }
    total
}

/// One occurrence as a calendar client shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub summary: String,
    pub description: Option<String>,
}

fn shown(event: &IcalEvent, start: DateTime<Utc>, end: DateTime<Utc>) -> Shown {
    Shown {
        uid: text(event, "UID").expect("UID"),
        start,
        end,
        status: text(event, "STATUS").expect("STATUS"),
        summary: text(event, "SUMMARY").expect("SUMMARY"),
        description: text(event, "DESCRIPTION"),
    }
}

fn raw_line(event: &IcalEvent, name: &str) -> Option<String> {
    let p = property(&event.properties, name)?;
    let params: String = p
        .params
        .iter()
        .flatten()
        .map(|(n, v)| format!(";{n}={}", v.join(",")))
        .collect();
    Some(format!(
        "{name}{params}:{}",
        p.value.as_deref().unwrap_or("")
    ))
}

/// Every occurrence a client expands from the calendar: recurrences by the `rrule` crate,
/// minus EXDATEs, with RECURRENCE-ID overrides put in place of the occurrences they replace.
pub fn expand(calendar: &IcalCalendar) -> Vec<Shown> {
    let mut overrides: HashMap<(String, DateTime<Utc>), &IcalEvent> = HashMap::new();
    for event in &calendar.events {
        if let Some(id) = property(&event.properties, "RECURRENCE-ID") {
            let uid = text(event, "UID").expect("UID");
            assert!(
                overrides.insert((uid, instant(id)), event).is_none(),
                "two overrides of one occurrence"
            );
        }
    }
    let mut all = Vec::new();
    for event in &calendar.events {
        let props = &event.properties;
        if property(props, "RECURRENCE-ID").is_some() {
            continue;
        }
        let start = instant(property(props, "DTSTART").expect("DTSTART"));
        let Some(rrule) = raw_line(event, "RRULE") else {
            let end = instant(property(props, "DTEND").expect("DTEND"));
            all.push(shown(event, start, end));
            continue;
        };
        assert!(property(props, "DTEND").is_none(), "DTEND and DURATION");
        let length = duration(
            property(props, "DURATION")
                .and_then(|p| p.value.as_deref())
                .expect("DURATION"),
        );
        let mut set = vec![raw_line(event, "DTSTART").unwrap(), rrule];
        set.extend(props.iter().filter(|p| p.name == "EXDATE").map(|p| {
            let tzid = param(p, "TZID")
                .map(|z| format!(";TZID={z}"))
                .unwrap_or_default();
            format!("EXDATE{tzid}:{}", p.value.as_deref().unwrap_or(""))
        }));
        let rule: rrule::RRuleSet = set.join("\n").parse().expect("an RRULE set rrule parses");
        let uid = text(event, "UID").expect("UID");
        for occurrence in rule.all(1000).dates {
            let at = occurrence.with_timezone(&Utc);
            match overrides.remove(&(uid.clone(), at)) {
                Some(o) => all.push(shown(
                    o,
                    instant(property(&o.properties, "DTSTART").expect("DTSTART")),
                    instant(property(&o.properties, "DTEND").expect("DTEND")),
                )),
                None => all.push(shown(event, at, at + length)),
            }
        }
    }
    assert!(
        overrides.is_empty(),
        "overrides of no occurrence: {overrides:?}"
    );
    all.sort_by_key(|s| (s.start, s.uid.clone()));
    all
}

/// An occurrence as the API reports it, in a calendar's terms.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: String,
    pub summary: String,
}

impl Expected {
    fn of(shown: &Shown) -> Self {
        Self {
            start: shown.start,
            end: shown.end,
            status: shown.status.clone(),
            summary: shown.summary.clone(),
        }
    }

    /// From an API object with `time { start end }`, its status and the summary to expect.
    fn from_api(node: &Value, summary: &str) -> Self {
        let time = |k: &str| utc(node["time"][k].as_str().expect("a time"));
        let status = match node["status"].as_str().expect("a status") {
            "CONFIRMED" | "SCHEDULED" | "RESCHEDULED" => "CONFIRMED",
            "PENDING" | "POSTPONED" => "TENTATIVE",
            _ => "CANCELLED",
        };
        Self {
            start: time("start"),
            end: time("end"),
            status: status.to_string(),
            summary: summary.to_string(),
        }
    }

    fn json(&self) -> Value {
        let format = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        json!({ "start": format(self.start), "end": format(self.end), "status": self.status, "summary": self.summary })
    }
}

/// What the API says about the facility's bookings, sorted: public ones by title, the
/// others as busy time.
async fn bookings_of(app: &TestApp, manager: &str, facility: &str) -> Vec<Expected> {
    let data = app
        .graphql(
            Some(manager),
            "query($f: ID!) { bookings(filter: { facilityId: $f }, first: 100) { edges { node { status public title time { start end } } } } }",
            json!({ "f": facility }),
        )
        .await;
    let mut rows: Vec<Expected> = data["bookings"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let node = &e["node"];
            let summary = match node["public"].as_bool() {
                Some(true) => node["title"].as_str().expect("a title"),
                _ => "Varattu",
            };
            Expected::from_api(node, summary)
        })
        .collect();
    rows.sort();
    rows
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("UTC time")
}

fn id(value: &Value) -> String {
    value.as_str().expect("id").to_string()
}

/// A booked series on Tuesday evenings from March to November 2027 with an exception
/// date, a conflict skipped, a moved, a cancelled and a this-and-following cancellation.
/// Returns (facility, manager token).
pub async fn eventful_series(app: &TestApp) -> (String, String) {
    let (facility, ngo, booker, manager) = bookable(app, json!({})).await;
    // Taken before the series: 6 April 2027 is skipped as a conflict.
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, "2027-04-06T17:00", "2027-04-06T19:00"),
    )
    .await;
    let mut input = json!({ "facilityId": facility, "organisationId": ngo,
        "start": "2027-03-09T18:00", "end": "2027-03-09T20:00",
        "rrule": "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271130T000000Z", "title": "Omaishoitajien ryhmä",
        "public": true, "exceptionDates": ["2027-05-25"], "skipConflicts": true });
    input["contactName"] = json!("Liisa Virtanen");
    let created = app
        .graphql(Some(&booker), CREATE_SERIES, json!({ "input": input }))
        .await;
    let created = &created["createBookingSeries"];
    let series = id(&created["series"]["id"]);
    let booked: Vec<String> = created["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "BOOKED")
        .map(|o| id(&o["booking"]["id"]))
        .collect();
    assert_eq!(
        booked.len(),
        38 - 2,
        "38 Tuesdays less the exception and the conflict"
    );
    // The third (23 March) moves an hour later; the fifth (13 April) is cancelled.
    app.graphql(
        Some(&booker),
        MOVE,
        json!({ "id": booked[2], "start": "2027-03-23T19:00", "end": "2027-03-23T21:00" }),
    )
    .await;
    app.graphql(Some(&booker), CANCEL, json!({ "id": booked[4] }))
        .await;
    // A night booking from the second 03:30 of 31 October (UTC in the feed), with hostile text.
    let mut night = booking(
        &facility,
        &ngo,
        "2027-10-31T03:30:00+02:00",
        "2027-10-31T05:00",
    );
    night["input"]["title"] = json!("Yö, osa 2; \"kello\" \\ END:VEVENT");
    night["input"]["purpose"] = json!("a\r\nBEGIN:VEVENT\rb");
    night["input"]["public"] = json!(true);
    app.graphql(Some(&booker), CREATE, night).await;
    // From 9 November on, the series is called off.
    app.graphql(
        Some(&booker),
        CANCEL_FOLLOWING,
        json!({ "id": series, "from": booked[booked.len() - 3] }),
    )
    .await;
    (facility, manager)
}

#[tokio::test]
async fn a_subscriber_sees_the_series_as_the_database_holds_it_across_both_clock_changes() {
    let app = crate::helpers::spawn_app().await;
    let (facility, manager) = eventful_series(&app).await;
    let feed = fetch(&app, &format!("/ical/facilities/{facility}.ics"), &[]).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert_eq!(
        feed.header("content-type").as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    let calendar = parse(&feed.text);
    let shown = expand(&calendar);
    let seen: Vec<Expected> = shown.iter().map(Expected::of).collect();
    assert_eq!(seen, bookings_of(&app, &manager, &facility).await);
    let at = |start: &str| {
        shown
            .iter()
            .find(|s| s.start == utc(start))
            .unwrap_or_else(|| panic!("nothing at {start}"))
    };
    // 18:00 in Helsinki is 16:00Z in winter time and 15:00Z in summer time.
    assert_eq!(at("2027-03-16T16:00:00Z").status, "CONFIRMED");
    assert_eq!(at("2027-03-23T17:00:00Z").end, utc("2027-03-23T19:00:00Z"));
    assert_eq!(at("2027-03-30T15:00:00Z").summary, "Omaishoitajien ryhmä");
    assert_eq!(at("2027-04-13T15:00:00Z").status, "CANCELLED");
    assert_eq!(at("2027-10-26T15:00:00Z").status, "CONFIRMED");
    assert_eq!(at("2027-11-02T16:00:00Z").status, "CONFIRMED");
    assert_eq!(at("2027-11-09T16:00:00Z").status, "CANCELLED");
    assert_eq!(at("2027-11-16T16:00:00Z").status, "CANCELLED");
    assert_eq!(at("2027-11-23T16:00:00Z").status, "CANCELLED");
    assert!(shown.iter().all(|s| s.start != utc("2027-05-25T15:00:00Z")));
    assert_eq!(
        at("2027-10-31T01:30:00Z").summary,
        "Yö, osa 2; \"kello\" \\ END:VEVENT"
    );
    // The single booking that made 6 April a conflict is shown as busy time.
    assert_eq!(at("2027-04-06T14:00:00Z").summary, "Varattu");
    // One VTIMEZONE for Helsinki, and the calendar's own properties.
    assert_eq!(calendar.timezones.len(), 1);
    for (name, value) in [
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", "Kerhohuone"),
        ("X-WR-TIMEZONE", "Europe/Helsinki"),
        ("X-PUBLISHED-TTL", "PT1H0M"),
        ("REFRESH-INTERVAL", "PT1H0M"),
    ] {
        assert_eq!(
            property(&calendar.properties, name).and_then(|p| p.value.as_deref()),
            Some(value),
            "{name}"
        );
    }
    assert!(
        calendar
            .events
            .iter()
            .all(|e| property(&e.properties, "ATTENDEE").is_none())
    );
}

#[tokio::test]
async fn private_bookings_are_busy_time_and_hostile_text_stays_text() {
    let app = crate::helpers::spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let hostile_title = "Kokous, osa 1; \"tärkeä\" \\ END:VEVENT";
    let hostile_purpose =
        "Rivi 1\r\nEND:VEVENT\r\nBEGIN:VEVENT\nSUMMARY:kaapattu\rATTENDEE:mailto:x@example.fi\n\
        Pitkä kuvaus: äöå ÄÖÅ, €; "
            .to_string()
            + &"Päijät-Hämeen hyvinvointialueen järjestöyhteistyö ".repeat(8);
    let mut public = booking(&facility, &ngo, "2027-06-01T18:00", "2027-06-01T20:00");
    public["input"]["title"] = json!(hostile_title);
    public["input"]["purpose"] = json!(hostile_purpose);
    public["input"]["public"] = json!(true);
    app.graphql(Some(&booker), CREATE, public).await;
    let mut private = booking(&facility, &ngo, "2027-06-02T18:00", "2027-06-02T20:00");
    private["input"]["title"] = json!("Salainen hallituksen kokous");
    private["input"]["purpose"] = json!("Talousasiat");
    private["input"]["contactName"] = json!("Matti Meikäläinen");
    private["input"]["contactEmail"] = json!("matti@example.fi");
    // A door code with letters: digits alone turn up in the feed's timestamps.
    private["input"]["notes"] = json!("Ovikoodi Q7X4");
    app.graphql(Some(&booker), CREATE, private).await;

    let feed = fetch(&app, &format!("/ical/facilities/{facility}.ics"), &[]).await;
    for secret in [
        "Salainen",
        "Talousasiat",
        "Matti",
        "matti@",
        "Ovikoodi",
        "Q7X4",
    ] {
        assert!(!feed.text.contains(secret), "{secret} in a public feed");
    }
    for line in feed.text.split("\r\n") {
        assert!(line.len() <= 75, "a line of {} octets", line.len());
        assert!(!line.contains('\r') && !line.contains('\n'));
    }
    let calendar = parse(&feed.text);
    assert_eq!(calendar.events.len(), 2, "no injected VEVENT");
    let shown = expand(&calendar);
    assert_eq!(shown[0].summary, hostile_title);
    // A CR or CRLF in user text arrives as a line break.
    assert_eq!(
        shown[0].description.as_deref().unwrap(),
        format!(
            "{}\nVaraaja: Lahden Martat",
            hostile_purpose
                .replace("\r\n", "\n")
                .replace('\r', "\n")
                .trim()
        )
    );
    assert!(
        calendar.events[0]
            .properties
            .iter()
            .all(|p| p.name != "ATTENDEE")
    );
    assert_eq!(shown[1].summary, "Varattu");
    assert_eq!(shown[1].description, None);
    assert!(property(&calendar.events[1].properties, "ORGANIZER").is_none());

    for (lang, busy) in [("sv", "Reserverad"), ("en", "Reserved"), ("fi", "Varattu")] {
        let feed = fetch(
            &app,
            &format!("/ical/facilities/{facility}.ics?lang={lang}"),
            &[],
        )
        .await;
        assert_eq!(expand(&parse(&feed.text))[1].summary, busy);
    }
    let bad = fetch(
        &app,
        &format!("/ical/facilities/{facility}.ics?lang=de"),
        &[],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.starts_with("VALIDATION"), "{}", bad.text);
    assert!(bad.text.contains("lang"));
    let missing = fetch(&app, "/ical/facilities/999999.ics", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unchanged_feeds_get_304_and_changes_propagate_with_a_higher_sequence() {
    let app = crate::helpers::spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let mut request = booking(&facility, &ngo, "2027-09-07T18:00", "2027-09-07T20:00");
    request["input"]["public"] = json!(true);
    let created = app.graphql(Some(&booker), CREATE, request).await;
    let booking_id = id(&created["createBooking"]["id"]);
    let path = format!("/ical/facilities/{facility}.ics");

    let first = fetch(&app, &path, &[]).await;
    let etag = first.header("etag").expect("ETag");
    let last_modified = first.header("last-modified").expect("Last-Modified");
    let again = fetch(&app, &path, &[]).await;
    assert_eq!(again.text, first.text, "the same data gives the same bytes");
    assert_eq!(again.header("etag").as_deref(), Some(etag.as_str()));

    let before = app.query_count().await;
    let unchanged = fetch(&app, &path, &[("if-none-match", &etag)]).await;
    let for_304 = app.query_count().await - before;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.text.is_empty());
    assert_eq!(unchanged.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(
        fetch(&app, &path, &[("if-modified-since", &last_modified)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );
    let before = app.query_count().await;
    fetch(&app, &path, &[]).await;
    let for_200 = app.query_count().await - before;
    assert!(
        for_304 < for_200,
        "304 in {for_304} statements, 200 in {for_200}"
    );

    let sequence = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("SEQUENCE:"))
            .map(str::to_string)
    };
    assert_eq!(sequence(&first.text).as_deref(), Some("0"));
    app.graphql(Some(&booker), CANCEL, json!({ "id": booking_id }))
        .await;
    let changed = fetch(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), Some(etag));
    let shown = expand(&parse(&changed.text));
    assert_eq!(
        shown.len(),
        1,
        "the cancelled booking stays for subscribers"
    );
    assert_eq!(shown[0].status, "CANCELLED");
    assert_eq!(sequence(&changed.text).as_deref(), Some("1"));
    assert_eq!(
        text(&parse(&first.text).events[0], "UID"),
        text(&parse(&changed.text).events[0], "UID"),
        "the UID never changes"
    );
}

#[tokio::test]
async fn a_feed_takes_the_same_number_of_statements_for_few_and_many_bookings() {
    let app = crate::helpers::spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let path = format!("/ical/facilities/{facility}.ics");
    let statements = || async {
        let before = app.query_count().await;
        let feed = fetch(&app, &path, &[]).await;
        (
            app.query_count().await - before,
            parse(&feed.text).events.len(),
        )
    };
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, "2027-02-01T10:00", "2027-02-01T11:00"),
    )
    .await;
    let few = statements().await;
    for day in 2..=20 {
        let day = format!("2027-02-{day:02}");
        app.graphql(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T10:00"),
                &format!("{day}T11:00"),
            ),
        )
        .await;
    }
    app.graphql(
        Some(&booker),
        CREATE_SERIES,
        json!({ "input": { "facilityId": facility, "organisationId": ngo, "start": "2027-03-01T09:00",
            "end": "2027-03-01T10:00", "rrule": "FREQ=DAILY;COUNT=30", "title": "Aamujumppa" } }),
    )
    .await;
    let many = statements().await;
    assert_eq!(
        (few.1, many.1),
        (1, 20 + 1),
        "20 single bookings and a series"
    );
    assert_eq!(few.0, many.0, "statements for 1 and for 50 bookings");
}

#[tokio::test]
async fn an_organisation_feed_holds_only_its_public_bookings() {
    let app = crate::helpers::spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let mut public = booking(&facility, &ngo, "2027-05-04T18:00", "2027-05-04T20:00");
    public["input"]["public"] = json!(true);
    public["input"]["title"] = json!("Avoin kerho");
    app.graphql(Some(&booker), CREATE, public).await;
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, "2027-05-05T18:00", "2027-05-05T20:00"),
    )
    .await;
    let feed = fetch(&app, &format!("/ical/organisations/{ngo}.ics"), &[]).await;
    let calendar = parse(&feed.text);
    let shown = expand(&calendar);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].summary, "Avoin kerho");
    assert_eq!(
        property(&calendar.properties, "X-WR-CALNAME").and_then(|p| p.value.as_deref()),
        Some("Lahden Martat")
    );
    assert!(
        !feed.text.contains("Vertaisryhmä"),
        "a private booking in a public feed"
    );
}

const CREATE_FEED: &str =
    "mutation($org: ID!) { createCalendarFeed(organisationId: $org, name: \"Puhelin\") {
    url feed { id name organisation { id } } } }";

#[tokio::test]
async fn a_private_feed_shows_members_everything_until_revoked() {
    let app = crate::helpers::spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let mut private = booking(&facility, &ngo, "2027-06-02T18:00", "2027-06-02T20:00");
    private["input"]["contactName"] = json!("Matti Meikäläinen");
    private["input"]["notes"] = json!("Ovikoodi 1234");
    app.graphql(Some(&booker), CREATE, private).await;

    let outsider = app.token_for("ulkopuolinen@example.fi", false).await;
    let refused = app
        .graphql_error(Some(&outsider), CREATE_FEED, json!({ "org": ngo }))
        .await;
    assert_eq!(refused["extensions"]["code"], "FORBIDDEN");
    let created = app
        .graphql(Some(&booker), CREATE_FEED, json!({ "org": ngo }))
        .await;
    let url = created["createCalendarFeed"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let path = url
        .strip_prefix(&app.address)
        .expect("an address of this server")
        .to_string();
    assert!(path.starts_with("/ical/private/") && path.ends_with(".ics"));
    let feed = fetch(&app, &path, &[]).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(
        feed.header("cache-control").as_deref(),
        Some("private, no-cache")
    );
    let shown = expand(&parse(&feed.text));
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].summary, "Vertaisryhmä");
    let description = shown[0].description.clone().unwrap();
    assert!(
        description.contains("Matti Meikäläinen") && description.contains("Ovikoodi 1234"),
        "{description}"
    );

    let listed = app
        .graphql(
            Some(&booker),
            "{ myCalendarFeeds { id name revokedAt } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["myCalendarFeeds"][0]["name"], "Puhelin");
    let feed_id = created["createCalendarFeed"]["feed"]["id"].clone();
    let revoked = app
        .graphql(
            Some(&booker),
            "mutation($id: ID!) { revokeCalendarFeed(id: $id) { revokedAt } }",
            json!({ "id": feed_id }),
        )
        .await;
    assert!(revoked["revokeCalendarFeed"]["revokedAt"].is_string());
    let gone = fetch(&app, &path, &[]).await;
    let unknown = fetch(&app, "/ical/private/ycal_not-a-token.ics", &[]).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (unknown.status, &unknown.text),
        (gone.status, &gone.text),
        "no hint"
    );
}

#[tokio::test]
async fn a_private_feed_stops_when_its_owner_leaves_the_organisation() {
    let app = crate::helpers::spawn_app().await;
    let (_, ngo, booker, _) = bookable(&app, json!({})).await;
    let created = app
        .graphql(Some(&booker), CREATE_FEED, json!({ "org": ngo }))
        .await;
    let url = created["createCalendarFeed"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let path = url.strip_prefix(&app.address).unwrap().to_string();
    assert_eq!(fetch(&app, &path, &[]).await.status, StatusCode::OK);
    let coordinator = app.coordinator().await;
    let me = app
        .graphql(Some(&booker), "{ me { user { id } } }", json!({}))
        .await;
    app.graphql(
        Some(&coordinator),
        "mutation($org: ID!, $user: ID!) { removeMember(organisationId: $org, userId: $user) { id } }",
        json!({ "org": ngo, "user": me["me"]["user"]["id"] }),
    )
    .await;
    assert_eq!(fetch(&app, &path, &[]).await.status, StatusCode::NOT_FOUND);
}

const CREATE_EVENT: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id slug occurrences { id } } }";

const EVENT_OCCURRENCES: &str =
    "query($id: ID!) { event(id: $id) { title { fi } occurrences { status time { start end } } } }";

/// What the API says about an event's occurrences, sorted.
async fn occurrences_of(app: &TestApp, id: &str) -> Vec<Expected> {
    let data = app
        .graphql(None, EVENT_OCCURRENCES, json!({ "id": id }))
        .await;
    let title = data["event"]["title"]["fi"].as_str().expect("a title");
    let mut rows: Vec<Expected> = data["event"]["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| Expected::from_api(o, title))
        .collect();
    rows.sort();
    rows
}

fn of_uid(shown: &[Shown], uid: &str) -> Vec<Expected> {
    shown
        .iter()
        .filter(|s| s.uid == uid)
        .map(Expected::of)
        .collect()
}

#[tokio::test]
async fn the_events_feed_follows_the_listing_filters_and_a_co_hosted_series() {
    let app = crate::helpers::spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let coordinator = app.coordinator().await;
    let carers = app
        .create_organisation(&coordinator, "NGO", "Lahden Omaishoitajat", "Lahti")
        .await;
    let carers_admin = app
        .member_token(&coordinator, &carers, "omaishoitajat@example.fi", "ADMIN")
        .await;
    // Tuesdays 18–20 through the spring change of 2027, with an exception date.
    let series = app
        .graphql(
            Some(&martta),
            CREATE_EVENT,
            json!({ "input": { "organiserId": martat, "start": "2027-03-16T18:00", "end": "2027-03-16T20:00",
                "recurrence": { "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=5", "exceptionDates": ["2027-03-23"] },
                "venues": [{ "facilityId": hall }], "publish": true,
                "details": { "title": { "fi": "Mielen hyvinvoinnin ilta" }, "summary": { "fi": "Keskustelua, teetä; tervetuloa!" },
                    "themes": ["MENTAL_WELLBEING"], "targetGroups": ["OLDER_PEOPLE_AND_FAMILY_CARERS"], "isFree": true } } }),
        )
        .await;
    let series_id = id(&series["createEvent"]["id"]);
    let occurrence = |i: usize| series["createEvent"]["occurrences"][i]["id"].clone();
    app.graphql(
        Some(&martta),
        "mutation($e: ID!, $o: ID!) { cancelEventOccurrence(eventId: $e, occurrenceId: $o, reason: \"Pyhäpäivä\") { id } }",
        json!({ "e": series_id, "o": occurrence(1) }),
    )
    .await;
    app.graphql(
        Some(&martta),
        "mutation($e: ID!, $o: ID!) { moveEventOccurrence(eventId: $e, occurrenceId: $o, start: \"2027-04-06T19:00\", end: \"2027-04-06T21:00\") { id } }",
        json!({ "e": series_id, "o": occurrence(2) }),
    )
    .await;
    app.graphql(
        Some(&martta),
        "mutation($e: ID!, $o: ID!) { inviteCohost(eventId: $e, organisationId: $o) { status } }",
        json!({ "e": series_id, "o": carers }),
    )
    .await;
    app.graphql(
        Some(&carers_admin),
        "mutation($e: ID!, $o: ID!) { answerCohostInvitation(eventId: $e, organisationId: $o, accept: true) { status } }",
        json!({ "e": series_id, "o": carers }),
    )
    .await;
    let other = app
        .graphql(
            Some(&martta),
            CREATE_EVENT,
            json!({ "input": { "organiserId": martat, "start": "2027-05-04T18:00", "end": "2027-05-04T20:00",
                "venues": [{ "facilityId": hall }], "publish": true,
                "details": { "title": { "fi": "Turvallinen arki" }, "themes": ["EVERYDAY_SAFETY"],
                    "targetGroups": ["YOUTH"], "isFree": true } } }),
        )
        .await;
    let other_id = id(&other["createEvent"]["id"]);

    let feed = fetch(
        &app,
        "/ical/events.ics?theme=MENTAL_WELLBEING&municipality=Lahti",
        &[],
    )
    .await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    let calendar = parse(&feed.text);
    let shown = expand(&calendar);
    let uid = shown[0].uid.clone();
    assert!(uid.starts_with(&format!("event-{series_id}-")), "{uid}");
    assert!(
        shown.iter().all(|s| s.uid == uid),
        "only the filtered event"
    );
    assert_eq!(of_uid(&shown, &uid), occurrences_of(&app, &series_id).await);
    assert_eq!(shown.len(), 4, "five Tuesdays less the exception date");
    assert_eq!(shown[0].start, utc("2027-03-16T16:00:00Z"));
    assert_eq!(shown[1].start, utc("2027-03-30T15:00:00Z"));
    assert_eq!(shown[1].status, "CANCELLED");
    assert_eq!(shown[2].start, utc("2027-04-06T16:00:00Z"));
    let description = shown[0].description.clone().unwrap();
    assert!(
        description.contains("Keskustelua, teetä; tervetuloa!"),
        "{description}"
    );
    assert!(
        description.contains("Yhteistyössä: Lahden Omaishoitajat"),
        "{description}"
    );
    assert!(
        description.contains("Järjestäjä: Lahden Martat"),
        "{description}"
    );
    let master = &calendar.events[0];
    let categories = property(&master.properties, "CATEGORIES")
        .and_then(|p| p.value.clone())
        .unwrap();
    assert!(
        categories.starts_with("Mielen hyvinvointi,"),
        "{categories}"
    );
    assert!(text(master, "URL").unwrap().ends_with(&format!(
        "/events/{}",
        series["createEvent"]["slug"].as_str().unwrap()
    )));
    assert!(
        text(master, "LOCATION")
            .unwrap()
            .starts_with("Kerhohuone, Rautatienkatu 1")
    );

    // Swedish texts fall back to the Finnish title; the categories are in Swedish.
    let swedish = fetch(&app, "/ical/events.ics?theme=MENTAL_WELLBEING&lang=sv", &[]).await;
    let swedish = parse(&swedish.text);
    assert_eq!(
        text(&swedish.events[0], "SUMMARY").as_deref(),
        Some("Mielen hyvinvoinnin ilta")
    );
    assert!(
        text(&swedish.events[0], "CATEGORIES")
            .unwrap()
            .starts_with("Psykiskt välbefinnande")
    );
    let youth = expand(&parse(
        &fetch(&app, "/ical/events.ics?targetGroup=YOUTH", &[])
            .await
            .text,
    ));
    assert_eq!(youth.len(), 1);
    assert!(youth[0].uid.starts_with(&format!("event-{other_id}-")));
    let by_carers = expand(&parse(
        &fetch(&app, &format!("/ical/events.ics?organiser={carers}"), &[])
            .await
            .text,
    ));
    assert_eq!(of_uid(&by_carers, &uid).len(), 4, "a co-host's events");
    let bad = fetch(&app, "/ical/events.ics?theme=HAPPINESS", &[]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.text.starts_with("VALIDATION") && bad.text.contains("theme"),
        "{}",
        bad.text
    );

    // The facility's feed shows the events instead of their venue bookings.
    let facility = expand(&parse(
        &fetch(&app, &format!("/ical/facilities/{hall}.ics"), &[])
            .await
            .text,
    ));
    assert!(
        facility.iter().all(|s| s.uid.starts_with("event-")),
        "{facility:?}"
    );
    assert_eq!(
        of_uid(&facility, &uid),
        occurrences_of(&app, &series_id).await
    );
    // The co-host's own feed has the event too.
    let cohost = expand(&parse(
        &fetch(&app, &format!("/ical/organisations/{carers}.ics"), &[])
            .await
            .text,
    ));
    assert_eq!(of_uid(&cohost, &uid).len(), 4);

    // A cancelled event stays in the feed as cancelled.
    app.graphql(
        Some(&martta),
        "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Esiintyjä sairastui\") { status } }",
        json!({ "id": other_id }),
    )
    .await;
    let youth = expand(&parse(
        &fetch(&app, "/ical/events.ics?targetGroup=YOUTH", &[])
            .await
            .text,
    ));
    assert_eq!(youth[0].status, "CANCELLED");
    assert!(
        youth[0]
            .description
            .as_deref()
            .unwrap()
            .starts_with("Peruttu: Esiintyjä sairastui")
    );
}

/// Runs the Python check on `path`'s feed against `expected` occurrences.
async fn python_check(app: &TestApp, python: &str, path: &str, expected: Vec<Expected>) {
    let feed = fetch(app, path, &[]).await;
    assert_eq!(feed.status, StatusCode::OK);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let feed_file = dir.path().join("feed.ics");
    let expected_file = dir.path().join("expected.json");
    std::fs::write(&feed_file, &feed.text).expect("feed written");
    let occurrences: Vec<Value> = expected.iter().map(Expected::json).collect();
    let expectations = json!({ "from": "2026-01-01T00:00:00Z", "to": "2029-01-01T00:00:00Z", "occurrences": occurrences });
    std::fs::write(&expected_file, expectations.to_string()).expect("expectations written");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ical/check_feed.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(&feed_file)
        .arg(&expected_file)
        .output()
        .expect("the Python check runs");
    assert!(
        output.status.success(),
        "{path}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `.ci/run` sets `ICAL_PYTHON` to a virtual environment with Python's `icalendar` and
/// `recurring-ical-events` and runs this test on both databases.
#[tokio::test]
#[ignore = "needs ICAL_PYTHON with icalendar and recurring-ical-events; .ci/run runs it"]
async fn python_calendar_libraries_read_the_feeds_as_the_database_holds_them() {
    let python = std::env::var("ICAL_PYTHON").expect("ICAL_PYTHON: a Python with icalendar");
    let app = crate::helpers::spawn_app().await;
    let (facility, manager) = eventful_series(&app).await;
    let expected = bookings_of(&app, &manager, &facility).await;
    python_check(
        &app,
        &python,
        &format!("/ical/facilities/{facility}.ics"),
        expected,
    )
    .await;

    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let event = app
        .graphql(
            Some(&martta),
            CREATE_EVENT,
            json!({ "input": { "organiserId": martat, "start": "2027-10-19T18:00", "end": "2027-10-19T20:00",
                "recurrence": { "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4" },
                "venues": [{ "facilityId": hall }], "publish": true,
                "details": { "title": { "fi": "Kuorotreenit, syksy" }, "isFree": true } } }),
        )
        .await;
    let event_id = id(&event["createEvent"]["id"]);
    app.graphql(
        Some(&martta),
        "mutation($e: ID!, $o: ID!) { moveEventOccurrence(eventId: $e, occurrenceId: $o, start: \"2027-11-02T19:00\", end: \"2027-11-02T21:00\") { id } }",
        json!({ "e": event_id, "o": event["createEvent"]["occurrences"][2]["id"] }),
    )
    .await;
    let expected = occurrences_of(&app, &event_id).await;
    python_check(&app, &python, "/ical/events.ics", expected).await;
}

#[tokio::test]
async fn a_draft_or_private_event_shows_on_its_hall_only_as_busy_time() {
    let app = crate::helpers::spawn_app().await;
    let (hall, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = crate::bookings::day_ahead(20);
    let details = json!({
        "title": { "fi": "Yllätysjuhla" },
        "summary": { "fi": "Kukaan ei saa tietää" },
        "themes": ["PARTICIPATION_AND_COMMUNITY"],
        "targetGroups": ["OLDER_PEOPLE_AND_FAMILY_CARERS"],
        "isFree": true
    });
    let created = app
        .graphql(
            Some(&booker),
            "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }",
            json!({ "input": {
                "organiserId": ngo,
                "start": format!("{day}T18:00"), "end": format!("{day}T20:00"),
                "venues": [{ "facilityId": hall, "attendees": 20 }],
                "visibility": "PUBLIC",
                "publish": false,
                "details": details
            } }),
        )
        .await;
    let id = created["createEvent"]["id"].as_str().expect("id");
    let path = format!("/ical/facilities/{hall}.ics");
    let summaries = |text: &str| -> Vec<String> {
        expand(&parse(text))
            .into_iter()
            .map(|s| s.summary)
            .collect()
    };
    let busy_only = |text: &str, when: &str| {
        assert_eq!(summaries(text), ["Varattu"], "{when}");
        for secret in ["Yllätysjuhla", "Kukaan"] {
            assert!(!text.contains(secret), "{secret} in the hall's feed {when}");
        }
    };
    busy_only(&fetch(&app, &path, &[]).await.text, "while a draft");

    app.graphql(
        Some(&booker),
        "mutation($id: ID!) { publishEvent(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let published = fetch(&app, &path, &[]).await;
    assert_eq!(summaries(&published.text), ["Yllätysjuhla"]);

    app.graphql(
        Some(&booker),
        "mutation($id: ID!, $details: EventDetailsInput!) {
            updateEvent(id: $id, visibility: PRIVATE, details: $details) { id } }",
        json!({ "id": id, "details": details }),
    )
    .await;
    let etag = published.header("etag").expect("an ETag");
    let private = fetch(&app, &path, &[("If-None-Match", &etag)]).await;
    assert_eq!(private.status, StatusCode::OK, "the feed changed");
    busy_only(&private.text, "once private");
}

#[tokio::test]
async fn renaming_a_hall_or_its_booker_revises_what_calendars_show() {
    let app = crate::helpers::spawn_app().await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let day = crate::bookings::day_ahead(15);
    let mut request = booking(
        &facility,
        &ngo,
        &format!("{day}T18:00"),
        &format!("{day}T20:00"),
    );
    request["input"]["public"] = json!(true);
    app.graphql(Some(&booker), CREATE, request).await;
    let path = format!("/ical/facilities/{facility}.ics");
    let shown = |text: &str| {
        let calendar = parse(text);
        let event = &calendar.events[0];
        (
            text_of(event, "SEQUENCE"),
            text_of(event, "LOCATION"),
            text_of(event, "DESCRIPTION"),
        )
    };
    let update_facility = |input: Value| {
        app.graphql(
            Some(&manager),
            "mutation($id: ID!, $input: FacilityInput!) { updateFacility(id: $id, input: $input) { id } }",
            json!({ "id": facility, "input": crate::helpers::facility_input(input) }),
        )
    };
    let rules = json!({ "slotGranularityMinutes": 30, "approvalRequired": false });
    let (sequence, location, _) = shown(&fetch(&app, &path, &[]).await.text);
    assert_eq!(sequence, "0");
    assert!(location.starts_with("Kerhohuone, "), "{location}");

    // A change calendars do not show leaves the booking as it was.
    update_facility(json!({ "capacity": 45, "rules": rules })).await;
    assert_eq!(shown(&fetch(&app, &path, &[]).await.text).0, "0");

    update_facility(json!({ "capacity": 45, "rules": rules, "name": { "fi": "Martta-sali" } }))
        .await;
    let (sequence, location, _) = shown(&fetch(&app, &path, &[]).await.text);
    assert_eq!(sequence, "1", "a new LOCATION is a new revision");
    assert!(location.starts_with("Martta-sali, "), "{location}");

    let coordinator = app.coordinator().await;
    app.graphql(
        Some(&coordinator),
        "mutation($id: ID!, $input: OrganisationInput!) { updateOrganisation(id: $id, input: $input) { id } }",
        json!({ "id": ngo, "input": { "kind": "NGO", "name": { "fi": "Lahden Martat ry" }, "municipality": "Lahti" } }),
    )
    .await;
    let (sequence, _, description) = shown(&fetch(&app, &path, &[]).await.text);
    assert_eq!(sequence, "2", "a renamed booker is a new revision");
    assert!(description.contains("Lahden Martat ry"), "{description}");
}

fn text_of(event: &IcalEvent, name: &str) -> String {
    text(event, name).unwrap_or_else(|| panic!("{name}"))
}
