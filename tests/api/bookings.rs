//! Bookings over HTTP: rules, conflicts under concurrency, approval, cancellation.
use chrono::{Days, NaiveDate, Utc};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const CREATE: &str = "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id status time { start end startLocal } title } }";

/// A date `days` ahead of today in Helsinki, as `YYYY-MM-DD`.
pub fn day_ahead(days: u64) -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Helsinki)
        .date_naive()
        + Days::new(days)
}

/// A facility open every day around the clock, with `rules` merged in, owned by a
/// municipality; and an NGO with a booker. Returns (facility, ngo, booker token, manager token).
pub async fn bookable(app: &TestApp, rules: Value) -> (String, String, String, String) {
    let coordinator = app.coordinator().await;
    let town = app
        .create_organisation(&coordinator, "MUNICIPALITY", "Lahden kaupunki", "Lahti")
        .await;
    let ngo = app
        .create_organisation(&coordinator, "NGO", "Lahden Martat", "Lahti")
        .await;
    let manager = app
        .member_token(
            &coordinator,
            &town,
            "tilat@lahti.example.fi",
            "FACILITY_MANAGER",
        )
        .await;
    let booker = app
        .member_token(&coordinator, &ngo, "martta@example.fi", "BOOKER")
        .await;
    let mut all_rules = json!({ "slotGranularityMinutes": 30, "approvalRequired": false });
    if let (Some(base), Value::Object(extra)) = (all_rules.as_object_mut(), rules) {
        base.extend(extra);
    }
    let facility = app
        .create_facility(
            &manager,
            &town,
            json!({ "rules": all_rules, "capacity": 40 }),
        )
        .await;
    app.open_daily(&manager, &facility, "00:00", "24:00").await;
    (facility, ngo, booker, manager)
}

pub fn booking(facility: &str, organisation: &str, start: &str, end: &str) -> Value {
    json!({ "input": { "facilityId": facility, "organisationId": organisation, "start": start, "end": end, "title": "Vertaisryhmä" } })
}

#[tokio::test]
async fn a_booking_is_confirmed_and_its_time_is_taken() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let data = app
        .graphql(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T18:00"),
                &format!("{day}T20:00"),
            ),
        )
        .await;
    assert_eq!(data["createBooking"]["status"], "CONFIRMED");
    assert!(
        data["createBooking"]["time"]["startLocal"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{day}T18:00:00+0"))
    );

    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T19:00"),
                &format!("{day}T21:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    let conflicts = error["extensions"]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0]["start"].as_str().unwrap(),
        data["createBooking"]["time"]["start"]
            .as_str()
            .unwrap()
            .replace('Z', "+00:00")
    );
    // Touching is not overlapping: [start, end).
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &facility,
            &ngo,
            &format!("{day}T20:00"),
            &format!("{day}T21:00"),
        ),
    )
    .await;
}

#[tokio::test]
async fn a_missing_or_hidden_facility_and_a_missing_organisation_are_not_found() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let (start, end) = (format!("{day}T18:00"), format!("{day}T20:00"));
    let not_found = |error: &Value, what: &str| {
        assert_eq!(error["extensions"]["code"], "NOT_FOUND", "{error}");
        assert!(
            error["message"].as_str().unwrap_or_default().contains(what),
            "{error}"
        );
    };
    let refusal = async |token: &str, facility: &str, organisation: &str| {
        let input = booking(facility, organisation, &start, &end);
        app.graphql_error(Some(token), CREATE, input).await
    };
    not_found(&refusal(&booker, "999999", &ngo).await, "facility");
    // Only a member books for an organisation: one that does not exist is forbidden as
    // any other would be, except to the coordinator, who hears that it is not there.
    let error = refusal(&booker, &facility, "999999").await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
    let coordinator = app.coordinator().await;
    not_found(
        &refusal(&coordinator, &facility, "999999").await,
        "organisation",
    );
    app.graphql(
        Some(&manager),
        "mutation($id: ID!) { unpublishFacility(id: $id) { id } }",
        json!({ "id": facility }),
    )
    .await;
    not_found(&refusal(&booker, &facility, &ngo).await, "facility");
}

