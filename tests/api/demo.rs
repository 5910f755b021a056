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
    let second = yhteistila::demo::seed(app.state.clone())
        .await
        .expect("seed again");
    assert_eq!((second.organisations, second.facilities), (0, 0));

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
}
