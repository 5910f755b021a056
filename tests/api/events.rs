//! Events over HTTP: co-hosting, the public listing, changes and their bookings.
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::bookings::{bookable, day_ahead};
use crate::helpers::{TestApp, spawn_app};

const CREATE: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id slug url sequence status publication time { start end startLocal } occurrences { id recurrenceId status time { start startLocal endLocal } } bookings { id status title } } }";

const LIST: &str = "query($filter: EventFilterInput, $first: Int, $after: String) { events(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id title { fi sv } status statusReason themes targetGroups isFree organiser { name { fi } } cohosts { status organisation { name { fi } } } venues { name { fi } } municipality { nameFi } accessibility bookings { id } } } } }";

/// Event details with `extra` merged over a valid default.
fn details(title: &str, extra: Value) -> Value {
    let mut details = json!({
        "title": { "fi": title },
        "summary": { "fi": "Tervetuloa mukaan!" },
        "themes": ["PARTICIPATION_AND_COMMUNITY"],
        "targetGroups": ["OLDER_PEOPLE_AND_FAMILY_CARERS"],
        "isFree": true
    });
    if let (Some(base), Value::Object(extra)) = (details.as_object_mut(), extra) {
        base.extend(extra);
    }
    details
}

fn at(day: NaiveDate, time: &str) -> String {
    format!("{day}T{time}")
}

/// A published event of `organiser` in `facility` on `day` 18–20.
fn in_facility(organiser: &str, facility: &str, day: NaiveDate, title: &str) -> Value {
    json!({ "input": {
        "organiserId": organiser,
        "start": at(day, "18:00"), "end": at(day, "20:00"),
        "venues": [{ "facilityId": facility, "attendees": 30 }],
        "publish": true,
        "details": details(title, json!({}))
    } })
}

async fn create(app: &TestApp, token: &str, variables: Value) -> Value {
    app.graphql(Some(token), CREATE, variables).await["createEvent"].clone()
}

async fn list(app: &TestApp, token: Option<&str>, filter: Value) -> Value {
    app.graphql(token, LIST, json!({ "filter": filter })).await["events"].clone()
}

