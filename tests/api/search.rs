//! Finding free facilities over HTTP: filters, bookings, closures, divisible
//! facilities, daylight saving time, paging and validation.
use chrono::{Datelike, Days, NaiveDate, Offset, TimeZone, Utc, Weekday};
use serde_json::{Value, json};

use crate::bookings::{booking, day_ahead};
use crate::helpers::{TestApp, facility_input, spawn_app};

const CREATE: &str =
    "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }";
const HOURS: &str = "mutation($id: ID!, $hours: [OpeningIntervalInput!]!) { setOpeningHours(facilityId: $id, hours: $hours) { id } }";
const EXCEPTIONS: &str = "mutation($id: ID!, $e: [DateExceptionInput!]!) { setDateExceptions(facilityId: $id, exceptions: $e) { id } }";
const SEARCH: &str = "query($filter: FacilityFilterInput, $from: String!, $to: String!, $min: Int!, $first: Int, $after: String) {
  findAvailableFacilities(filter: $filter, from: $from, to: $to, minDurationMinutes: $min, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { facility { id } freeTimes { start end startLocal endLocal } } }
  }
}";

/// A municipality in Hollola with a facility manager, and an NGO with a booker.
struct Hollola {
    town: String,
    ngo: String,
    booker: String,
    manager: String,
}

async fn hollola(app: &TestApp) -> Hollola {
    let coordinator = app.coordinator().await;
    let town = app
        .create_organisation(&coordinator, "MUNICIPALITY", "Hollolan kunta", "Hollola")
        .await;
    let ngo = app
        .create_organisation(&coordinator, "NGO", "Hollolan Martat", "Hollola")
        .await;
    let manager = app
        .member_token(
            &coordinator,
            &town,
            "tilat@hollola.example.fi",
            "FACILITY_MANAGER",
        )
        .await;
    let booker = app
        .member_token(&coordinator, &ngo, "martta@example.fi", "BOOKER")
        .await;
    Hollola {
        town,
        ngo,
        booker,
        manager,
    }
}

impl Hollola {
    /// A facility with `overrides`, open `opens`–`closes` every day.
    async fn facility(&self, app: &TestApp, overrides: Value, opens: &str, closes: &str) -> String {
        let mut input = json!({
            "municipality": "Hollola",
            "capacity": 20,
            "accessibility": ["STEP_FREE_ACCESS"],
            "freeForNonProfit": true,
        });
        if let (Some(base), Value::Object(extra)) = (input.as_object_mut(), overrides) {
            base.extend(extra);
        }
        let id = app.create_facility(&self.manager, &self.town, input).await;
        open_every_day(app, &self.manager, &id, opens, closes).await;
        id
    }

    async fn book(&self, app: &TestApp, facility: &str, start: String, end: String) {
        app.graphql(
            Some(&self.booker),
            CREATE,
            booking(facility, &self.ngo, &start, &end),
        )
        .await;
    }
}

async fn open_every_day(app: &TestApp, manager: &str, facility: &str, opens: &str, closes: &str) {
    let hours: Vec<Value> = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
        .iter()
        .map(|d| json!({ "weekday": d, "opens": opens, "closes": closes }))
        .collect();
    app.graphql(
        Some(manager),
        HOURS,
        json!({ "id": facility, "hours": hours }),
    )
    .await;
}

/// The first Tuesday at least a week ahead.
fn next_tuesday() -> NaiveDate {
    let mut day = day_ahead(7);
    while day.weekday() != Weekday::Tue {
        day = day + Days::new(1);
    }
    day
}

fn room_filter() -> Value {
    json!({ "municipality": "Hollola", "minCapacity": 20, "accessibility": ["STEP_FREE_ACCESS"], "freeForNgos": true })
}

async fn search(
    app: &TestApp,
    token: Option<&str>,
    filter: Value,
    from: String,
    to: String,
    min: i32,
) -> Value {
    app.graphql(
        token,
        SEARCH,
        json!({ "filter": filter, "from": from, "to": to, "min": min }),
    )
    .await["findAvailableFacilities"]
        .clone()
}

/// Ids of the facilities found, with their free times as local `HH:MM–HH:MM`.
fn found(result: &Value) -> Vec<(String, Vec<String>)> {
    result["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let node = &e["node"];
            let times = node["freeTimes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    format!(
                        "{}–{}",
                        &t["startLocal"].as_str().unwrap()[11..16],
                        &t["endLocal"].as_str().unwrap()[11..16]
                    )
                })
                .collect();
            (node["facility"]["id"].as_str().unwrap().to_string(), times)
        })
        .collect()
}