/// The guard looks only at the last hold starting before a new booking ends (holds never
/// overlap, so no earlier one can reach further): bookings between, before and after
/// others are let in exactly where time is free.
#[tokio::test]
async fn bookings_fit_exactly_the_gaps_between_other_bookings() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let attempt = |from: &str, until: &str| {
        app.graphql_raw(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T{from}"),
                &format!("{day}T{until}"),
            ),
        )
    };
    // Later first, so that most attempts below meet a hold that is not the unit's last.
    for (from, until, taken) in [
        ("14:00", "16:00", false),
        ("10:00", "12:00", false),
        ("11:30", "14:30", true),  // reaches into both
        ("09:00", "10:30", true),  // into the first from before
        ("15:30", "17:00", true),  // out of the last
        ("10:30", "11:00", true),  // inside the first
        ("12:00", "14:00", false), // exactly the gap
        ("08:00", "10:00", false), // up to the first
        ("16:00", "17:00", false), // from the last on
        ("13:00", "13:30", true),  // inside the filled gap
    ] {
        let (_, body) = attempt(from, until).await;
        let code = &body["errors"][0]["extensions"]["code"];
        if taken {
            assert_eq!(code, "CONFLICT", "{from}–{until}: {body}");
        } else {
            assert!(
                body["data"]["createBooking"]["id"].is_string(),
                "{from}–{until}: {body}"
            );
        }
    }
}

#[tokio::test]
async fn buffers_keep_time_free_around_bookings() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({ "bufferAfterMinutes": 30 })).await;
    let day = day_ahead(10);
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &facility,
            &ngo,
            &format!("{day}T10:00"),
            &format!("{day}T12:00"),
        ),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T12:00"),
                &format!("{day}T13:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &facility,
            &ngo,
            &format!("{day}T13:00"),
            &format!("{day}T14:00"),
        ),
    )
    .await;
}

#[tokio::test]
async fn each_broken_rule_has_its_own_reason_and_field() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(
        &app,
        json!({ "minDurationMinutes": 60, "maxDurationMinutes": 240, "minNoticeMinutes": 1440, "maxAdvanceDays": 90 }),
    )
    .await;
    let soon = day_ahead(0);
    let day = day_ahead(10);
    for (start, end, reason, field) in [
        (
            format!("{day}T18:00"),
            format!("{day}T18:30"),
            "DURATION_TOO_SHORT",
            "input.end",
        ),
        (
            format!("{day}T08:00"),
            format!("{day}T13:00"),
            "DURATION_TOO_LONG",
            "input.end",
        ),
        (
            format!("{day}T18:15"),
            format!("{day}T19:45"),
            "NOT_ON_SLOT_GRID",
            "input.start",
        ),
        (
            format!("{}T10:00", day_ahead(120)),
            format!("{}T12:00", day_ahead(120)),
            "TOO_FAR_IN_ADVANCE",
            "input.start",
        ),
        (
            format!("{soon}T23:00"),
            format!("{}T01:00", day_ahead(1)),
            "TOO_SHORT_NOTICE",
            "input.start",
        ),
        (
            format!("{day}T20:00"),
            format!("{day}T18:00"),
            "END_NOT_AFTER_START",
            "input.end",
        ),
    ] {
        let error = app
            .graphql_error(
                Some(&booker),
                CREATE,
                booking(&facility, &ngo, &start, &end),
            )
            .await;
        assert_eq!(error["extensions"]["code"], "VALIDATION", "{start} {error}");
        assert_eq!(error["extensions"]["reason"], reason, "{start} {error}");
        let field_ok = error["extensions"]["field"] == field
            || error["extensions"]["field"] == field.trim_start_matches("input.");
        assert!(field_ok, "{start}: {error}");
    }
    let error = app
        .graphql_error(Some(&booker), CREATE, json!({ "input": { "facilityId": facility, "organisationId": ngo,
            "start": format!("{day}T18:00"), "end": format!("{day}T20:00"), "title": "Iso juhla", "attendees": 41 } }))
        .await;
    assert_eq!(error["extensions"]["reason"], "TOO_MANY_ATTENDEES");
    let count = app
        .graphql(
            Some(&booker),
            "query($org: ID!) { bookings(filter: { organisationId: $org }) { totalCount } }",
            json!({ "org": ngo }),
        )
        .await;
    assert_eq!(
        count["bookings"]["totalCount"], 0,
        "nothing half-written stays"
    );
}