fn titles(listing: &Value) -> Vec<String> {
    listing["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            e["node"]["title"]["fi"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// Admins of two more organisations: another NGO and a parish. Returns their ids and tokens.
async fn partners(app: &TestApp) -> ((String, String), (String, String)) {
    let coordinator = app.coordinator().await;
    let ngo = app
        .create_organisation(&coordinator, "NGO", "Lahden Omaishoitajat", "Lahti")
        .await;
    let ngo_admin = app
        .member_token(&coordinator, &ngo, "omaishoitajat@example.fi", "ADMIN")
        .await;
    let parish = app
        .create_organisation(
            &coordinator,
            "RELIGIOUS_COMMUNITY",
            "Lahden seurakuntayhtymä",
            "Lahti",
        )
        .await;
    let parish_admin = app
        .member_token(&coordinator, &parish, "seurakunta@example.fi", "ADMIN")
        .await;
    ((ngo, ngo_admin), (parish, parish_admin))
}

const INVITE: &str =
    "mutation($e: ID!, $o: ID!) { inviteCohost(eventId: $e, organisationId: $o) { status } }";
const ANSWER: &str = "mutation($e: ID!, $o: ID!, $a: Boolean!) { answerCohostInvitation(eventId: $e, organisationId: $o, accept: $a) { status respondedAt } }";

#[tokio::test]
async fn two_ngos_and_a_parish_co_host_an_event_in_a_municipal_hall() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let ((carers, carers_admin), (parish, parish_admin)) = partners(&app).await;
    let day = day_ahead(20);
    let event = create(
        &app,
        &martta,
        in_facility(&martat, &hall, day, "Omaishoitajien ilta"),
    )
    .await;
    let id = event["id"].as_str().expect("id").to_string();
    assert_eq!(event["status"], "SCHEDULED");
    assert_eq!(event["bookings"][0]["status"], "CONFIRMED");
    assert_eq!(event["bookings"][0]["title"], "Omaishoitajien ilta");
    assert_eq!(
        event["time"]["startLocal"],
        format!(
            "{}T18:00:00+0{}:00",
            day,
            if is_summer(day) { 3 } else { 2 }
        )
    );
    assert!(event["url"].as_str().expect("url").ends_with(&format!(
        "/events/{}",
        event["slug"].as_str().expect("slug")
    )));
    assert!(
        event["slug"]
            .as_str()
            .expect("slug")
            .starts_with("omaishoitajien-ilta-")
    );

    for organisation in [&carers, &parish] {
        let invited = app
            .graphql(Some(&martta), INVITE, json!({ "e": id, "o": organisation }))
            .await;
        assert_eq!(invited["inviteCohost"]["status"], "INVITED");
    }
    // Until they answer, the public sees no co-hosts.
    let listing = list(&app, None, json!({ "municipality": "Lahti" })).await;
    assert_eq!(listing["edges"][0]["node"]["cohosts"], json!([]));

    for (organisation, admin) in [(&carers, &carers_admin), (&parish, &parish_admin)] {
        let answer = app
            .graphql(
                Some(admin),
                ANSWER,
                json!({ "e": id, "o": organisation, "a": true }),
            )
            .await;
        assert_eq!(answer["answerCohostInvitation"]["status"], "ACCEPTED");
    }

    let listing = list(
        &app,
        None,
        json!({ "municipality": "Lahti", "themes": ["PARTICIPATION_AND_COMMUNITY"] }),
    )
    .await;
    assert_eq!(listing["totalCount"], 1);
    let node = &listing["edges"][0]["node"];
    assert_eq!(node["title"]["fi"], "Omaishoitajien ilta");
    assert_eq!(node["organiser"]["name"]["fi"], "Lahden Martat");
    let cohosts: Vec<&str> = node["cohosts"]
        .as_array()
        .expect("cohosts")
        .iter()
        .map(|c| c["organisation"]["name"]["fi"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(cohosts, ["Lahden Omaishoitajat", "Lahden seurakuntayhtymä"]);
    assert_eq!(node["venues"][0]["name"]["fi"], "Kerhohuone");
    assert_eq!(node["municipality"]["nameFi"], "Lahti");
    assert_eq!(node["themes"], json!(["PARTICIPATION_AND_COMMUNITY"]));
    assert_eq!(
        node["targetGroups"],
        json!(["OLDER_PEOPLE_AND_FAMILY_CARERS"])
    );
    // The public never sees the venue bookings; a co-host's member does.
    assert_eq!(node["bookings"], Value::Null);
    let seen = app
        .graphql(
            Some(&parish_admin),
            "query($id: ID!) { event(id: $id) { bookings { id contactName notes } sequence } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(seen["event"]["bookings"].as_array().map(Vec::len), Some(1));
    // Each acceptance changed what calendars show: the co-organisers.
    assert_eq!(seen["event"]["sequence"], 2);
    // Other themes and other municipalities do not list it.
    let other = list(&app, None, json!({ "themes": ["EVERYDAY_SAFETY"] })).await;
    assert_eq!(other["totalCount"], 0);
    let elsewhere = list(&app, None, json!({ "municipality": "Hollola" })).await;
    assert_eq!(elsewhere["totalCount"], 0);
    // Filtering by a co-host lists it too.
    let by_parish = list(&app, None, json!({ "organisationId": parish })).await;
    assert_eq!(titles(&by_parish), ["Omaishoitajien ilta"]);
}

fn is_summer(day: NaiveDate) -> bool {
    use chrono::TimeZone;
    let noon = day.and_hms_opt(12, 0, 0).expect("noon");
    chrono_tz::Europe::Helsinki
        .from_local_datetime(&noon)
        .single()
        .map(|t| t.format("%z").to_string() == "+0300")
        .unwrap_or(false)
}

#[tokio::test]
async fn an_event_whose_booking_conflicts_is_not_created() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let day = day_ahead(12);
    app.graphql(
        Some(&martta),
        "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }",
        crate::bookings::booking(&hall, &martat, &at(day, "19:00"), &at(day, "21:00")),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&martta),
            CREATE,
            in_facility(&martat, &hall, day, "Päällekkäin"),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT", "{error}");
    assert_eq!(
        error["extensions"]["conflicts"].as_array().map(Vec::len),
        Some(1)
    );
    // Nothing of the event was written, not even a draft.
    let own = list(
        &app,
        Some(&martta),
        json!({ "organisationId": martat, "includeUnpublished": true }),
    )
    .await;
    assert_eq!(own["totalCount"], 0);
    // A rule of the facility (capacity) likewise refuses the event.
    let mut too_many = in_facility(&martat, &hall, day_ahead(13), "Liian iso");
    too_many["input"]["venues"][0]["attendees"] = json!(500);
    let error = app.graphql_error(Some(&martta), CREATE, too_many).await;
    assert_eq!(
        error["extensions"]["reason"], "TOO_MANY_ATTENDEES",
        "{error}"
    );
    let own = list(
        &app,
        Some(&martta),
        json!({ "organisationId": martat, "includeUnpublished": true }),
    )
    .await;
    assert_eq!(own["totalCount"], 0);
}

#[tokio::test]
async fn a_cancelled_event_shows_as_cancelled_and_frees_its_hall() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let day = day_ahead(15);
    let event = create(&app, &martta, in_facility(&martat, &hall, day, "Syysjuhla")).await;
    let id = event["id"].as_str().expect("id");
    let cancelled = app
        .graphql(
            Some(&martta),
            "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Esiintyjä sairastui\") { status statusReason sequence bookings { status statusReason } occurrences { status statusReason } } }",
            json!({ "id": id }),
        )
        .await;
    let cancelled = &cancelled["cancelEvent"];
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["sequence"], 1);
    assert_eq!(cancelled["bookings"][0]["status"], "CANCELLED");
    assert_eq!(cancelled["occurrences"][0]["status"], "CANCELLED");
    assert_eq!(
        cancelled["occurrences"][0]["statusReason"],
        "Esiintyjä sairastui"
    );
    // Residents still find it, marked cancelled with the reason.
    let listing = list(&app, None, json!({})).await;
    assert_eq!(listing["edges"][0]["node"]["status"], "CANCELLED");
    assert_eq!(
        listing["edges"][0]["node"]["statusReason"],
        "Esiintyjä sairastui"
    );
    // The hall is free again for the evening.
    let free = app
        .graphql(
            None,
            "query($id: ID!, $from: String!, $to: String!) { facilityAvailability(facilityId: $id, from: $from, to: $to) { startLocal endLocal } }",
            json!({ "id": hall, "from": at(day, "17:00"), "to": at(day, "21:00") }),
        )
        .await;
    assert_eq!(
        free["facilityAvailability"].as_array().map(Vec::len),
        Some(1)
    );
    // A cancelled event stays cancelled.
    let again = app
        .graphql_error(
            Some(&martta),
            "mutation($id: ID!) { postponeEvent(id: $id, reason: \"Myöhemmin\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(again["extensions"]["code"], "CONFLICT");
    // Cancelling needs a reason for the public.
    let other = create(
        &app,
        &martta,
        in_facility(&martat, &hall, day_ahead(16), "Toinen"),
    )
    .await;
    let error = app
        .graphql_error(
            Some(&martta),
            "mutation($id: ID!) { cancelEvent(id: $id, reason: \" \") { status } }",
            json!({ "id": other["id"] }),
        )
        .await;
    assert_eq!(error["extensions"]["reason"], "REASON_REQUIRED");
}

#[tokio::test]
async fn a_weekly_event_keeps_its_wall_clock_time_across_the_autumn_change() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    // Tuesdays 2027-10-19, 10-26, 11-02 and 11-09; the clocks go back on 2027-10-31.
    let event = create(
        &app,
        &martta,
        json!({ "input": {
            "organiserId": martat,
            "start": "2027-10-19T18:00", "end": "2027-10-19T20:00",
            "recurrence": { "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4" },
            "venues": [{ "facilityId": hall }],
            "publish": true,
            "details": details("Kuorotreenit", json!({}))
        } }),
    )
    .await;
    let occurrences = event["occurrences"].as_array().expect("occurrences");
    let local: Vec<&str> = occurrences
        .iter()
        .map(|o| o["time"]["startLocal"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        local,
        [
            "2027-10-19T18:00:00+03:00",
            "2027-10-26T18:00:00+03:00",
            "2027-11-02T18:00:00+02:00",
            "2027-11-09T18:00:00+02:00"
        ]
    );
    let utc: Vec<&str> = occurrences
        .iter()
        .map(|o| o["time"]["start"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(utc[1], "2027-10-26T15:00:00+00:00");
    assert_eq!(utc[2], "2027-11-02T16:00:00+00:00");
    assert_eq!(event["bookings"].as_array().map(Vec::len), Some(4));
    let id = event["id"].as_str().expect("id");

    // Cancel the third, move the fourth an hour later.
    let third = occurrences[2]["id"].clone();
    let fourth = occurrences[3]["id"].clone();
    app.graphql(
        Some(&martta),
        "mutation($e: ID!, $o: ID!) { cancelEventOccurrence(eventId: $e, occurrenceId: $o, reason: \"Pyhäpäivä\") { id } }",
        json!({ "e": id, "o": third }),
    )
    .await;
    let moved = app
        .graphql(
            Some(&martta),
            "mutation($e: ID!, $o: ID!) { moveEventOccurrence(eventId: $e, occurrenceId: $o, start: \"2027-11-09T19:00\", end: \"2027-11-09T21:00\") { sequence occurrences { recurrenceId status time { startLocal } } bookings { status time { startLocal } } } }",
            json!({ "e": id, "o": fourth }),
        )
        .await;
    let moved = &moved["moveEventOccurrence"];
    assert_eq!(moved["sequence"], 2);
    let statuses: Vec<&str> = moved["occurrences"]
        .as_array()
        .expect("occurrences")
        .iter()
        .map(|o| o["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses,
        ["SCHEDULED", "SCHEDULED", "CANCELLED", "RESCHEDULED"]
    );
    assert_eq!(
        moved["occurrences"][3]["recurrenceId"],
        "2027-11-09T18:00:00"
    );
    assert_eq!(
        moved["occurrences"][3]["time"]["startLocal"],
        "2027-11-09T19:00:00+02:00"
    );
    let bookings: Vec<(String, String)> = moved["bookings"]
        .as_array()
        .expect("bookings")
        .iter()
        .map(|b| {
            (
                b["status"].as_str().unwrap_or_default().to_string(),
                b["time"]["startLocal"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert!(bookings.contains(&("CANCELLED".into(), "2027-11-02T18:00:00+02:00".into())));
    assert!(bookings.contains(&("CONFIRMED".into(), "2027-11-09T19:00:00+02:00".into())));
}

#[tokio::test]
async fn the_listing_filters_orders_and_pages() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let base = |title: &str, days: u64, extra: Value| {
        let day = day_ahead(days);
        json!({ "input": {
            "organiserId": martat,
            "start": at(day, "12:00"), "end": at(day, "13:00"),
            "publish": true,
            "details": details(title, extra)
        } })
    };
    let place = json!({ "externalPlace": { "name": "Kauppatori", "municipality": "Lahti" } });
    let mut later = base("Torikonsertti", 9, place.clone());
    later["input"]["details"]["title"]["sv"] = json!("Torgkonsert");
    later["input"]["details"]["languages"] = json!(["FI", "SV"]);
    create(&app, &martta, later).await;
    let mut paid = base("Kurssi", 5, place.clone());
    paid["input"]["details"]["isFree"] = json!(false);
    paid["input"]["details"]["price"] = json!({ "fi": "10 €" });
    paid["input"]["details"]["accessibility"] = json!(["STEP_FREE_ACCESS"]);
    create(&app, &martta, paid).await;
    create(
        &app,
        &martta,
        base(
            "Etäluento",
            7,
            json!({ "onlineUrl": "https://meet.example.fi/luento" }),
        ),
    )
    .await;
    let mut draft = base("Luonnos", 6, place.clone());
    draft["input"]["publish"] = json!(false);
    create(&app, &martta, draft).await;
    let mut hidden = base("Sisäinen", 6, place);
    hidden["input"]["visibility"] = json!("PRIVATE");
    create(&app, &martta, hidden).await;
    create(
        &app,
        &martta,
        in_facility(&martat, &hall, day_ahead(8), "Salitapahtuma"),
    )
    .await;

    // By start time; drafts and private events are not listed.
    let all = list(&app, None, json!({})).await;
    assert_eq!(
        titles(&all),
        ["Kurssi", "Etäluento", "Salitapahtuma", "Torikonsertti"]
    );
    assert_eq!(all["totalCount"], 4);
    assert_eq!(
        titles(&list(&app, None, json!({ "freeOnly": true })).await),
        ["Etäluento", "Salitapahtuma", "Torikonsertti"]
    );
    assert_eq!(
        titles(&list(&app, None, json!({ "text": "TORGKONSERT" })).await),
        ["Torikonsertti"]
    );
    assert_eq!(
        titles(&list(&app, None, json!({ "languages": ["SV"] })).await),
        ["Torikonsertti"]
    );
    assert_eq!(
        titles(&list(&app, None, json!({ "accessibility": ["STEP_FREE_ACCESS"] })).await),
        ["Kurssi"]
    );
    let window = list(
        &app,
        None,
        json!({ "from": format!("{}T00:00:00Z", day_ahead(7)), "to": format!("{}T00:00:00Z", day_ahead(9)) }),
    )
    .await;
    assert_eq!(titles(&window), ["Etäluento", "Salitapahtuma"]);

    // Pages follow each other without gaps or repeats.
    let first = app.graphql(None, LIST, json!({ "first": 3 })).await["events"].clone();
    assert_eq!(titles(&first), ["Kurssi", "Etäluento", "Salitapahtuma"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let next = app
        .graphql(
            None,
            LIST,
            json!({ "first": 3, "after": first["pageInfo"]["endCursor"] }),
        )
        .await["events"]
        .clone();
    assert_eq!(titles(&next), ["Torikonsertti"]);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);

    // The organisation's members see their drafts and private events too.
    let own = list(
        &app,
        Some(&martta),
        json!({ "organisationId": martat, "includeUnpublished": true }),
    )
    .await;
    assert_eq!(own["totalCount"], 6);
    let error = app
        .graphql_error(
            None,
            LIST,
            json!({ "filter": { "organisationId": martat, "includeUnpublished": true } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn hosts_share_the_work_and_outsiders_see_only_what_is_public() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let ((carers, carers_admin), (parish, parish_admin)) = partners(&app).await;
    let mut draft = in_facility(&martat, &hall, day_ahead(30), "Luonnos");
    draft["input"]["publish"] = json!(false);
    let event = create(&app, &martta, draft).await;
    let id = event["id"].as_str().expect("id");
    const READ: &str = "query($id: ID!) { event(id: $id) { title { fi } } }";
    // A draft is not found by outsiders, anonymous or signed in.
    for token in [None, Some(parish_admin.as_str())] {
        let error = app.graphql_error(token, READ, json!({ "id": id })).await;
        assert_eq!(error["extensions"]["code"], "NOT_FOUND");
    }
    app.graphql(Some(&martta), INVITE, json!({ "e": id, "o": carers }))
        .await;
    // The invited organisation sees what it is invited to, but may not edit it yet.
    app.graphql(Some(&carers_admin), READ, json!({ "id": id }))
        .await;
    const UPDATE: &str = "mutation($id: ID!, $details: EventDetailsInput!) { updateEvent(id: $id, visibility: PUBLIC, details: $details) { title { fi } sequence } }";
    let error = app
        .graphql_error(
            Some(&carers_admin),
            UPDATE,
            json!({ "id": id, "details": details("Muokattu", json!({})) }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    app.graphql(
        Some(&carers_admin),
        ANSWER,
        json!({ "e": id, "o": carers, "a": true }),
    )
    .await;
    let edited = app
        .graphql(
            Some(&carers_admin),
            UPDATE,
            json!({ "id": id, "details": details("Muokattu", json!({})) }),
        )
        .await;
    assert_eq!(edited["updateEvent"]["title"]["fi"], "Muokattu");
    assert_eq!(edited["updateEvent"]["sequence"], 2);
    // An edit that changes nothing a calendar shows leaves the sequence.
    let same = app
        .graphql(
            Some(&carers_admin),
            UPDATE,
            json!({ "id": id, "details": details("Muokattu", json!({ "keywords": ["laulu"] })) }),
        )
        .await;
    assert_eq!(same["updateEvent"]["sequence"], 2);
    // A co-host edits but does not cancel, publish or invite.
    let error = app
        .graphql_error(
            Some(&carers_admin),
            "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Ei\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let error = app
        .graphql_error(Some(&carers_admin), INVITE, json!({ "e": id, "o": parish }))
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    // Only admins of the invited organisation answer: a booker of it may not.
    app.graphql(Some(&martta), INVITE, json!({ "e": id, "o": parish }))
        .await;
    let coordinator = app.coordinator().await;
    let parish_booker = app
        .member_token(&coordinator, &parish, "kanttori@example.fi", "BOOKER")
        .await;
    let error = app
        .graphql_error(
            Some(&parish_booker),
            ANSWER,
            json!({ "e": id, "o": parish, "a": true }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    // Inviting twice is a conflict; declining and being invited again works.
    let error = app
        .graphql_error(Some(&martta), INVITE, json!({ "e": id, "o": parish }))
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    app.graphql(
        Some(&parish_admin),
        ANSWER,
        json!({ "e": id, "o": parish, "a": false }),
    )
    .await;
    let again = app
        .graphql(Some(&martta), INVITE, json!({ "e": id, "o": parish }))
        .await;
    assert_eq!(again["inviteCohost"]["status"], "INVITED");
    // Publishing makes it public, without a new sequence.
    let published = app
        .graphql(
            Some(&martta),
            "mutation($id: ID!) { publishEvent(id: $id) { publication sequence } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        published["publishEvent"],
        json!({ "publication": "PUBLISHED", "sequence": 2 })
    );
    app.graphql(None, READ, json!({ "id": id })).await;
    // Anonymous users cannot create events.
    let error = app
        .graphql_error(
            None,
            CREATE,
            in_facility(&martat, &hall, day_ahead(31), "Anonyymi"),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn bad_event_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let day = day_ahead(10);
    let cases = [
        (
            json!({ "details": details("", json!({})) }),
            "input.details.title",
            "TEXT_REQUIRED",
        ),
        (
            json!({ "details": details("Kaksi paikkaa", json!({ "externalPlace": { "name": "Tori", "municipality": "Lahti" } })) }),
            "input.details.externalPlace",
            "TWO_VENUES",
        ),
        (
            json!({ "venues": [] }),
            "input.details.venue",
            "VENUE_REQUIRED",
        ),
        (
            json!({ "details": details("Osoite", json!({ "infoUrl": "javascript:alert(1)" })) }),
            "input.details.infoUrl",
            "INVALID_URL",
        ),
        (
            json!({ "details": details("Ikä", json!({ "minAge": 12, "maxAge": 7 })) }),
            "input.details.maxAge",
            "INVALID_AGE_RANGE",
        ),
        (
            json!({ "details": details("Hinta", json!({ "price": { "fi": "5 €" } })) }),
            "input.details.price",
            "PRICE_OF_FREE_EVENT",
        ),
        (
            json!({ "start": "2027-03-28T03:30", "end": "2027-03-28T05:00" }),
            "input.start",
            "NONEXISTENT_LOCAL_TIME",
        ),
        (
            json!({ "end": at(day, "17:00") }),
            "input.end",
            "END_NOT_AFTER_START",
        ),
        (
            json!({ "venues": [{ "facilityId": hall, "bookingId": "1" }] }),
            "input.venues.0.facilityId",
            "ONE_OF_REQUIRED",
        ),
        (
            json!({ "recurrence": { "rrule": "FREQ=HOURLY" } }),
            "input.recurrence.rrule",
            "UNSUPPORTED_RECURRENCE",
        ),
    ];
    for (change, field, reason) in cases {
        let mut input = in_facility(&martat, &hall, day, "Tapahtuma");
        if let (Some(base), Value::Object(change)) = (input["input"].as_object_mut(), change) {
            base.extend(change);
        }
        let error = app.graphql_error(Some(&martta), CREATE, input).await;
        assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
        assert_eq!(error["extensions"]["field"], field, "{error}");
        assert_eq!(error["extensions"]["reason"], reason, "{error}");
    }
    let own = list(
        &app,
        Some(&martta),
        json!({ "organisationId": martat, "includeUnpublished": true }),
    )
    .await;
    assert_eq!(own["totalCount"], 0);
}

/// The JSON-LD of an event page, parsed.
fn json_ld(page: &str) -> Value {
    let start = page
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + "<script type=\"application/ld+json\">".len();
    let end = start + page[start..].find("</script>").expect("script end");
    serde_json::from_str(&page[start..end]).expect("JSON-LD parses")
}

#[tokio::test]
async fn every_published_event_has_a_public_page_in_three_languages() {
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    let day = day_ahead(20);
    let mut input = in_facility(
        &martat,
        &hall,
        day,
        "<script>alert(1)</script> & \"Kahvit\"",
    );
    input["input"]["details"]["title"]["sv"] = json!("Kaffe & kaka");
    input["input"]["details"]["description"] =
        json!({ "fi": "Ensimmäinen kappale.\n\nToinen </script> kappale." });
    let event = create(&app, &martta, input).await;
    let url = event["url"].as_str().expect("url").to_string();
    let get = |url: String, language: Option<&'static str>| {
        let client = app.client.clone();
        async move {
            let mut request = client.get(url);
            if let Some(language) = language {
                request = request.header("accept-language", language);
            }
            let response = request.send().await.expect("response");
            (
                response.status().as_u16(),
                response.text().await.expect("body"),
            )
        }
    };
    let (status, page) = get(url.clone(), None).await;
    assert_eq!(status, 200, "{url}: {page}");
    assert!(
        page.contains(
            "<h1>&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;Kahvit&quot;</h1>"
        ),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("klo 18.00–20.00"), "{page}");
    assert!(page.contains("<p>Toinen &lt;&#x2f;script&gt; kappale.</p>"));
    assert_eq!(
        page.matches("</script>").count(),
        1,
        "only the JSON-LD closes a script"
    );
    let data = json_ld(&page);
    assert_eq!(data["@type"], "Event");
    assert_eq!(data["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(data["location"][0]["address"]["addressLocality"], "Lahti");
    assert_eq!(data["url"], url);
    let start = chrono::DateTime::parse_from_rfc3339(data["startDate"].as_str().expect("start"))
        .expect("RFC 3339");
    assert_eq!(
        start.to_rfc3339(),
        event["time"]["startLocal"].as_str().expect("start local")
    );

    let (_, swedish) = get(format!("{url}?lang=sv"), None).await;
    assert!(
        swedish.contains("<h1>Kaffe &amp; kaka</h1>") && swedish.contains("kl. 18.00–20.00"),
        "{swedish}"
    );
    let (_, english) = get(url.clone(), Some("en-GB,en;q=0.8")).await;
    assert!(english.contains("<dt>When</dt>"), "{english}");

    // Cancelled: the page says so, for people and for search engines.
    app.graphql(
        Some(&martta),
        "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Sairastuminen\") { status } }",
        json!({ "id": event["id"] }),
    )
    .await;
    let (_, cancelled) = get(url.clone(), None).await;
    assert!(cancelled.contains("Peruttu: Sairastuminen"), "{cancelled}");
    assert_eq!(
        json_ld(&cancelled)["eventStatus"],
        "https://schema.org/EventCancelled"
    );

    // Drafts and unknown events are not found.
    let mut draft = in_facility(&martat, &hall, day_ahead(21), "Luonnos");
    draft["input"]["publish"] = json!(false);
    let draft = create(&app, &martta, draft).await;
    let (status, _) = get(draft["url"].as_str().expect("url").to_string(), None).await;
    assert_eq!(status, 404);
    let (status, _) = get(format!("{}/events/ei-ole-1", app.address), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_packed_read_gives_the_events_a_row_by_row_read_gives() {
    use entity::event;
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, QueryOrder};
    let app = spawn_app().await;
    let (hall, martat, martta, _) = bookable(&app, json!({})).await;
    create(
        &app,
        &martta,
        in_facility(&martat, &hall, day_ahead(12), "Kevätkonsertti"),
    )
    .await;
    let db = &app.state.db;
    let first = event::Entity::find()
        .one(db)
        .await
        .expect("read")
        .expect("the event");
    // Enough rows for three packs, with booleans, floats, absent texts and times varied.
    let copies: Vec<event::ActiveModel> = (1..=2_400)
        .map(|i: i64| {
            let mut copy = first.clone();
            copy.id = first.id + i;
            copy.slug = format!("{}-{i}", first.slug);
            copy.is_free = i % 2 == 0;
            copy.latitude = (i % 5 != 0).then_some(60.0 + i as f64 / 997.0);
            copy.title_sv = (i % 3 == 0).then(|| format!("Konsert {i}, \"ny\" \\ rad\ntvå"));
            copy.starts_at = first.starts_at + chrono::Duration::microseconds(i * 1_001);
            copy.published_at = None;
            copy.into_active_model().reset_all()
        })
        .collect();
    for chunk in copies.chunks(200) {
        event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await
            .expect("insert copies");
    }
    let mut packed = yhteistila::service::packed::read(db, event::Entity::find(), Ok)
        .await
        .expect("packed read");
    packed.sort_by_key(|m| m.id);
    let by_rows = event::Entity::find()
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
        .expect("row by row");
    assert_eq!(packed.len(), 2_401);
    for (packed, by_rows) in packed.iter().zip(&by_rows) {
        assert_eq!(packed, by_rows);
    }
}