#[tokio::test]
async fn a_step_free_room_for_twenty_in_hollola_free_on_tuesday_evening_is_found() {
    let app = spawn_app().await;
    let h = hollola(&app).await;
    let room = h.facility(&app, json!({}), "08:00", "21:00").await;
    // Each misses one filter: too small, in Lahti, not step-free, charges NGOs.
    h.facility(&app, json!({ "capacity": 10 }), "08:00", "21:00")
        .await;
    h.facility(&app, json!({ "municipality": "Lahti" }), "08:00", "21:00")
        .await;
    h.facility(&app, json!({ "accessibility": [] }), "08:00", "21:00")
        .await;
    h.facility(&app, json!({ "freeForNonProfit": false }), "08:00", "21:00")
        .await;
    // Matches the filter but opens only at 18:00.
    let late = h.facility(&app, json!({}), "18:00", "21:00").await;
    let tuesday = next_tuesday();
    let (from, to) = (format!("{tuesday}T17:00"), format!("{tuesday}T20:00"));

    let result = search(&app, None, room_filter(), from.clone(), to.clone(), 180).await;
    assert_eq!(
        found(&result),
        vec![(room.clone(), vec!["17:00–20:00".into()])]
    );
    assert_eq!(result["totalCount"], 1);
    let result = search(&app, None, room_filter(), from.clone(), to.clone(), 120).await;
    assert_eq!(
        found(&result),
        vec![
            (room.clone(), vec!["17:00–20:00".into()]),
            (late.clone(), vec!["18:00–20:00".into()])
        ]
    );

    // Booked 17–19: only an hour is left.
    h.book(
        &app,
        &room,
        format!("{tuesday}T17:00"),
        format!("{tuesday}T19:00"),
    )
    .await;
    let result = search(&app, None, room_filter(), from.clone(), to.clone(), 120).await;
    assert_eq!(
        found(&result),
        vec![(late.clone(), vec!["18:00–20:00".into()])]
    );
    let result = search(&app, None, room_filter(), from.clone(), to.clone(), 60).await;
    assert_eq!(
        found(&result),
        vec![
            (room.clone(), vec!["19:00–20:00".into()]),
            (late.clone(), vec!["18:00–20:00".into()])
        ]
    );

    // Fully booked 17–20: not found at all.
    h.book(
        &app,
        &room,
        format!("{tuesday}T19:00"),
        format!("{tuesday}T20:00"),
    )
    .await;
    let result = search(&app, None, room_filter(), from, to, 1).await;
    assert_eq!(found(&result), vec![(late, vec!["18:00–20:00".into()])]);
}

#[tokio::test]
async fn free_times_span_several_days_and_skip_bookings_and_closed_days() {
    let app = spawn_app().await;
    let h = hollola(&app).await;
    let room = h.facility(&app, json!({}), "08:00", "21:00").await;
    let (day, closed, after) = (day_ahead(10), day_ahead(11), day_ahead(12));
    app.graphql(
        Some(&h.manager),
        EXCEPTIONS,
        json!({ "id": room, "e": [{ "firstDay": closed.to_string(), "lastDay": closed.to_string(), "closed": true, "reason": { "fi": "Remontti" } }] }),
    )
    .await;
    // The closed day alone: nothing.
    let result = search(
        &app,
        None,
        room_filter(),
        format!("{closed}T00:00"),
        format!("{after}T00:00"),
        30,
    )
    .await;
    assert!(found(&result).is_empty(), "{result}");
    h.book(&app, &room, format!("{day}T12:00"), format!("{day}T14:00"))
        .await;
    let result = search(
        &app,
        None,
        room_filter(),
        format!("{day}T10:00"),
        format!("{after}T12:00"),
        60,
    )
    .await;
    let free = &result["edges"][0]["node"]["freeTimes"];
    let starts: Vec<&str> = free
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["startLocal"].as_str().unwrap()[..16])
        .collect();
    assert_eq!(
        starts,
        vec![
            format!("{day}T10:00"),
            format!("{day}T14:00"),
            format!("{after}T08:00")
        ]
    );
    assert_eq!(
        found(&result),
        vec![(
            room,
            vec![
                "10:00–12:00".into(),
                "14:00–21:00".into(),
                "08:00–12:00".into()
            ]
        )]
    );
}