#[tokio::test]
async fn closed_hours_and_closures_refuse_bookings() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    app.open_daily(&manager, &facility, "08:00", "21:00").await;
    app.graphql(
        Some(&manager),
        "mutation($id: ID!, $e: [DateExceptionInput!]!) { setDateExceptions(facilityId: $id, exceptions: $e) { id } }",
        json!({ "id": facility, "e": [{ "firstDay": day_ahead(12).to_string(), "lastDay": day_ahead(12).to_string(), "closed": true, "reason": { "fi": "Remontti" } }] }),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T20:00"),
                &format!("{day}T22:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["reason"], "OUTSIDE_OPENING_HOURS");
    let closed = day_ahead(12);
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{closed}T10:00"),
                &format!("{closed}T12:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["reason"], "FACILITY_CLOSED");
}

#[tokio::test]
async fn who_may_book_is_enforced() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let (facility, _, _, manager) = bookable(&app, json!({})).await;
    let company = app
        .create_organisation(&coordinator, "COMPANY", "Yritys Oy", "Lahti")
        .await;
    let company_booker = app
        .member_token(&coordinator, &company, "myynti@example.fi", "BOOKER")
        .await;
    app.graphql(
        Some(&manager),
        "mutation($id: ID!, $input: FacilityInput!) { updateFacility(id: $id, input: $input) { id } }",
        json!({ "id": facility, "input": crate::helpers::facility_input(json!({ "whoMayBook": "NGOS_AND_PUBLIC", "capacity": 40, "rules": { "slotGranularityMinutes": 30, "approvalRequired": false } })) }),
    )
    .await;
    let day = day_ahead(10);
    let error = app
        .graphql_error(
            Some(&company_booker),
            CREATE,
            booking(
                &facility,
                &company,
                &format!("{day}T10:00"),
                &format!("{day}T12:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION");
    assert_eq!(error["extensions"]["reason"], "BOOKER_NOT_ALLOWED");
    // And nobody books in the name of an organisation they do not belong to.
    let ngo_booker = app.token_for("martta@example.fi", false).await;
    let error = app
        .graphql_error(
            Some(&ngo_booker),
            CREATE,
            booking(
                &facility,
                &company,
                &format!("{day}T10:00"),
                &format!("{day}T12:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn approval_flow_records_who_and_why() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) =
        bookable(&app, json!({ "approvalRequired": true })).await;
    let day = day_ahead(10);
    let first = app
        .graphql(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T10:00"),
                &format!("{day}T12:00"),
            ),
        )
        .await;
    let first = first["createBooking"]["id"].clone();
    let second = app
        .graphql(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T14:00"),
                &format!("{day}T16:00"),
            ),
        )
        .await;
    assert_eq!(second["createBooking"]["status"], "PENDING");
    let second = second["createBooking"]["id"].clone();

    // A pending booking already holds its time.
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T11:00"),
                &format!("{day}T13:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");

    let error = app
        .graphql_error(
            Some(&booker),
            "mutation($id: ID!) { approveBooking(id: $id) { status } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let approved = app
        .graphql(
            Some(&manager),
            "mutation($id: ID!) { approveBooking(id: $id) { status sequence } }",
            json!({ "id": first }),
        )
        .await;
    assert_eq!(
        approved["approveBooking"],
        json!({ "status": "CONFIRMED", "sequence": 1 })
    );

    let error = app
        .graphql_error(
            Some(&manager),
            "mutation($id: ID!) { rejectBooking(id: $id, reason: \"\") { status } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(error["extensions"]["field"], "reason");
    let rejected = app
        .graphql(Some(&manager), "mutation($id: ID!) { rejectBooking(id: $id, reason: \"Sali on remontissa\") { status statusReason } }", json!({ "id": second }))
        .await;
    assert_eq!(
        rejected["rejectBooking"],
        json!({ "status": "REJECTED", "statusReason": "Sali on remontissa" })
    );
    // Rejected time is free again; a rejected booking cannot be approved.
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &facility,
            &ngo,
            &format!("{day}T14:00"),
            &format!("{day}T16:00"),
        ),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&manager),
            "mutation($id: ID!) { approveBooking(id: $id) { status } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
}

#[tokio::test]
async fn bookers_cancel_within_the_notice_and_the_time_frees() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) =
        bookable(&app, json!({ "cancellationNoticeMinutes": 2880 })).await;
    let soon = day_ahead(1);
    let later = day_ahead(10);
    let near = app
        .graphql(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{soon}T22:00"),
                &format!("{soon}T23:00"),
            ),
        )
        .await;
    let far = app
        .graphql(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{later}T10:00"),
                &format!("{later}T12:00"),
            ),
        )
        .await;
    let cancel = "mutation($id: ID!) { cancelBooking(id: $id, reason: \"Sairastapaus\") { status statusReason } }";
    let error = app
        .graphql_error(
            Some(&booker),
            cancel,
            json!({ "id": near["createBooking"]["id"] }),
        )
        .await;
    assert_eq!(error["extensions"]["reason"], "CANCELLATION_TOO_LATE");
    let cancelled = app
        .graphql(
            Some(&booker),
            cancel,
            json!({ "id": far["createBooking"]["id"] }),
        )
        .await;
    assert_eq!(cancelled["cancelBooking"]["status"], "CANCELLED");
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &facility,
            &ngo,
            &format!("{later}T10:00"),
            &format!("{later}T12:00"),
        ),
    )
    .await;
}

