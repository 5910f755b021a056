//! Organisations: validation, permissions and members.
use serde_json::json;

use crate::helpers::spawn_app;

const CREATE: &str = "mutation($input: OrganisationInput!) { createOrganisation(input: $input) { id kind businessId municipality { nameFi } name { fi sv } } }";

#[tokio::test]
async fn coordinator_creates_an_organisation_with_a_valid_business_id() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let data = app
        .graphql(
            Some(&coordinator),
            CREATE,
            json!({ "input": { "kind": "NGO", "name": { "fi": "Hollolan Kyläyhdistys", "sv": "Hollola byaförening" },
                    "businessId": "0245437-2", "municipality": "hollola" } }),
        )
        .await;
    let created = &data["createOrganisation"];
    assert_eq!(created["kind"], "NGO");
    assert_eq!(created["businessId"], "0245437-2");
    assert_eq!(created["municipality"]["nameFi"], "Hollola");
    assert_eq!(created["name"]["sv"], "Hollola byaförening");
}

#[tokio::test]
async fn a_bad_business_id_is_a_validation_error_naming_the_field() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let error = app
        .graphql_error(
            Some(&coordinator),
            CREATE,
            json!({ "input": { "kind": "NGO", "name": { "fi": "Yhdistys" }, "businessId": "0245437-3", "municipality": "Lahti" } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION");
    assert_eq!(error["extensions"]["field"], "input.businessId");
    assert_eq!(error["extensions"]["reason"], "INVALID_BUSINESS_ID");
    let list = app
        .graphql(None, "{ organisations { totalCount } }", json!({}))
        .await;
    assert_eq!(
        list["organisations"]["totalCount"], 0,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_duplicate_business_id_is_a_conflict() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let input = json!({ "input": { "kind": "COMPANY", "name": { "fi": "Yritys Oy" }, "businessId": "1572860-0", "municipality": "Lahti" } });
    app.graphql(Some(&coordinator), CREATE, input.clone()).await;
    let error = app.graphql_error(Some(&coordinator), CREATE, input).await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
    assert_eq!(error["extensions"]["field"], "businessId");
}

#[tokio::test]
async fn only_the_coordinator_creates_organisations() {
    let app = spawn_app().await;
    let volunteer = app.token_for("vapaaehtoinen@example.fi", false).await;
    let input = json!({ "input": { "kind": "NGO", "name": { "fi": "Yhdistys" }, "municipality": "Lahti" } });
    let error = app
        .graphql_error(Some(&volunteer), CREATE, input.clone())
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    let error = app.graphql_error(None, CREATE, input).await;
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn admins_manage_members_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    let org = app
        .create_organisation(&coordinator, "NGO", "Martat ry", "Sysmä")
        .await;
    let admin = app
        .member_token(&coordinator, &org, "puheenjohtaja@example.fi", "ADMIN")
        .await;
    let booker = app
        .member_token(&admin, &org, "jasen@example.fi", "BOOKER")
        .await;

    let members = app
        .graphql(
            Some(&booker),
            "query($id: ID!) { organisation(id: $id) { members { role user { email id } } } }",
            json!({ "id": org }),
        )
        .await;
    let members = members["organisation"]["members"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(members.len(), 2);
    let outsider = app.token_for("ulkopuolinen@example.fi", false).await;
    let hidden = app
        .graphql(
            Some(&outsider),
            "query($id: ID!) { organisation(id: $id) { members { role } } }",
            json!({ "id": org }),
        )
        .await;
    assert_eq!(hidden["organisation"]["members"], json!([]));

    let error = app
        .graphql_error(
            Some(&booker),
            "mutation($input: AddMemberInput!) { addMember(input: $input) { id } }",
            json!({ "input": { "organisationId": org, "email": "uusi@example.fi", "role": "ADMIN" } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");

    let admin_id = members.iter().find(|m| m["role"] == "ADMIN").unwrap()["user"]["id"].clone();
    let error = app
        .graphql_error(
            Some(&admin),
            "mutation($org: ID!, $user: ID!) { removeMember(organisationId: $org, userId: $user) { id } }",
            json!({ "org": org, "user": admin_id }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "CONFLICT");
}

#[tokio::test]
async fn organisations_page_with_cursors() {
    let app = spawn_app().await;
    let coordinator = app.coordinator().await;
    for i in 0..7 {
        app.create_organisation(&coordinator, "NGO", &format!("Yhdistys {i}"), "Lahti")
            .await;
    }
    let query = "query($after: String) { organisations(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name { fi } } } } }";
    let mut after = serde_json::Value::Null;
    let mut names = Vec::new();
    loop {
        let page = app.graphql(None, query, json!({ "after": after })).await;
        let connection = &page["organisations"];
        assert_eq!(connection["totalCount"], 7);
        names.extend(
            connection["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["name"]["fi"].as_str().unwrap().to_string()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        names,
        (0..7).map(|i| format!("Yhdistys {i}")).collect::<Vec<_>>()
    );
    let error = app
        .graphql_error(
            None,
            "{ organisations(first: 101) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["field"], "first");
    let error = app
        .graphql_error(
            None,
            "{ organisations(after: \"garbage\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["field"], "after");
}
