//! Finding the people responsible for space and event cooperation.
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const SET: &str = "mutation($o: ID!, $c: [CooperationContactInput!]!) { setCooperationContacts(organisationId: $o, contacts: $c) { name role municipalities { nameFi } } }";
const FIND: &str = "query($m: String, $t: HyteTheme, $a: [CooperationArea!]) { cooperationContacts(municipality: $m, theme: $t, areas: $a) { name role email organisation { name { fi } } } }";

async fn admin_of(
    app: &TestApp,
    kind: &str,
    name: &str,
    municipality: &str,
    email: &str,
) -> (String, String) {
    let coordinator = app.coordinator().await;
    let organisation = app
        .create_organisation(&coordinator, kind, name, municipality)
        .await;
    let token = app
        .member_token(&coordinator, &organisation, email, "ADMIN")
        .await;
    (organisation, token)
}

fn names(found: &Value) -> Vec<String> {
    found["cooperationContacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_coordinator_and_the_municipalitys_contacts_are_found_by_theme() {
    let app = spawn_app().await;
    let (region, region_admin) = admin_of(
        &app,
        "WELFARE_REGION",
        "Päijät-Hämeen hyvinvointialue",
        "Lahti",
        "hva@example.fi",
    )
    .await;
    let (lahti, lahti_admin) = admin_of(
        &app,
        "MUNICIPALITY",
        "Lahden kaupunki",
        "Lahti",
        "lahti@example.fi",
    )
    .await;
    let (hollola, hollola_admin) = admin_of(
        &app,
        "MUNICIPALITY",
        "Hollolan kunta",
        "Hollola",
        "hollola@example.fi",
    )
    .await;
    let (ngo, ngo_admin) =
        admin_of(&app, "NGO", "Seudun Kylät", "Hollola", "kylat@example.fi").await;
    let set = |org: &str, token: &str, contacts: Value| {
        let (org, token) = (org.to_string(), token.to_string());
        let app = &app;
        async move {
            app.graphql(Some(&token), SET, json!({ "o": org, "c": contacts }))
                .await
        }
    };
    set(
        &region,
        &region_admin,
        json!([{ "role": "REGIONAL_COORDINATOR", "name": "Kaisa Koordinaattori",
        "email": "kaisa@phhva.example.fi", "areas": ["SPACES", "EVENTS"] }]),
    )
    .await;
    let lahti_set = set(
        &lahti,
        &lahti_admin,
        json!([{ "role": "MUNICIPAL_ASSOCIATION_CONTACT", "name": "Lauri Lahtinen",
        "jobTitle": "hyvinvointikoordinaattori", "areas": ["SPACES", "EVENTS"] }]),
    )
    .await;
    // Without municipalities, a contact answers for the organisation's own.
    assert_eq!(
        lahti_set["setCooperationContacts"][0]["municipalities"],
        json!([{ "nameFi": "Lahti" }])
    );
    set(
        &hollola,
        &hollola_admin,
        json!([{ "role": "MUNICIPAL_ASSOCIATION_CONTACT", "name": "Hanna Hollolainen",
        "areas": ["EVENTS"], "themes": ["MENTAL_WELLBEING"] }]),
    )
    .await;
    set(
        &ngo,
        &ngo_admin,
        json!([{ "role": "ORGANISATION_CONTACT", "name": "Ville Kyläläinen",
        "areas": ["SPACES"], "municipalities": ["Hollola", "398"] }]),
    )
    .await;

    let find = |m: &str, t: Value, a: Value| {
        let m = m.to_string();
        let app = &app;
        async move {
            app.graphql(None, FIND, json!({ "m": m, "t": t, "a": a }))
                .await
        }
    };
    assert_eq!(
        names(&find("Lahti", json!("PARTICIPATION_AND_COMMUNITY"), Value::Null).await),
        ["Kaisa Koordinaattori", "Lauri Lahtinen", "Ville Kyläläinen"]
    );
    assert_eq!(
        names(&find("Hollola", json!("MENTAL_WELLBEING"), Value::Null).await),
        [
            "Kaisa Koordinaattori",
            "Hanna Hollolainen",
            "Ville Kyläläinen"
        ]
    );
    assert_eq!(
        names(&find("Hollola", json!("EVERYDAY_SAFETY"), Value::Null).await),
        ["Kaisa Koordinaattori", "Ville Kyläläinen"]
    );
    assert_eq!(
        names(&find("Hollola", Value::Null, json!(["EVENTS"])).await),
        ["Kaisa Koordinaattori", "Hanna Hollolainen"]
    );
    assert_eq!(
        names(&find("Sysmä", Value::Null, Value::Null).await),
        ["Kaisa Koordinaattori"]
    );

    // Setting the list again replaces it.
    set(&ngo, &ngo_admin, json!([])).await;
    assert_eq!(
        names(&find("Hollola", json!("EVERYDAY_SAFETY"), Value::Null).await),
        ["Kaisa Koordinaattori"]
    );
}

#[tokio::test]
async fn only_admins_name_contacts_in_roles_that_fit_them() {
    let app = spawn_app().await;
    let (ngo, ngo_admin) =
        admin_of(&app, "NGO", "Seudun Kylät", "Hollola", "kylat@example.fi").await;
    let coordinator = app.coordinator().await;
    let booker = app
        .member_token(&coordinator, &ngo, "jasen@example.fi", "BOOKER")
        .await;
    let contact = json!([{ "role": "ORGANISATION_CONTACT", "name": "Ville", "areas": ["SPACES"] }]);
    let error = app
        .graphql_error(Some(&booker), SET, json!({ "o": ngo, "c": contact }))
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let cases = [
        (
            json!({ "role": "REGIONAL_COORDINATOR", "name": "Ville", "areas": ["SPACES"] }),
            "contacts.0.role",
            "ROLE_NOT_FOR_ORGANISATION",
        ),
        (
            json!({ "role": "ORGANISATION_CONTACT", "name": "Ville", "areas": [] }),
            "contacts.0.areas",
            "AREA_REQUIRED",
        ),
        (
            json!({ "role": "ORGANISATION_CONTACT", "name": "Ville", "areas": ["SPACES"], "email": "ville@" }),
            "contacts.0.email",
            "INVALID_EMAIL",
        ),
        (
            json!({ "role": "ORGANISATION_CONTACT", "name": "Ville", "areas": ["SPACES"], "municipalities": ["Tampere"] }),
            "contacts.0.municipalities",
            "UNKNOWN_MUNICIPALITY",
        ),
    ];
    for (contact, field, reason) in cases {
        let error = app
            .graphql_error(Some(&ngo_admin), SET, json!({ "o": ngo, "c": [contact] }))
            .await;
        assert_eq!(error["extensions"]["field"], field, "{error}");
        assert_eq!(error["extensions"]["reason"], reason, "{error}");
    }
    // Nothing half-written: the organisation still has no contacts.
    let found = app
        .graphql(
            None,
            "query($o: ID!) { cooperationContacts(organisationId: $o) { name } }",
            json!({ "o": ngo }),
        )
        .await;
    assert_eq!(found["cooperationContacts"], json!([]));
}