#[tokio::test]
async fn a_repeated_client_key_returns_the_same_booking() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let mut request = booking(
        &facility,
        &ngo,
        &format!("{day}T10:00"),
        &format!("{day}T12:00"),
    );
    request["input"]["clientKey"] = json!("lomake-42");
    let requests = (0..8).map(|_| app.graphql_raw(Some(&booker), CREATE, request.clone()));
    let answers = join_all(requests).await;
    let ids: Vec<Value> = answers
        .iter()
        .map(|(_, body)| body["data"]["createBooking"]["id"].clone())
        .collect();
    assert!(
        ids.iter().all(|id| id.is_string() && *id == ids[0]),
        "{answers:?}"
    );
    let count = app
        .graphql(
            Some(&booker),
            "query($org: ID!) { bookings(filter: { organisationId: $org }) { totalCount } }",
            json!({ "org": ngo }),
        )
        .await;
    assert_eq!(count["bookings"]["totalCount"], 1);
    request["input"]["start"] = json!(format!("{day}T14:00"));
    request["input"]["end"] = json!(format!("{day}T15:00"));
    let error = app.graphql_error(Some(&booker), CREATE, request).await;
    assert_eq!(error["extensions"]["field"], "clientKey");
}

/// PostgreSQL checks the exclusion constraint after the insert, so two transactions
/// whose new holds overlap each other's could wait for each other until its deadlock
/// detector aborts one. Holds now queue for the units first; either way exactly one of
/// two transactions that want each other's time goes on, and the other hears `CONFLICT`,
/// not an internal error.
#[tokio::test]
async fn two_bookings_wanting_each_others_time_end_in_one_conflict() {
    use yhteistila::domain::{ids::FacilityId, time_range::TimeRange};
    use yhteistila::error::AppError;
    use yhteistila::service::{bookings::occupancy::hold, database::begin_write};

    let app = spawn_app().await;
    let db = app.state.db.clone();
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return; // SQLite's writers take turns: no two holds are ever inserted at once.
    }
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let mut ids = Vec::new();
    for hour in [8, 12] {
        let data = app
            .graphql(
                Some(&booker),
                CREATE,
                booking(
                    &facility,
                    &ngo,
                    &format!("{day}T{hour:02}:00"),
                    &format!("{day}T{:02}:00", hour + 1),
                ),
            )
            .await;
        ids.push(
            data["createBooking"]["id"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        );
    }
    let unit = [FacilityId(facility.parse().unwrap())];
    let at = |hour: u32, minute: u32| {
        day.succ_opt()
            .unwrap()
            .and_hms_opt(hour, minute, 0)
            .unwrap()
            .and_utc()
    };
    let range = |from: (u32, u32), until: (u32, u32)| {
        TimeRange::new(at(from.0, from.1), at(until.0, until.1)).unwrap()
    };
    // Each transaction holds an hour of its own and wants a part of the other's.
    let first = begin_write(&db).await.unwrap();
    hold(&first, ids[0], &unit, &range((10, 0), (11, 0)))
        .await
        .unwrap();
    let second = begin_write(&db).await.unwrap();
    let (second_id, own, wanted) = (ids[1], range((14, 0), (15, 0)), range((10, 30), (10, 45)));
    let waiting = tokio::spawn(async move {
        let mut result = hold(&second, second_id, &unit, &own).await;
        if result.is_ok() {
            result = hold(&second, second_id, &unit, &wanted).await;
        }
        (second, result)
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let first_result = hold(&first, ids[0], &unit, &range((14, 30), (14, 45))).await;
    first.commit().await.unwrap();
    let (second, second_result) = waiting.await.unwrap();
    let results = [&first_result, &second_result];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "one of them goes on: {results:?}"
    );
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(AppError::BookingConflict { .. }))),
        "the other lost the race: {results:?}"
    );
    second.rollback().await.unwrap();
}

