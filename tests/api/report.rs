//! The yearly follow-up report on a fixed data set, with exact figures, over GraphQL and CSV.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const BOOK: &str =
    "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id priceCents } }";
const EVENT: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }";

async fn book(
    app: &TestApp,
    token: &str,
    facility: &str,
    org: &str,
    start: &str,
    end: &str,
) -> Value {
    app.graphql(
        Some(token),
        BOOK,
        json!({ "input": { "facilityId": facility, "organisationId": org, "start": start, "end": end, "title": "Varaus" } }),
    )
    .await["createBooking"]
        .clone()
}

/// The fixed data set, all in 2027 (and one booking on New Year's night 2028):
///
/// | booking | facility (owner, municipality) | booker | local time | minutes |
/// |---|---|---|---|---|
/// | 1 (event "Yöjuoksu") | Sali (Lahti, 398) | NGO A | 2027-10-30 22:00 – 10-31 04:00 (clocks back) | 420 |
/// | 2 | Tupa (welfare region, Hollola 098) | NGO B | 2027-03-27 22:00 – 03-28 04:00 (clocks forward) | 300 |
/// | 3 | Sali | company | 2027-05-10 10:00–12:00, 40 €/h | 120 |
/// | 4 | Tupa | parish | 2027-06-01 17:00–18:30 | 90 |
/// | 5 | Sali | NGO A | 2027-12-31 23:30 – 2028-01-01 00:30 | 60 |
/// | not counted | Sali | NGO A | 2028-01-01 00:30–01:30 (after the period) | |
/// | not counted | Sali | NGO A | 2027-06-02, cancelled | |
///
/// Events: "Yöjuoksu" (booking 1; participation + mental wellbeing; youth; co-hosted by
/// NGO B and the parish), "Kyläturva" (external place in Hollola; everyday safety;
/// villages), a cancelled one and a draft (neither counted).
async fn fixed_data(app: &TestApp) -> String {
    let coordinator = app.coordinator().await;
    let lahti = app
        .create_organisation(&coordinator, "MUNICIPALITY", "Lahden kaupunki", "Lahti")
        .await;
    let region = app
        .create_organisation(
            &coordinator,
            "WELFARE_REGION",
            "Päijät-Hämeen hyvinvointialue",
            "Lahti",
        )
        .await;
    let ngo_a = app
        .create_organisation(&coordinator, "NGO", "Lahden Nuoret", "Lahti")
        .await;
    let ngo_b = app
        .create_organisation(&coordinator, "NGO", "Hollolan Kyläyhdistys", "Hollola")
        .await;
    let parish = app
        .create_organisation(
            &coordinator,
            "RELIGIOUS_COMMUNITY",
            "Hollolan seurakunta",
            "Hollola",
        )
        .await;
    let company = app
        .create_organisation(&coordinator, "COMPANY", "Tapahtuma Oy", "Lahti")
        .await;
    let lahti_manager = app
        .member_token(
            &coordinator,
            &lahti,
            "tilat@lahti.example.fi",
            "FACILITY_MANAGER",
        )
        .await;
    let region_manager = app
        .member_token(
            &coordinator,
            &region,
            "tilat@phhva.example.fi",
            "FACILITY_MANAGER",
        )
        .await;
    let a = app
        .member_token(&coordinator, &ngo_a, "nuoret@example.fi", "ADMIN")
        .await;
    let b = app
        .member_token(&coordinator, &ngo_b, "kyla@example.fi", "ADMIN")
        .await;
    let p = app
        .member_token(&coordinator, &parish, "srk@example.fi", "ADMIN")
        .await;
    let c = app
        .member_token(&coordinator, &company, "oy@example.fi", "BOOKER")
        .await;
    let rules = json!({ "slotGranularityMinutes": 30, "approvalRequired": false });
    let sali = app
        .create_facility(
            &lahti_manager,
            &lahti,
            json!({ "name": { "fi": "Sali" }, "type": "HALL", "rules": rules, "capacity": 100,
                    "hourlyPrices": [{ "customerKind": "COMPANY", "cents": 4000 }] }),
        )
        .await;
    let tupa = app
        .create_facility(
            &region_manager,
            &region,
            json!({ "name": { "fi": "Tupa" }, "municipality": "Hollola", "postalCode": "15870", "rules": rules }),
        )
        .await;
    app.open_daily(&lahti_manager, &sali, "00:00", "24:00")
        .await;
    app.open_daily(&region_manager, &tupa, "00:00", "24:00")
        .await;

    let run = app
        .graphql(
            Some(&a),
            EVENT,
            json!({ "input": {
                "organiserId": ngo_a, "start": "2027-10-30T22:00", "end": "2027-10-31T04:00",
                "venues": [{ "facilityId": sali }], "publish": true,
                "details": { "title": { "fi": "Yöjuoksu" }, "isFree": true,
                             "themes": ["PARTICIPATION_AND_COMMUNITY", "MENTAL_WELLBEING"], "targetGroups": ["YOUTH"] }
            } }),
        )
        .await["createEvent"]["id"]
        .clone();
    for (org, admin) in [(&ngo_b, &b), (&parish, &p)] {
        app.graphql(
            Some(&a),
            "mutation($e: ID!, $o: ID!) { inviteCohost(eventId: $e, organisationId: $o) { status } }",
            json!({ "e": run, "o": org }),
        )
        .await;
        app.graphql(
            Some(admin),
            "mutation($e: ID!, $o: ID!) { answerCohostInvitation(eventId: $e, organisationId: $o, accept: true) { status } }",
            json!({ "e": run, "o": org }),
        )
        .await;
    }
    let external = |title: &str, themes: Value, groups: Value, publish: bool, day: &str| {
        json!({ "input": {
            "organiserId": ngo_b, "start": format!("{day}T12:00"), "end": format!("{day}T15:00"), "publish": publish,
            "details": { "title": { "fi": title }, "themes": themes, "targetGroups": groups,
                         "externalPlace": { "name": "Kylätalo", "municipality": "Hollola" } }
        } })
    };
    app.graphql(
        Some(&b),
        EVENT,
        external(
            "Kyläturva",
            json!(["EVERYDAY_SAFETY"]),
            json!(["VILLAGES"]),
            true,
            "2027-08-15",
        ),
    )
    .await;
    let called_off = app
        .graphql(
            Some(&b),
            EVENT,
            external(
                "Peruttu",
                json!(["EVERYDAY_SAFETY"]),
                json!(["VILLAGES"]),
                true,
                "2027-09-01",
            ),
        )
        .await["createEvent"]["id"]
        .clone();
    app.graphql(
        Some(&b),
        "mutation($id: ID!) { cancelEvent(id: $id, reason: \"Sade\") { status } }",
        json!({ "id": called_off }),
    )
    .await;
    app.graphql(
        Some(&b),
        EVENT,
        external(
            "Luonnos",
            json!(["MENTAL_WELLBEING"]),
            json!(["YOUTH"]),
            false,
            "2027-09-02",
        ),
    )
    .await;

    book(
        app,
        &b,
        &tupa,
        &ngo_b,
        "2027-03-27T22:00",
        "2027-03-28T04:00",
    )
    .await;
    let paid = book(
        app,
        &c,
        &sali,
        &company,
        "2027-05-10T10:00",
        "2027-05-10T12:00",
    )
    .await;
    assert_eq!(paid["priceCents"], 8000);
    book(
        app,
        &p,
        &tupa,
        &parish,
        "2027-06-01T17:00",
        "2027-06-01T18:30",
    )
    .await;
    book(
        app,
        &a,
        &sali,
        &ngo_a,
        "2027-12-31T23:30",
        "2028-01-01T00:30",
    )
    .await;
    book(
        app,
        &a,
        &sali,
        &ngo_a,
        "2028-01-01T00:30",
        "2028-01-01T01:30",
    )
    .await;
    let cancelled = book(
        app,
        &a,
        &sali,
        &ngo_a,
        "2027-06-02T10:00",
        "2027-06-02T11:00",
    )
    .await;
    app.graphql(
        Some(&a),
        "mutation($id: ID!) { cancelBooking(id: $id) { status } }",
        json!({ "id": cancelled["id"] }),
    )
    .await;
    coordinator
}

