//! Recurring bookings over HTTP: wall-clock expansion across clock changes, dry runs,
//! all or nothing, skipping conflicts, racing single bookings, cancelling and moving.
use chrono::{Days, NaiveDate};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::bookings::{bookable, booking, day_ahead};
use crate::helpers::{TestApp, spawn_app};

const CREATE_SERIES: &str = "mutation($input: CreateBookingSeriesInput!) { createBookingSeries(input: $input) {
    series { id rule facility { id } organisation { id } }
    occurrences { recurrenceId status time { start end startLocal endLocal } problems { reason field message } booking { id status } }
    bookedCount skippedCount excludedCount } }";

const CREATE: &str = "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id time { start end } } }";

const MOVE: &str = "mutation($id: ID!, $start: String!, $end: String!) { moveBooking(id: $id, start: $start, end: $end) { id status sequence seriesId recurrenceId time { start end startLocal } } }";

const CANCEL_SERIES: &str = "mutation($id: ID!, $scope: SeriesScope!, $from: ID, $reason: String) {
    cancelBookingSeries(seriesId: $id, scope: $scope, fromBookingId: $from, reason: $reason) {
        cancelled { id status } kept { booking { id } reason } } }";

const SERIES_BOOKINGS: &str = "query($id: ID!) { bookingSeries(id: $id) { rule bookings { id status sequence time { start end } } } }";

fn series(facility: &str, organisation: &str, start: &str, end: &str, rrule: &str) -> Value {
    json!({ "input": { "facilityId": facility, "organisationId": organisation, "start": start,
        "end": end, "rrule": rrule, "title": "Vertaisryhmä" } })
}

fn with(mut request: Value, key: &str, value: Value) -> Value {
    request["input"][key] = value;
    request
}

fn statuses(result: &Value) -> Vec<String> {
    result["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| o["status"].as_str().expect("status").to_string())
        .collect()
}

fn starts(result: &Value) -> Vec<String> {
    result["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| o["time"]["start"].as_str().expect("start").to_string())
        .collect()
}

/// The blocking bookings of `organisation` as sorted (start, end) pairs, checked not to overlap.
async fn blocking(app: &TestApp, token: &str, organisation: &str) -> Vec<(String, String)> {
    let data = app
        .graphql(
            Some(token),
            "query($org: ID!) { bookings(filter: { organisationId: $org, statuses: [CONFIRMED, PENDING] }, first: 100) { totalCount edges { node { time { start end } } } } }",
            json!({ "org": organisation }),
        )
        .await;
    let mut ranges: Vec<(String, String)> = data["bookings"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["node"]["time"]["start"]
                    .as_str()
                    .expect("start")
                    .to_string(),
                e["node"]["time"]["end"].as_str().expect("end").to_string(),
            )
        })
        .collect();
    assert_eq!(data["bookings"]["totalCount"], ranges.len());
    ranges.sort();
    for pair in ranges.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "overlapping bookings stored: {pair:?}"
        );
    }
    ranges
}

async fn booking_count(app: &TestApp, token: &str, organisation: &str) -> u64 {
    let data = app
        .graphql(
            Some(token),
            "query($org: ID!) { bookings(filter: { organisationId: $org }) { totalCount } }",
            json!({ "org": organisation }),
        )
        .await;
    data["bookings"]["totalCount"].as_u64().expect("count")
}

fn at(day: NaiveDate, time: &str) -> String {
    format!("{day}T{time}")
}