async fn race(app: &TestApp, requests: Vec<Value>, token: &str) -> (usize, usize) {
    let calls = requests
        .into_iter()
        .map(|r| app.graphql_raw(Some(token), CREATE, r));
    let answers = join_all(calls).await;
    let ok = answers
        .iter()
        .filter(|(_, b)| b["data"]["createBooking"]["id"].is_string())
        .count();
    let conflicts = answers
        .iter()
        .filter(|(_, b)| b["errors"][0]["extensions"]["code"] == "CONFLICT")
        .count();
    (ok, conflicts)
}

#[tokio::test]
async fn sixty_four_racing_bookings_of_one_slot_give_one_booking() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let same = (0..64)
        .map(|_| {
            booking(
                &facility,
                &ngo,
                &format!("{day}T18:00"),
                &format!("{day}T20:00"),
            )
        })
        .collect();
    assert_eq!(race(&app, same, &booker).await, (1, 63));
    let overlapping = (0..64)
        .map(|i| {
            let start = 8 * 60 + (i % 8) * 30;
            let fmt = |m: i32| format!("{day}T{:02}:{:02}", m / 60, m % 60);
            booking(&facility, &ngo, &fmt(start), &fmt(start + 120))
        })
        .collect();
    // Two-hour ranges starting every half hour from 08:00 to 11:30: at most two of
    // them fit side by side (e.g. 08:00–10:00 and 10:00–12:00).
    let (ok, conflicts) = race(&app, overlapping, &booker).await;
    assert_eq!(ok + conflicts, 64);
    assert!((1..=2).contains(&ok), "{ok} bookings were let in");
    let bookings = app
        .graphql(Some(&booker), "query($org: ID!) { bookings(filter: { organisationId: $org, statuses: [CONFIRMED, PENDING] }, first: 100) { edges { node { time { start end } } } } }", json!({ "org": ngo }))
        .await;
    let mut ranges: Vec<(String, String)> = bookings["bookings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["time"]["start"].as_str().unwrap().to_string(),
                e["node"]["time"]["end"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ranges.sort();
    assert_eq!(ranges.len(), 1 + ok);
    for pair in ranges.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "overlapping bookings stored: {pair:?}"
        );
    }
}

