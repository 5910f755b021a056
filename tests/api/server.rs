//! The HTTP surface: health, metrics, limits, authentication and error codes.
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_check_reaches_the_database() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn metrics_count_requests_and_errors_by_code() {
    let app = spawn_app().await;
    app.graphql(None, "{ municipalities { code } }", json!({}))
        .await;
    app.graphql_error(None, "{ facility(id: \"999\") { id } }", json!({}))
        .await;
    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("yhteistila_http_requests_total{route=\"/graphql\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("yhteistila_graphql_errors_total{code=\"NOT_FOUND\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("yhteistila_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn unknown_or_revoked_tokens_are_unauthenticated() {
    let app = spawn_app().await;
    let (status, body) = app
        .graphql_raw(Some("yt_not-a-token"), "{ me { user { id } } }", json!({}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    let token = app.token_for("aino@example.fi", false).await;
    let me = app
        .graphql(
            Some(&token),
            "{ me { user { email } apiTokens { id name } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["user"]["email"], "aino@example.fi");
    let token_id = me["me"]["apiTokens"][0]["id"].clone();
    let revoked = app
        .graphql(
            Some(&token),
            "mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }",
            json!({ "id": token_id }),
        )
        .await;
    assert!(revoked["revokeApiToken"]["revokedAt"].is_string());
    let (status, _) = app
        .graphql_raw(Some(&token), "{ me { user { id } } }", json!({}))
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_created_token_is_shown_once_and_works() {
    let app = spawn_app().await;
    let token = app.token_for("aino@example.fi", false).await;
    let created = app
        .graphql(
            Some(&token),
            "mutation { createApiToken(name: \"kalenteri\") { secret token { name } } }",
            json!({}),
        )
        .await;
    let secret = created["createApiToken"]["secret"].as_str().unwrap();
    let me = app
        .graphql(Some(secret), "{ me { user { email } } }", json!({}))
        .await;
    assert_eq!(me["me"]["user"]["email"], "aino@example.fi");
    let anonymous = app
        .graphql(None, "{ me { user { email } } }", json!({}))
        .await;
    assert!(anonymous["me"].is_null());
}

#[tokio::test]
async fn query_errors_carry_a_code() {
    let app = spawn_app().await;
    let error = app.graphql_error(None, "{ nosuchfield }", json!({})).await;
    assert_eq!(error["extensions"]["code"], "VALIDATION");
    let error = app
        .graphql_error(
            None,
            "{ facilities(filter: { types: [CASTLE] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION");
}

#[tokio::test]
async fn too_deep_queries_are_refused() {
    let app = spawn_app().await;
    let nested = "{ facilities { edges { node { owner { members { user { id } } } invitedOrganisations { members { user { name } } } } } } }";
    // The nested query is within limits; an absurdly deep introspection query is not.
    app.graphql(None, nested, json!({})).await;
    let too_deep = format!(
        "{{ __schema {{ types {{ {} name {} }} }} }}",
        "fields { type { ofType { ".repeat(6),
        "} } } ".repeat(6)
    );
    let error = app.graphql_error(None, &too_deep, json!({})).await;
    assert_eq!(error["extensions"]["code"], "VALIDATION");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{error}"
    );
}

#[tokio::test]
async fn large_bodies_are_refused() {
    let app = spawn_app().await;
    let padding = "a".repeat(300 * 1024);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(
            &json!({ "query": "{ municipalities { code } }", "variables": { "padding": padding } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn refreshing_statistics_gives_sqlites_planner_row_counts_but_no_value_samples() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Sqlite {
        // PostgreSQL's autovacuum keeps its own statistics.
        return;
    }
    let coordinator = app.coordinator().await;
    for name in [
        "Lahden Martat",
        "Hollolan Kyläyhdistys",
        "Orimattilan Eläkeläiset",
    ] {
        app.create_organisation(&coordinator, "NGO", name, "Lahti")
            .await;
    }
    yhteistila::service::database::refresh_statistics(db)
        .await
        .expect("statistics refreshed");
    let count = async |sql: &str| {
        db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .expect("the statistics tables exist once the tables are analysed")
            .expect("a row")
            .try_get::<i64>("", "n")
            .expect("n")
    };
    assert!(count("SELECT COUNT(*) AS n FROM sqlite_stat1 WHERE tbl = 'organisation'").await > 0);
    // Value samples would make SQLite recompile cached statements whenever their bound
    // values change; only the row counts are kept.
    assert_eq!(count("SELECT COUNT(*) AS n FROM sqlite_stat4").await, 0);
}

#[tokio::test]
async fn sqlite_is_built_to_keep_the_plans_of_cached_statements() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let db = &app.state.db;
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    // Without the planner's stability guarantee SQLite compiles a cached statement
    // afresh each time a `LIMIT ?` (every `.one()` and page) is bound again.
    let used = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used",
        ))
        .await
        .expect("compile options")
        .expect("a row")
        .try_get::<i64>("", "used")
        .expect("used");
    assert_eq!(used, 1, "the bundled SQLite lacks SQLITE_ENABLE_QPSG");
}