#[tokio::test]
async fn weekly_evenings_stay_at_six_through_both_clock_changes() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let autumn = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            series(
                &facility,
                &ngo,
                "2027-10-05T18:00",
                "2027-10-05T20:00",
                "freq=weekly;byday=tu;until=20271110T000000Z",
            ),
        )
        .await;
    let autumn = &autumn["createBookingSeries"];
    assert_eq!(
        autumn["series"]["rule"],
        "FREQ=WEEKLY;BYDAY=TU;UNTIL=20271110T000000Z"
    );
    assert_eq!(autumn["series"]["facility"]["id"], facility.as_str());
    assert_eq!(autumn["series"]["organisation"]["id"], ngo.as_str());
    assert_eq!(
        starts(autumn),
        [
            "2027-10-05T15:00:00+00:00",
            "2027-10-12T15:00:00+00:00",
            "2027-10-19T15:00:00+00:00",
            "2027-10-26T15:00:00+00:00",
            "2027-11-02T16:00:00+00:00",
            "2027-11-09T16:00:00+00:00",
        ]
    );
    assert_eq!(autumn["bookedCount"], 6);
    assert_eq!(autumn["skippedCount"], 0);
    for occurrence in autumn["occurrences"].as_array().unwrap() {
        assert_eq!(occurrence["status"], "BOOKED");
        assert_eq!(occurrence["booking"]["status"], "CONFIRMED");
        let local = occurrence["time"]["startLocal"].as_str().unwrap();
        assert_eq!(&local[10..19], "T18:00:00", "{local}");
        assert_eq!(
            &occurrence["time"]["endLocal"].as_str().unwrap()[10..19],
            "T20:00:00"
        );
        assert_eq!(
            occurrence["recurrenceId"].as_str().unwrap(),
            &local[..19],
            "the recurrence id is the local start"
        );
    }

    let spring = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            series(
                &facility,
                &ngo,
                "2027-03-16T18:00",
                "2027-03-16T20:00",
                "FREQ=WEEKLY;COUNT=4",
            ),
        )
        .await;
    assert_eq!(
        starts(&spring["createBookingSeries"]),
        [
            "2027-03-16T16:00:00+00:00",
            "2027-03-23T16:00:00+00:00",
            "2027-03-30T15:00:00+00:00",
            "2027-04-06T15:00:00+00:00",
        ]
    );
    assert_eq!(blocking(&app, &booker, &ngo).await.len(), 10);
}

#[tokio::test]
async fn dry_run_all_or_nothing_and_skipping_conflicts() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let first = day_ahead(7);
    let taken = first + Days::new(14);
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, &at(taken, "19:00"), &at(taken, "21:00")),
    )
    .await;
    let request = series(
        &facility,
        &ngo,
        &at(first, "18:00"),
        &at(first, "20:00"),
        "FREQ=WEEKLY;COUNT=4",
    );

    let dry = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            with(request.clone(), "dryRun", json!(true)),
        )
        .await;
    let dry = &dry["createBookingSeries"];
    assert_eq!(dry["series"], Value::Null);
    assert_eq!(
        statuses(dry),
        ["WOULD_BOOK", "WOULD_BOOK", "CONFLICT", "WOULD_BOOK"]
    );
    assert_eq!(dry["occurrences"][2]["problems"][0]["reason"], "TIME_TAKEN");
    assert_eq!(dry["occurrences"][0]["booking"], Value::Null);
    assert_eq!(
        (&dry["bookedCount"], &dry["skippedCount"]),
        (&json!(3), &json!(1))
    );
    assert_eq!(
        booking_count(&app, &booker, &ngo).await,
        1,
        "a dry run writes nothing"
    );

    let error = app
        .graphql_error(Some(&booker), CREATE_SERIES, request.clone())
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT", "{error}");
    let at_fault = error["extensions"]["occurrences"].as_array().unwrap();
    assert_eq!(at_fault.len(), 1);
    assert_eq!(at_fault[0]["recurrenceId"], format!("{taken}T18:00:00"));
    assert_eq!(at_fault[0]["status"], "CONFLICT");
    assert_eq!(
        error["extensions"]["conflicts"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        booking_count(&app, &booker, &ngo).await,
        1,
        "all or nothing"
    );

    let skipped = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            with(request, "skipConflicts", json!(true)),
        )
        .await;
    let skipped = &skipped["createBookingSeries"];
    assert!(skipped["series"]["id"].is_string());
    assert_eq!(
        statuses(skipped),
        ["BOOKED", "BOOKED", "CONFLICT", "BOOKED"]
    );
    assert_eq!(skipped["occurrences"][2]["booking"], Value::Null);
    assert_eq!(
        (&skipped["bookedCount"], &skipped["skippedCount"]),
        (&json!(3), &json!(1))
    );
    let series_id = skipped["series"]["id"].clone();
    let stored = app
        .graphql(Some(&booker), SERIES_BOOKINGS, json!({ "id": series_id }))
        .await;
    assert_eq!(
        stored["bookingSeries"]["bookings"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(blocking(&app, &booker, &ngo).await.len(), 4);
}

#[tokio::test]
async fn rule_violations_are_validation_errors_and_can_be_skipped() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({ "maxAdvanceDays": 20 })).await;
    let first = day_ahead(7);
    let request = series(
        &facility,
        &ngo,
        &at(first, "18:00"),
        &at(first, "20:00"),
        "FREQ=WEEKLY;COUNT=3",
    );
    let error = app
        .graphql_error(Some(&booker), CREATE_SERIES, request.clone())
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    assert_eq!(error["extensions"]["reason"], "TOO_FAR_IN_ADVANCE");
    let at_fault = error["extensions"]["occurrences"].as_array().unwrap();
    assert_eq!(at_fault.len(), 1);
    assert_eq!(at_fault[0]["status"], "RULE_VIOLATION");
    assert_eq!(booking_count(&app, &booker, &ngo).await, 0);
    let skipped = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            with(request, "skipConflicts", json!(true)),
        )
        .await;
    assert_eq!(
        statuses(&skipped["createBookingSeries"]),
        ["BOOKED", "BOOKED", "RULE_VIOLATION"]
    );
}

