//! Facilities: permissions, validation, visibility, filters, paging and query counts.
use serde_json::{Value, json};

use crate::helpers::{facility_input, spawn_app};

const UPDATE: &str = "mutation($id: ID!, $input: FacilityInput!) { updateFacility(id: $id, input: $input) { id capacity } }";
const CREATE: &str = "mutation($owner: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input) { id } }";

#[tokio::test]
async fn an_ngo_booker_cannot_edit_another_organisations_facility() {
    let app = spawn_app().await;
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
    let ngo_booker = app
        .member_token(&coordinator, &ngo, "martta@example.fi", "BOOKER")
        .await;
    let hall = app
        .create_facility(
            &manager,
            &town,
            json!({ "municipality": "Hollola", "capacity": 120 }),
        )
        .await;

    let error = app
        .graphql_error(
            Some(&ngo_booker),
            UPDATE,
            json!({ "id": hall, "input": facility_input(json!({ "capacity": 5 })) }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let error = app
        .graphql_error(
            Some(&ngo_booker),
            CREATE,
            json!({ "owner": town, "input": facility_input(json!({})) }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let error = app
        .graphql_error(
            None,
            UPDATE,
            json!({ "id": hall, "input": facility_input(json!({ "capacity": 5 })) }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED");

    let updated = app
        .graphql(
            Some(&manager),
            UPDATE,
            json!({ "id": hall, "input": facility_input(json!({ "capacity": 150 })) }),
        )
        .await;
    assert_eq!(updated["updateFacility"]["capacity"], 150);
    let updated = app
        .graphql(
            Some(&coordinator),
            UPDATE,
            json!({ "id": hall, "input": facility_input(json!({ "capacity": 140 })) }),
        )
        .await;
    assert_eq!(updated["updateFacility"]["capacity"], 140);
}

async fn validation_error(overrides: Value) -> Value {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let owner = app
        .create_organisation(&coordinator, "MUNICIPALITY", "Lahden kaupunki", "Lahti")
        .await;
    let error = app
        .graphql_error(
            Some(&coordinator),
            CREATE,
            json!({ "owner": owner, "input": facility_input(overrides) }),
        )
        .await;
    let count = app
        .graphql(
            Some(&coordinator),
            "{ facilities { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        count["facilities"]["totalCount"], 0,
        "nothing half-written stays"
    );
    error["extensions"].clone()
}

#[tokio::test]
async fn negative_capacity_is_a_validation_error_on_capacity() {
    let ext = validation_error(json!({ "capacity": -5 })).await;
    assert_eq!(ext["code"], "VALIDATION");
    assert_eq!(ext["field"], "input.capacity");
}

#[tokio::test]
async fn an_unknown_time_zone_is_a_validation_error_on_time_zone() {
    let ext = validation_error(json!({ "timeZone": "Europe/Lahti" })).await;
    assert_eq!(ext["code"], "VALIDATION");
    assert_eq!(ext["field"], "input.timeZone");
    assert_eq!(ext["reason"], "UNKNOWN_TIME_ZONE");
}

#[tokio::test]
async fn other_bad_values_name_their_fields() {
    for (overrides, field) in [
        (json!({ "postalCode": "1511" }), "input.postalCode"),
        (json!({ "municipality": "Tampere" }), "input.municipality"),
        (json!({ "name": { "fi": " " } }), "input.name"),
        (json!({ "latitude": 61.0 }), "input.longitude"),
        (
            json!({ "contact": { "name": "Liisa", "email": "liisa(at)example.fi" } }),
            "input.contact.email",
        ),
        (
            json!({ "hourlyPrices": [{ "customerKind": "COMPANY", "cents": -100 }] }),
            "input.hourlyPrices.0.cents",
        ),
    ] {
        let ext = validation_error(overrides.clone()).await;
        assert_eq!(ext["code"], "VALIDATION", "{overrides}");
        assert_eq!(ext["field"], field, "{overrides}");
    }
}

#[tokio::test]
async fn drafts_and_private_contacts_are_hidden_from_outsiders() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let parish = app
        .create_organisation(&coordinator, "RELIGIOUS_COMMUNITY", "Seurakunta", "Heinola")
        .await;
    let staff = app
        .member_token(
            &coordinator,
            &parish,
            "suntio@example.fi",
            "FACILITY_MANAGER",
        )
        .await;
    let hall = app
        .create_facility(
            &staff,
            &parish,
            json!({ "name": { "fi": "Seurakuntasali" } }),
        )
        .await;
    let query =
        "query($id: ID!) { facility(id: $id) { published contact { name email phone public } } }";

    let public = app.graphql(None, query, json!({ "id": hall })).await;
    assert_eq!(
        public["facility"]["contact"],
        json!({ "name": "Liisa Virtanen", "email": null, "phone": null, "public": false })
    );
    let own = app
        .graphql(Some(&staff), query, json!({ "id": hall }))
        .await;
    assert_eq!(own["facility"]["contact"]["email"], "liisa@example.fi");

    app.graphql(
        Some(&staff),
        "mutation($id: ID!) { unpublishFacility(id: $id) { published } }",
        json!({ "id": hall }),
    )
    .await;
    let error = app.graphql_error(None, query, json!({ "id": hall })).await;
    assert_eq!(error["extensions"]["code"], "NOT_FOUND");
    let listed = app
        .graphql(None, "{ facilities { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["facilities"]["totalCount"], 0);
    let own = app
        .graphql(Some(&staff), "{ facilities { totalCount } }", json!({}))
        .await;
    assert_eq!(own["facilities"]["totalCount"], 1);
}

#[tokio::test]
async fn filters_find_the_right_rooms() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let town = app
        .create_organisation(&coordinator, "MUNICIPALITY", "Hollolan kunta", "Hollola")
        .await;
    let company = app
        .create_organisation(&coordinator, "COMPANY", "Kokoustila Oy", "Hollola")
        .await;
    let ngo = app
        .create_organisation(&coordinator, "NGO", "Kylä ry", "Kärkölä")
        .await;
    let library = app
        .create_facility(&coordinator, &town, json!({
            "name": { "fi": "Kirjaston kokoushuone", "sv": "Bibliotekets mötesrum" }, "municipality": "Hollola",
            "capacity": 25, "accessibility": ["STEP_FREE_ACCESS", "INDUCTION_LOOP"], "equipment": ["PROJECTOR"] }))
        .await;
    app.create_facility(
        &coordinator,
        &company,
        json!({
        "name": { "fi": "Neuvotteluhuone" }, "municipality": "Hollola", "capacity": 30,
        "accessibility": ["STEP_FREE_ACCESS", "INDUCTION_LOOP"], "freeForNonProfit": false,
        "hourlyPrices": [{ "customerKind": "NGO", "cents": 2500 }] }),
    )
    .await;
    let village = app
        .create_facility(&coordinator, &ngo, json!({ "name": { "fi": "Järvelän kylätalo" }, "municipality": "Kärkölä", "capacity": 60 }))
        .await;

    let ids = |data: Value| -> Vec<String> {
        data["facilities"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let query = "query($filter: FacilityFilterInput) { facilities(filter: $filter) { edges { node { id } } } }";
    let step_free_free_in_hollola = json!({ "filter": {
        "municipality": "Hollola", "minCapacity": 20, "accessibility": ["STEP_FREE_ACCESS", "INDUCTION_LOOP"], "freeForNgos": true } });
    assert_eq!(
        ids(app.graphql(None, query, step_free_free_in_hollola).await),
        vec![library.clone()]
    );
    assert_eq!(
        ids(app
            .graphql(None, query, json!({ "filter": { "text": "KYLÄTALO" } }))
            .await),
        vec![village.clone()]
    );
    assert_eq!(
        ids(app
            .graphql(None, query, json!({ "filter": { "text": "mötesrum" } }))
            .await),
        vec![library.clone()]
    );
    assert_eq!(
        ids(app
            .graphql(
                None,
                query,
                json!({ "filter": { "ownerKinds": ["NGO", "MUNICIPALITY"] } })
            )
            .await),
        vec![library.clone(), village]
    );
    assert_eq!(
        ids(app
            .graphql(
                None,
                query,
                json!({ "filter": { "equipment": ["PROJECTOR"], "minCapacity": 26 } })
            )
            .await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(app
            .graphql(None, query, json!({ "filter": { "text": "100%_" } }))
            .await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_page_of_100_facilities_with_owners_costs_three_queries() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let mut owners = Vec::new();
    for i in 0..10 {
        owners.push(
            app.create_organisation(&coordinator, "NGO", &format!("Yhdistys {i}"), "Lahti")
                .await,
        );
    }
    for i in 0..120 {
        app.create_facility(
            &coordinator,
            &owners[i % owners.len()],
            json!({ "name": { "fi": format!("Tila {i}") } }),
        )
        .await;
    }
    let query = "{ facilities(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name { fi } capacity address { municipality { nameFi } } owner { id kind name { fi } } } } } }";
    let before = app.query_count().await;
    let data = app.graphql(None, query, json!({})).await;
    let after = app.query_count().await;
    let facilities = &data["facilities"];
    assert_eq!(facilities["totalCount"], 120);
    assert_eq!(facilities["edges"].as_array().unwrap().len(), 100);
    assert_eq!(facilities["pageInfo"]["hasNextPage"], true);
    assert!(
        facilities["edges"][99]["node"]["owner"]["name"]["fi"]
            .as_str()
            .unwrap()
            .starts_with("Yhdistys")
    );
    assert!(after - before <= 3, "{} queries", after - before);

    let rest = app
        .graphql(None, "query($after: String) { facilities(first: 100, after: $after) { edges { node { name { fi } } } pageInfo { hasNextPage hasPreviousPage } } }", json!({ "after": facilities["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(rest["facilities"]["edges"].as_array().unwrap().len(), 20);
    assert_eq!(
        rest["facilities"]["edges"][0]["node"]["name"]["fi"],
        "Tila 100"
    );
    assert_eq!(
        rest["facilities"]["pageInfo"],
        json!({ "hasNextPage": false, "hasPreviousPage": true })
    );
}

#[tokio::test]
async fn invited_organisations_are_listed() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let region = app
        .create_organisation(
            &coordinator,
            "WELFARE_REGION",
            "Päijät-Hämeen hyvinvointialue",
            "Lahti",
        )
        .await;
    let guest = app
        .create_organisation(&coordinator, "NGO", "Omaishoitajat ry", "Lahti")
        .await;
    let room = app
        .create_facility(
            &coordinator,
            &region,
            json!({ "whoMayBook": "INVITED_ORGANISATIONS", "invitedOrganisationIds": [guest] }),
        )
        .await;
    let data = app
        .graphql(
            None,
            "query($id: ID!) { facility(id: $id) { whoMayBook invitedOrganisations { id } } }",
            json!({ "id": room }),
        )
        .await;
    assert_eq!(data["facility"]["whoMayBook"], "INVITED_ORGANISATIONS");
    assert_eq!(
        data["facility"]["invitedOrganisations"],
        json!([{ "id": guest }])
    );
    let error = app
        .graphql_error(Some(&coordinator), CREATE, json!({ "owner": region, "input": facility_input(json!({ "invitedOrganisationIds": ["9999"] })) }))
        .await;
    assert_eq!(error["extensions"]["code"], "NOT_FOUND");
}