const REPORT: &str = "query($m: String) { cooperationReport(from: \"2027-01-01\", to: \"2027-12-31\", municipality: $m) {
    from to total { bookings bookedMinutes bookedHours } freeBookings pricedBookings freeShare
    bySector { ownerKind bookerKind usage { bookings bookedMinutes } }
    byMunicipality { municipality { nameFi } usage { bookings bookedMinutes } }
    byTheme { theme events usage { bookings bookedMinutes } }
    byTargetGroup { targetGroup events usage { bookings bookedMinutes } }
    events cohostedEvents cohostingOrganisations
    utilisation { facility { name { fi } } usage { bookings bookedMinutes } openMinutes utilisation } } }";

#[tokio::test]
async fn the_follow_up_gives_exact_figures_across_both_clock_changes() {
    let app = spawn_app().await;
    let coordinator = fixed_data(&app).await;
    let report =
        app.graphql(Some(&coordinator), REPORT, json!({})).await["cooperationReport"].clone();
    assert_eq!(
        report["total"],
        json!({ "bookings": 5, "bookedMinutes": 990, "bookedHours": 16.5 })
    );
    assert_eq!(
        (
            report["freeBookings"].clone(),
            report["pricedBookings"].clone()
        ),
        (json!(4), json!(5))
    );
    assert_eq!(report["freeShare"], 0.8);
    assert_eq!(
        report["bySector"],
        json!([
            { "ownerKind": "MUNICIPALITY", "bookerKind": "COMPANY", "usage": { "bookings": 1, "bookedMinutes": 120 } },
            { "ownerKind": "MUNICIPALITY", "bookerKind": "NGO", "usage": { "bookings": 2, "bookedMinutes": 480 } },
            { "ownerKind": "WELFARE_REGION", "bookerKind": "NGO", "usage": { "bookings": 1, "bookedMinutes": 300 } },
            { "ownerKind": "WELFARE_REGION", "bookerKind": "RELIGIOUS_COMMUNITY", "usage": { "bookings": 1, "bookedMinutes": 90 } },
        ])
    );
    assert_eq!(
        report["byMunicipality"],
        json!([
            { "municipality": { "nameFi": "Hollola" }, "usage": { "bookings": 2, "bookedMinutes": 390 } },
            { "municipality": { "nameFi": "Lahti" }, "usage": { "bookings": 3, "bookedMinutes": 600 } },
        ])
    );
    assert_eq!(
        report["byTheme"],
        json!([
            { "theme": "PARTICIPATION_AND_COMMUNITY", "events": 1, "usage": { "bookings": 1, "bookedMinutes": 420 } },
            { "theme": "MENTAL_WELLBEING", "events": 1, "usage": { "bookings": 1, "bookedMinutes": 420 } },
            { "theme": "EVERYDAY_SAFETY", "events": 1, "usage": { "bookings": 0, "bookedMinutes": 0 } },
            { "theme": "SUBSTANCE_FREE_HEALTHY_LIFESTYLES", "events": 0, "usage": { "bookings": 0, "bookedMinutes": 0 } },
        ])
    );
    let groups: Vec<(String, i64, i64)> = report["byTargetGroup"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["events"] != 0)
        .map(|g| {
            (
                g["targetGroup"].as_str().unwrap_or_default().to_string(),
                g["events"].as_i64().unwrap_or_default(),
                g["usage"]["bookedMinutes"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [("YOUTH".into(), 1, 420), ("VILLAGES".into(), 1, 0)]
    );
    assert_eq!(
        (
            report["events"].clone(),
            report["cohostedEvents"].clone(),
            report["cohostingOrganisations"].clone()
        ),
        (json!(2), json!(1), json!(3))
    );
    // Both facilities were open round the clock: 365 days of 24 h in local time (the
    // 23-hour spring day and the 25-hour autumn day cancel out).
    let utilisation = report["utilisation"].as_array().expect("utilisation");
    let sali = utilisation
        .iter()
        .find(|u| u["facility"]["name"]["fi"] == "Sali")
        .expect("Sali");
    assert_eq!(
        sali["usage"],
        json!({ "bookings": 3, "bookedMinutes": 600 })
    );
    assert_eq!(sali["openMinutes"], 365 * 24 * 60);
    assert_eq!(sali["utilisation"].as_f64(), Some(600.0 / 525_600.0));

    // One municipality: its facilities' bookings and the events held there.
    let hollola = app
        .graphql(Some(&coordinator), REPORT, json!({ "m": "Hollola" }))
        .await["cooperationReport"]
        .clone();
    assert_eq!(hollola["total"]["bookedMinutes"], 390);
    assert_eq!(hollola["events"], 1);
    assert_eq!(hollola["cohostedEvents"], 0);
    assert_eq!(hollola["utilisation"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_follow_up_is_the_coordinators_also_as_csv() {
    let app = spawn_app().await;
    let coordinator = fixed_data(&app).await;
    let ngo_admin = app.token_for("nuoret@example.fi", false).await;
    let error = app.graphql_error(Some(&ngo_admin), REPORT, json!({})).await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let url = format!(
        "{}/reports/cooperation.csv?from=2027-01-01&to=2027-12-31",
        app.address
    );
    let anonymous = app.client.get(&url).send().await.expect("response");
    assert_eq!(anonymous.status(), 401);
    let refused = app
        .client
        .get(&url)
        .bearer_auth(&ngo_admin)
        .send()
        .await
        .expect("response");
    assert_eq!(refused.status(), 403);
    let bad = app
        .client
        .get(format!(
            "{}/reports/cooperation.csv?from=2027-13-01&to=2027-12-31",
            app.address
        ))
        .bearer_auth(&coordinator)
        .send()
        .await
        .expect("response");
    assert_eq!(bad.status(), 400);
    assert!(
        bad.text()
            .await
            .expect("body")
            .starts_with("VALIDATION: from:")
    );

    let response = app
        .client
        .get(&url)
        .bearer_auth(&coordinator)
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let body = response.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("CSV");
    let find = |section: &str, group: &str, subgroup: &str| {
        rows.iter()
            .find(|r| &r[0] == section && &r[1] == group && &r[2] == subgroup)
            .unwrap_or_else(|| panic!("no row {section}/{group}/{subgroup} in {body}"))
    };
    let total = find("total", "", "");
    assert_eq!(
        (&total[3], &total[4], &total[5], &total[6]),
        ("5", "990", "16.5", "2")
    );
    assert_eq!(&find("free_of_charge", "", "")[8], "0.8");
    let ngos_in_municipal = find("sector", "MUNICIPALITY", "NGO");
    assert_eq!((&ngos_in_municipal[3], &ngos_in_municipal[5]), ("2", "8"));
    assert_eq!(&find("municipality", "Hollola", "098")[4], "390");
    assert_eq!(
        &find("theme", "MENTAL_WELLBEING", "Mielen hyvinvointi")[6],
        "1"
    );
    assert_eq!(&find("cohosting", "organisations", "")[6], "3");
    let sali = find("utilisation", "Sali", "Lahti");
    assert_eq!((&sali[4], &sali[7], &sali[8]), ("600", "8760", "0.0011"));
    assert!(rows.iter().all(|r| &r[9] == "2027-01-01..2027-12-31"));

    // For spreadsheets set to Finnish: semicolons and decimal commas.
    let finnish = app
        .client
        .get(format!("{url}&delimiter=semicolon"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .expect("response")
        .text()
        .await
        .expect("body");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(finnish.as_bytes());
    let total = reader.records().next().expect("a row").expect("CSV");
    assert_eq!(&total[5], "16,5");
}