#[tokio::test]
async fn exception_dates_and_the_spring_gap_are_reported() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let first = day_ahead(7);
    let skip = first + Days::new(7);
    let excluded = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            with(
                series(
                    &facility,
                    &ngo,
                    &at(first, "10:00"),
                    &at(first, "11:00"),
                    "FREQ=WEEKLY;COUNT=4",
                ),
                "exceptionDates",
                json!([skip.to_string()]),
            ),
        )
        .await;
    let excluded = &excluded["createBookingSeries"];
    assert_eq!(
        statuses(excluded),
        ["BOOKED", "EXCLUDED", "BOOKED", "BOOKED"]
    );
    assert_eq!(excluded["excludedCount"], 1);
    assert_eq!(excluded["occurrences"][1]["booking"], Value::Null);
    let held = blocking(&app, &booker, &ngo).await;
    assert_eq!(held.len(), 3);
    assert!(
        !held
            .iter()
            .any(|(start, _)| start.starts_with(&skip.to_string()))
    );

    // The last Sunday of March 2027 has no 03:30 in Helsinki: reported, never moved.
    let gap = series(
        &facility,
        &ngo,
        "2027-01-31T03:30",
        "2027-01-31T04:30",
        "FREQ=MONTHLY;BYDAY=-1SU;COUNT=4",
    );
    let error = app
        .graphql_error(Some(&booker), CREATE_SERIES, gap.clone())
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    assert_eq!(error["extensions"]["reason"], "NONEXISTENT_LOCAL_TIME");
    assert_eq!(
        error["extensions"]["occurrences"][0]["recurrenceId"],
        "2027-03-28T03:30:00"
    );
    let dry = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            with(gap, "dryRun", json!(true)),
        )
        .await;
    let dry = &dry["createBookingSeries"];
    assert_eq!(
        statuses(dry),
        [
            "WOULD_BOOK",
            "WOULD_BOOK",
            "NONEXISTENT_LOCAL_TIME",
            "WOULD_BOOK"
        ]
    );
    let march = &dry["occurrences"][2];
    assert_eq!(march["recurrenceId"], "2027-03-28T03:30:00");
    assert_eq!(march["time"], Value::Null);
    assert_eq!(march["problems"][0]["reason"], "NONEXISTENT_LOCAL_TIME");
    assert_eq!(
        dry["occurrences"][3]["time"]["startLocal"],
        "2027-04-25T03:30:00+03:00"
    );
}

#[tokio::test]
async fn a_series_racing_single_bookings_never_double_books() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let first = day_ahead(30);
    let request = series(
        &facility,
        &ngo,
        &at(first, "10:00"),
        &at(first, "11:00"),
        "FREQ=DAILY;COUNT=20",
    );
    let singles = (0..20u64).map(|i| {
        let day = first + Days::new(i);
        app.graphql_raw(
            Some(&booker),
            CREATE,
            booking(&facility, &ngo, &at(day, "10:30"), &at(day, "11:30")),
        )
    });
    let ((_, series_answer), answers) = tokio::join!(
        app.graphql_raw(Some(&booker), CREATE_SERIES, request),
        join_all(singles)
    );
    let singles_ok = answers
        .iter()
        .filter(|(_, b)| b["data"]["createBooking"]["id"].is_string())
        .count();
    let singles_conflict = answers
        .iter()
        .filter(|(_, b)| b["errors"][0]["extensions"]["code"] == "CONFLICT")
        .count();
    assert_eq!(singles_ok + singles_conflict, 20, "{answers:?}");
    let held = blocking(&app, &booker, &ngo).await;
    if series_answer["data"]["createBookingSeries"]["series"]["id"].is_string() {
        assert_eq!(
            series_answer["data"]["createBookingSeries"]["bookedCount"],
            20
        );
        assert_eq!((singles_ok, singles_conflict), (0, 20));
    } else {
        assert_eq!(
            series_answer["errors"][0]["extensions"]["code"], "CONFLICT",
            "{series_answer}"
        );
        assert_eq!((singles_ok, singles_conflict), (20, 0));
    }
    assert_eq!(held.len(), 20);
}