#[tokio::test]
async fn bookings_committed_together_keep_every_free_slot_and_refuse_only_the_taken_ones() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let day = day_ahead(12);
    // Sixteen hours, each asked for three times at once: the writes meet in the same
    // commits, where a refused one must undo only itself.
    let requests = (0..48)
        .map(|i| {
            let hour = 6 + i % 16;
            booking(
                &facility,
                &ngo,
                &format!("{day}T{hour:02}:00"),
                &format!("{day}T{:02}:00", hour + 1),
            )
        })
        .collect();
    assert_eq!(race(&app, requests, &booker).await, (16, 32));
    let bookings = app
        .graphql(Some(&booker), "query($org: ID!) { bookings(filter: { organisationId: $org }, first: 100) { edges { node { status time { start } } } } }", json!({ "org": ngo }))
        .await;
    let mut starts: Vec<&str> = bookings["bookings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["node"]["status"], "CONFIRMED");
            e["node"]["time"]["start"].as_str().unwrap()
        })
        .collect();
    starts.sort();
    let stored = starts.len();
    starts.dedup();
    assert_eq!(
        (stored, starts.len()),
        (16, 16),
        "one booking per hour: {starts:?}"
    );
    let free = app
        .graphql(Some(&booker), "query($id: ID!, $from: String!, $to: String!) { facilityAvailability(facilityId: $id, from: $from, to: $to) { startLocal endLocal } }", json!({ "id": facility, "from": format!("{day}T06:00"), "to": format!("{day}T22:00") }))
        .await;
    assert_eq!(
        free["facilityAvailability"],
        json!([]),
        "every hour is held"
    );
}

#[tokio::test]
async fn booking_the_whole_holds_its_parts_and_a_part_holds_the_whole() {
    let app = spawn_app().await;
    let (gym, ngo, booker, manager) = bookable(&app, json!({})).await;
    let town = app
        .graphql(
            None,
            "query($id: ID!) { facility(id: $id) { owner { id } } }",
            json!({ "id": gym }),
        )
        .await["facility"]["owner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let part = |name: &str| json!({ "owner": town, "part": gym, "input": crate::helpers::facility_input(json!({ "name": { "fi": name }, "capacity": 40, "rules": { "slotGranularityMinutes": 30, "approvalRequired": false } })) });
    let create_part = "mutation($owner: ID!, $part: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input, partOfId: $part) { id partOf { id } } }";
    let day = day_ahead(10);
    // A booking of the whole made before the parts existed holds the new parts too.
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&gym, &ngo, &format!("{day}T08:00"), &format!("{day}T09:00")),
    )
    .await;
    let east = app
        .graphql(Some(&manager), create_part, part("Itäpääty"))
        .await["createFacility"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let west = app
        .graphql(Some(&manager), create_part, part("Länsipääty"))
        .await["createFacility"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [&east, &west] {
        app.open_daily(&manager, id, "00:00", "24:00").await;
    }
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &east,
                &ngo,
                &format!("{day}T08:30"),
                &format!("{day}T09:30"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");

    // Both halves at once are fine; then the whole is taken.
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &east,
            &ngo,
            &format!("{day}T18:00"),
            &format!("{day}T20:00"),
        ),
    )
    .await;
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &west,
            &ngo,
            &format!("{day}T18:00"),
            &format!("{day}T20:00"),
        ),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(&gym, &ngo, &format!("{day}T19:00"), &format!("{day}T21:00")),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    // Booking the whole blocks each part.
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&gym, &ngo, &format!("{day}T10:00"), &format!("{day}T12:00")),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &west,
                &ngo,
                &format!("{day}T11:00"),
                &format!("{day}T11:30"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    let parts = app
        .graphql(
            None,
            "query($id: ID!) { facility(id: $id) { parts { id } } }",
            json!({ "id": gym }),
        )
        .await;
    assert_eq!(parts["facility"]["parts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn quotas_cap_an_organisations_bookings_even_when_racing() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) =
        bookable(&app, json!({ "maxFutureBookingsPerOrganisation": 3 })).await;
    let requests = (0..12)
        .map(|i| {
            let day = day_ahead(10 + i);
            booking(
                &facility,
                &ngo,
                &format!("{day}T10:00"),
                &format!("{day}T12:00"),
            )
        })
        .collect::<Vec<_>>();
    let calls = requests
        .into_iter()
        .map(|r| app.graphql_raw(Some(&booker), CREATE, r));
    let answers = join_all(calls).await;
    let ok = answers
        .iter()
        .filter(|(_, b)| b["data"]["createBooking"]["id"].is_string())
        .count();
    let over = answers
        .iter()
        .filter(|(_, b)| b["errors"][0]["extensions"]["reason"] == "QUOTA_EXCEEDED")
        .count();
    assert_eq!((ok, over), (3, 9));
}

#[tokio::test]
async fn availability_subtracts_bookings_with_buffers_in_local_time() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) =
        bookable(&app, json!({ "bufferBeforeMinutes": 30 })).await;
    app.open_daily(&manager, &facility, "08:00", "21:00").await;
    let day = day_ahead(10);
    app.graphql(
        Some(&booker),
        CREATE,
        booking(
            &facility,
            &ngo,
            &format!("{day}T12:00"),
            &format!("{day}T14:00"),
        ),
    )
    .await;
    let free = app
        .graphql(None, "query($id: ID!, $from: String!, $to: String!) { facilityAvailability(facilityId: $id, from: $from, to: $to) { startLocal endLocal } }",
            json!({ "id": facility, "from": format!("{day}T00:00"), "to": format!("{}T00:00", day + Days::new(1)) }))
        .await;
    let slots: Vec<(String, String)> = free["facilityAvailability"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["startLocal"].as_str().unwrap()[11..16].to_string(),
                s["endLocal"].as_str().unwrap()[11..16].to_string(),
            )
        })
        .collect();
    assert_eq!(
        slots,
        vec![
            ("08:00".into(), "11:30".into()),
            ("14:00".into(), "21:00".into())
        ]
    );
}

