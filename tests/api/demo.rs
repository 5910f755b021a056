//! The demo data set loads through the API, once.
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn demo_data_loads_once_and_answers_the_readme_query() {
    let app = spawn_app().await;
    let first = yhteistila::demo::seed(app.state.clone())
        .await
        .expect("seed");
    assert!(first.organisations >= 28, "{first}");
    assert!(first.facilities >= 40, "{first}");
    assert!(first.events >= 5, "{first}");
    let second = yhteistila::demo::seed(app.state.clone())
        .await
        .expect("seed again");
    assert_eq!(
        (second.organisations, second.facilities, second.events),
        (0, 0, 0)
    );

    let data = app
        .graphql(None, "{ facilities(filter: { municipality: \"Hollola\" }) { totalCount edges { node { address { municipality { nameFi } } owner { name { fi } } } } } }", json!({}))
        .await;
    let hollola = &data["facilities"];
    assert!(hollola["totalCount"].as_i64().unwrap() >= 2);
    for edge in hollola["edges"].as_array().unwrap() {
        assert_eq!(edge["node"]["address"]["municipality"]["nameFi"], "Hollola");
    }
    let all = app
        .graphql(
            None,
            "{ municipalities { code } facilities { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(all["municipalities"].as_array().unwrap().len(), 10);

    // Residents find the co-hosted events, a cancelled one marked so, and whom to ask.
    let events = app
        .graphql(
            None,
            "{ events(first: 50) { edges { node { title { fi } status cohosts { organisation { kind } } venues { owner { kind } } } } } cooperationContacts(municipality: \"Lahti\") { role } }",
            json!({}),
        )
        .await;
    let nodes: Vec<&serde_json::Value> = events["events"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let in_municipal_hall = nodes
        .iter()
        .find(|n| {
            n["venues"][0]["owner"]["kind"] == "MUNICIPALITY"
                && n["cohosts"].as_array().unwrap().len() == 2
        })
        .expect("an event co-hosted in a municipal hall");
    let cohost_kinds: Vec<&str> = in_municipal_hall["cohosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["organisation"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(cohost_kinds, ["NGO", "RELIGIOUS_COMMUNITY"]);
    assert!(nodes.iter().any(|n| n["status"] == "CANCELLED"));
    let roles: Vec<&str> = events["cooperationContacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "REGIONAL_COORDINATOR",
            "MUNICIPAL_ASSOCIATION_CONTACT",
            "ORGANISATION_CONTACT"
        ]
    );
}