#[tokio::test]
async fn cancelling_this_and_following_then_the_whole_series() {
    let app = spawn_app().await;
    let (facility, ngo, booker, manager) = bookable(&app, json!({})).await;
    let first = day_ahead(7);
    let created = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            series(
                &facility,
                &ngo,
                &at(first, "18:00"),
                &at(first, "20:00"),
                "FREQ=WEEKLY;COUNT=5",
            ),
        )
        .await;
    let created = &created["createBookingSeries"];
    let id = created["series"]["id"].clone();
    let third = created["occurrences"][2]["booking"]["id"].clone();

    let error = app
        .graphql_error(
            Some(&booker),
            CANCEL_SERIES,
            json!({ "id": id, "scope": "THIS_AND_FOLLOWING" }),
        )
        .await;
    assert_eq!(error["extensions"]["field"], "fromBookingId");
    let done = app
        .graphql(
            Some(&booker),
            CANCEL_SERIES,
            json!({ "id": id, "scope": "THIS_AND_FOLLOWING", "from": third }),
        )
        .await;
    assert_eq!(
        done["cancelBookingSeries"]["cancelled"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let stored = app
        .graphql(Some(&booker), SERIES_BOOKINGS, json!({ "id": id }))
        .await;
    let stored: Vec<&str> = stored["bookingSeries"]["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        stored,
        [
            "CONFIRMED",
            "CONFIRMED",
            "CANCELLED",
            "CANCELLED",
            "CANCELLED"
        ]
    );
    // The freed time can be booked again.
    let freed = first + Days::new(14);
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, &at(freed, "18:00"), &at(freed, "20:00")),
    )
    .await;

    // A manager cancelling someone else's series says why.
    let error = app
        .graphql_error(
            Some(&manager),
            CANCEL_SERIES,
            json!({ "id": id, "scope": "WHOLE_SERIES" }),
        )
        .await;
    assert_eq!(error["extensions"]["reason"], "REASON_REQUIRED");
    let done = app
        .graphql(
            Some(&manager),
            CANCEL_SERIES,
            json!({ "id": id, "scope": "WHOLE_SERIES", "reason": "Remontti" }),
        )
        .await;
    assert_eq!(
        done["cancelBookingSeries"]["cancelled"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(blocking(&app, &booker, &ngo).await.len(), 1);
}

#[tokio::test]
async fn bookers_cancel_a_series_within_the_notice_only() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) =
        bookable(&app, json!({ "cancellationNoticeMinutes": 2880 })).await;
    let first = day_ahead(1);
    let created = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            series(
                &facility,
                &ngo,
                &at(first, "22:00"),
                &at(first, "23:00"),
                "FREQ=WEEKLY;COUNT=3",
            ),
        )
        .await;
    let created = &created["createBookingSeries"];
    let done = app
        .graphql(
            Some(&booker),
            CANCEL_SERIES,
            json!({ "id": created["series"]["id"], "scope": "WHOLE_SERIES" }),
        )
        .await;
    let done = &done["cancelBookingSeries"];
    assert_eq!(done["cancelled"].as_array().unwrap().len(), 2);
    assert_eq!(done["kept"][0]["reason"], "CANCELLATION_TOO_LATE");
    assert_eq!(
        done["kept"][0]["booking"]["id"],
        created["occurrences"][0]["booking"]["id"]
    );
}