#[tokio::test]
async fn approving_a_pending_booking_does_not_count_it_against_the_quota() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) = bookable(
        &app,
        json!({ "approvalRequired": true, "maxFutureBookingsPerOrganisation": 2 }),
    )
    .await;
    let mut ids = Vec::new();
    for days in [10, 11] {
        let day = day_ahead(days);
        let data = app
            .graphql(
                Some(&booker),
                CREATE,
                booking(
                    &facility,
                    &ngo,
                    &format!("{day}T10:00"),
                    &format!("{day}T12:00"),
                ),
            )
            .await;
        ids.push(data["createBooking"]["id"].clone());
    }
    let day = day_ahead(12);
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE,
            booking(
                &facility,
                &ngo,
                &format!("{day}T10:00"),
                &format!("{day}T12:00"),
            ),
        )
        .await;
    assert_eq!(error["extensions"]["reason"], "QUOTA_EXCEEDED");
    for id in ids {
        let approved = app
            .graphql(
                Some(&manager),
                "mutation($id: ID!) { approveBooking(id: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(approved["approveBooking"]["status"], "CONFIRMED");
    }
}

#[tokio::test]
async fn a_booking_is_checked_against_the_facilitys_rules_as_they_are_now() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let evening = |from: &str, to: &str| {
        booking(
            &facility,
            &ngo,
            &format!("{day}{from}"),
            &format!("{day}{to}"),
        )
    };
    app.graphql(Some(&booker), CREATE, evening("T18:00", "T19:00"))
        .await;
    // The hall now closes at 16 every day: the next booking of the evening is refused.
    app.open_daily(&manager, &facility, "08:00", "16:00").await;
    let error = app
        .graphql_error(Some(&booker), CREATE, evening("T19:00", "T20:00"))
        .await;
    assert_eq!(
        error["extensions"]["reason"], "OUTSIDE_OPENING_HOURS",
        "{error}"
    );
    // A closure of the day, likewise.
    app.graphql(
        Some(&manager),
        "mutation($id: ID!, $exceptions: [DateExceptionInput!]!) { setDateExceptions(facilityId: $id, exceptions: $exceptions) { id } }",
        json!({ "id": facility, "exceptions": [{ "firstDay": day.to_string(), "lastDay": day.to_string(), "closed": true }] }),
    )
    .await;
    let error = app
        .graphql_error(Some(&booker), CREATE, evening("T10:00", "T11:00"))
        .await;
    assert_eq!(error["extensions"]["reason"], "FACILITY_CLOSED", "{error}");
}