#[tokio::test]
async fn a_booked_whole_hides_its_parts_and_a_booked_part_hides_the_whole() {
    let app = spawn_app().await;
    let h = hollola(&app).await;
    let gym = h
        .facility(&app, json!({ "type": "GYM" }), "00:00", "24:00")
        .await;
    let create_part = "mutation($owner: ID!, $part: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input, partOfId: $part) { id } }";
    let mut parts = Vec::new();
    for name in ["Itäpääty", "Länsipääty"] {
        let input = crate::helpers::facility_input(json!({
            "name": { "fi": name }, "type": "GYM", "municipality": "Hollola", "capacity": 20,
            "accessibility": ["STEP_FREE_ACCESS"],
        }));
        let id = app
            .graphql(
                Some(&h.manager),
                create_part,
                json!({ "owner": h.town, "part": gym, "input": input }),
            )
            .await["createFacility"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        open_every_day(&app, &h.manager, &id, "00:00", "24:00").await;
        parts.push(id);
    }
    let (east, west) = (parts[0].clone(), parts[1].clone());
    let day = day_ahead(10);
    h.book(&app, &gym, format!("{day}T10:00"), format!("{day}T12:00"))
        .await;
    h.book(&app, &east, format!("{day}T14:00"), format!("{day}T16:00"))
        .await;
    let gyms = json!({ "types": ["GYM"] });
    let ids = |result: &Value| -> Vec<String> { found(result).into_iter().map(|f| f.0).collect() };

    let whole_booked = search(
        &app,
        None,
        gyms.clone(),
        format!("{day}T10:00"),
        format!("{day}T12:00"),
        30,
    )
    .await;
    assert!(ids(&whole_booked).is_empty(), "{whole_booked}");
    let part_booked = search(
        &app,
        None,
        gyms.clone(),
        format!("{day}T14:00"),
        format!("{day}T16:00"),
        30,
    )
    .await;
    assert_eq!(ids(&part_booked), vec![west.clone()]);
    let evening = search(
        &app,
        None,
        gyms,
        format!("{day}T11:00"),
        format!("{day}T18:00"),
        120,
    )
    .await;
    assert_eq!(
        found(&evening),
        vec![
            (gym, vec!["12:00–14:00".into(), "16:00–18:00".into()]),
            (east, vec!["12:00–14:00".into(), "16:00–18:00".into()]),
            (west, vec!["12:00–18:00".into()]),
        ]
    );
}

/// The day of the next daylight saving change: the first local date whose offset at
/// noon differs from the day before's (the clocks turn at 03:00 or 04:00).
fn next_dst_change_day() -> NaiveDate {
    let zone = chrono_tz::Europe::Helsinki;
    let offset = |d: NaiveDate| {
        zone.from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .offset()
            .fix()
    };
    let mut day = day_ahead(1);
    while offset(day) == offset(day - Days::new(1)) {
        day = day + Days::new(1);
    }
    day
}

#[tokio::test]
async fn opening_hours_right_after_the_next_dst_change_are_right_in_utc() {
    let app = spawn_app().await;
    let h = hollola(&app).await;
    let room = h.facility(&app, json!({}), "08:00", "21:00").await;
    let day = next_dst_change_day();
    let zone = chrono_tz::Europe::Helsinki;
    let utc = |hour: u32| {
        zone.from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    // Two days around the change, read in UTC so that no local reading is involved.
    let from = utc(0) - chrono::Duration::days(1);
    let result = search(
        &app,
        None,
        room_filter(),
        from.to_rfc3339(),
        (from + chrono::Duration::days(2)).to_rfc3339(),
        60,
    )
    .await;
    let free = result["edges"][0]["node"]["freeTimes"].as_array().unwrap();
    assert_eq!(free.len(), 2, "{result}");
    let last = &free[1];
    assert_eq!(
        last["start"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        utc(8)
    );
    assert_eq!(
        last["end"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        utc(21)
    );
    assert!(
        last["startLocal"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{day}T08:00:00+0")),
        "{last}"
    );
    // The day before the change keeps its own offset: 08–21 local there too.
    assert_eq!(
        found(&result),
        vec![(room, vec!["08:00–21:00".into(), "08:00–21:00".into()])]
    );
}

#[tokio::test]
async fn drafts_are_found_only_by_their_owners_and_pages_follow_ids() {
    let app = spawn_app().await;
    let h = hollola(&app).await;
    let mut rooms = Vec::new();
    for _ in 0..3 {
        rooms.push(h.facility(&app, json!({}), "08:00", "21:00").await);
    }
    app.graphql(
        Some(&h.manager),
        "mutation($id: ID!) { unpublishFacility(id: $id) { id } }",
        json!({ "id": rooms[1] }),
    )
    .await;
    let day = day_ahead(10);
    let (from, to) = (format!("{day}T08:00"), format!("{day}T21:00"));
    let anonymous = search(&app, None, room_filter(), from.clone(), to.clone(), 60).await;
    let ids: Vec<String> = found(&anonymous).into_iter().map(|f| f.0).collect();
    assert_eq!(ids, vec![rooms[0].clone(), rooms[2].clone()]);
    let owner = search(
        &app,
        Some(&h.manager),
        room_filter(),
        from.clone(),
        to.clone(),
        60,
    )
    .await;
    assert_eq!(owner["totalCount"], 3);

    let page = |after: Option<String>| json!({ "filter": room_filter(), "from": from, "to": to, "min": 60, "first": 2, "after": after });
    let first =
        app.graphql(Some(&h.manager), SEARCH, page(None)).await["findAvailableFacilities"].clone();
    assert_eq!(found(&first).len(), 2);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let second = app
        .graphql(Some(&h.manager), SEARCH, page(Some(cursor)))
        .await["findAvailableFacilities"]
        .clone();
    assert_eq!(
        found(&second),
        vec![(rooms[2].clone(), vec!["08:00–21:00".into()])]
    );
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn bad_windows_and_durations_are_refused_with_their_fields() {
    let app = spawn_app().await;
    let day = day_ahead(10);
    let far = day + Days::new(63);
    for (from, to, min, field, reason) in [
        (
            format!("{day}T20:00"),
            format!("{day}T17:00"),
            60,
            "to",
            "END_NOT_AFTER_START",
        ),
        (
            format!("{day}T00:00"),
            format!("{far}T00:00"),
            60,
            "to",
            "WINDOW_TOO_LONG",
        ),
        (
            format!("{day}T17:00"),
            format!("{day}T20:00"),
            0,
            "minDurationMinutes",
            "NOT_POSITIVE",
        ),
        (
            format!("{day}T17:00"),
            format!("{day}T20:00"),
            -30,
            "minDurationMinutes",
            "NOT_POSITIVE",
        ),
        (
            "tiistaina".to_string(),
            format!("{day}T20:00"),
            60,
            "from",
            "INVALID_TIME",
        ),
    ] {
        let error = app
            .graphql_error(None, SEARCH, json!({ "from": from, "to": to, "min": min }))
            .await;
        assert_eq!(error["extensions"]["field"], field, "{error}");
        assert_eq!(error["extensions"]["reason"], reason, "{error}");
    }
}

#[tokio::test]
async fn a_facility_changed_since_the_last_search_is_found_as_it_is_now() {
    let app = spawn_app().await;
    let h = hollola(&app).await;
    let room = h.facility(&app, json!({}), "08:00", "21:00").await;
    let tuesday = next_tuesday();
    let described = |name: &str, capacity: i32| json!([[room.clone(), name, capacity]]);
    let search = || async {
        let result = app
            .graphql(
                None,
                "query($filter: FacilityFilterInput, $from: String!, $to: String!) {
                  findAvailableFacilities(filter: $filter, from: $from, to: $to, minDurationMinutes: 60) {
                    edges { node { facility { id name { fi } capacity } } }
                  }
                }",
                json!({ "filter": room_filter(), "from": format!("{tuesday}T17:00"), "to": format!("{tuesday}T20:00") }),
            )
            .await;
        let found: Vec<Value> = result["findAvailableFacilities"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| {
                let facility = &edge["node"]["facility"];
                json!([facility["id"], facility["name"]["fi"], facility["capacity"]])
            })
            .collect();
        Value::from(found)
    };
    // Twice, so that the second answer may come from what the first read.
    assert_eq!(search().await, described("Kerhohuone", 20));
    assert_eq!(search().await, described("Kerhohuone", 20));

    app.graphql(
        Some(&h.manager),
        "mutation($id: ID!, $input: FacilityInput!) { updateFacility(id: $id, input: $input) { id } }",
        json!({ "id": room, "input": facility_input(json!({
            "name": { "fi": "Martan kerhohuone" },
            "municipality": "Hollola",
            "capacity": 25,
            "accessibility": ["STEP_FREE_ACCESS"],
        })) }),
    )
    .await;
    assert_eq!(search().await, described("Martan kerhohuone", 25));
}