#[tokio::test]
async fn moving_an_occurrence_is_conflict_checked() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let first = day_ahead(7);
    let created = app
        .graphql(
            Some(&booker),
            CREATE_SERIES,
            series(
                &facility,
                &ngo,
                &at(first, "18:00"),
                &at(first, "20:00"),
                "FREQ=WEEKLY;COUNT=3",
            ),
        )
        .await;
    let created = &created["createBookingSeries"];
    let series_id = created["series"]["id"].clone();
    let occurrence = created["occurrences"][0]["booking"]["id"].clone();
    let before = created["occurrences"][0]["time"].clone();
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, &at(first, "10:00"), &at(first, "12:00")),
    )
    .await;

    // Onto a taken slot, or onto the next occurrence: CONFLICT, and nothing changes.
    let second = first + Days::new(7);
    for (start, end) in [
        (at(first, "11:00"), at(first, "13:00")),
        (at(second, "17:00"), at(second, "19:00")),
    ] {
        let error = app
            .graphql_error(
                Some(&booker),
                MOVE,
                json!({ "id": occurrence, "start": start, "end": end }),
            )
            .await;
        assert_eq!(error["extensions"]["code"], "CONFLICT", "{error}");
    }
    let stored = app
        .graphql(Some(&booker), SERIES_BOOKINGS, json!({ "id": series_id }))
        .await;
    let unchanged = &stored["bookingSeries"]["bookings"][0];
    assert_eq!(unchanged["id"], occurrence);
    assert_eq!(unchanged["sequence"], 0);
    assert_eq!(unchanged["time"]["start"], before["start"]);

    // Overlapping its own old time is fine; the rest of the old time is free again.
    let moved = app
        .graphql(
            Some(&booker),
            MOVE,
            json!({ "id": occurrence, "start": at(first, "19:00"), "end": at(first, "21:00") }),
        )
        .await;
    let moved = &moved["moveBooking"];
    assert_eq!(moved["status"], "CONFIRMED");
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["seriesId"], series_id);
    assert_eq!(
        moved["recurrenceId"],
        format!("{}:00", at(first, "18:00")),
        "the occurrence keeps its recurrence id when moved"
    );
    assert_eq!(
        &moved["time"]["startLocal"].as_str().unwrap()[10..16],
        "T19:00"
    );
    app.graphql(
        Some(&booker),
        CREATE,
        booking(&facility, &ngo, &at(first, "18:00"), &at(first, "19:00")),
    )
    .await;
    let stored = app
        .graphql(Some(&booker), SERIES_BOOKINGS, json!({ "id": series_id }))
        .await;
    assert_eq!(
        stored["bookingSeries"]["bookings"][0]["id"], occurrence,
        "a moved occurrence stays in its series"
    );
    assert_eq!(blocking(&app, &booker, &ngo).await.len(), 5);
}

#[tokio::test]
async fn series_past_the_caps_or_overlapping_themselves_are_refused() {
    let app = spawn_app().await;
    let (facility, ngo, booker, _) = bookable(&app, json!({})).await;
    let first = day_ahead(7);
    let until_far = (first + Days::new(800))
        .format("%Y%m%dT000000Z")
        .to_string();
    for (rrule, reason) in [
        ("FREQ=DAILY;COUNT=501".to_string(), "SERIES_TOO_LONG"),
        (format!("FREQ=WEEKLY;UNTIL={until_far}"), "SERIES_TOO_LONG"),
        ("FREQ=WEEKLY".to_string(), "SERIES_UNBOUNDED"),
        ("FREQ=YEARLY;COUNT=2".to_string(), "UNSUPPORTED_RECURRENCE"),
    ] {
        let error = app
            .graphql_error(
                Some(&booker),
                CREATE_SERIES,
                series(
                    &facility,
                    &ngo,
                    &at(first, "10:00"),
                    &at(first, "11:00"),
                    &rrule,
                ),
            )
            .await;
        assert_eq!(
            error["extensions"]["code"], "VALIDATION",
            "{rrule}: {error}"
        );
        assert_eq!(error["extensions"]["reason"], reason, "{rrule}: {error}");
        assert_eq!(
            error["extensions"]["field"], "input.rrule",
            "{rrule}: {error}"
        );
    }
    let next = first + Days::new(1);
    let error = app
        .graphql_error(
            Some(&booker),
            CREATE_SERIES,
            series(
                &facility,
                &ngo,
                &at(first, "18:00"),
                &at(next, "20:00"),
                "FREQ=DAILY;COUNT=3",
            ),
        )
        .await;
    assert_eq!(
        error["extensions"]["reason"], "SERIES_OVERLAPS_ITSELF",
        "{error}"
    );
    assert_eq!(error["extensions"]["field"], "input.end");
    assert_eq!(booking_count(&app, &booker, &ngo).await, 0);
}
