//! Starting a test server and talking GraphQL to it.
use std::sync::Arc;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use yhteistila::config::Config;
use yhteistila::domain::contact::EmailAddress;
use yhteistila::domain::localized::Language;
use yhteistila::graphql::context::AppState;
use yhteistila::server::Application;
use yhteistila::service::users;

/// A database that exists for one test only.
enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let admin = Database::connect(admin_url).await.ok()?;
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok()
                })
            })
            .join();
        }
    }
}

async fn test_database() -> (TestDatabase, String) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("yt_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str())
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let (base, _) = admin_url
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL ends with /database");
            let url = format!("{base}/{name}");
            (TestDatabase::Postgres { admin_url, name }, url)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (TestDatabase::Sqlite(dir), url)
        }
    }
}

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The server's state, for setting up users and tokens.
    pub state: Arc<AppState>,
    config: Config,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    mail_dir: tempfile::TempDir,
    _database: TestDatabase,
}

/// Starts a server on a free port with a fresh, migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with the configuration changed by `configure` first. Mail goes
/// into a temporary directory unless `configure` sets an SMTP server.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let (database, url) = test_database().await;
    let mail_dir = tempfile::tempdir().expect("mail directory");
    let mut config = Config::for_database(url);
    config.mail.mail_dir = mail_dir.path().to_path_buf();
    config.mail.poll = std::time::Duration::from_millis(100);
    configure(&mut config);
    let (address, state, server) = start(&config).await;
    TestApp {
        address,
        client: reqwest::Client::new(),
        state,
        config,
        server,
        mail_dir,
        _database: database,
    }
}

async fn start(
    config: &Config,
) -> (
    String,
    Arc<AppState>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let app = Application::build(config).await.expect("build application");
    let address = format!("http://{}", app.local_addr().expect("bound address"));
    let state = app.state();
    (
        address,
        state,
        tokio::spawn(app.run_until(std::future::pending())),
    )
}

impl TestApp {
    /// Where mail goes when no SMTP server is configured.
    pub fn mail_dir(&self) -> &std::path::Path {
        self.mail_dir.path()
    }

    /// Kills the server and its mail worker at once, as a crash would (whatever they
    /// were doing is dropped mid-way), and starts it again on the same database.
    pub async fn crash_and_restart(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
        let (address, state, server) = start(&self.config).await;
        (self.address, self.state, self.server) = (address, state, server);
    }

    /// Sends a GraphQL request and returns the HTTP status and JSON body.
    pub async fn graphql_raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        (status, response.json().await.expect("JSON response"))
    }

    /// Sends a GraphQL request that must succeed and returns its `data`.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_raw(token, query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Sends a GraphQL request that must fail and returns its first error.
    pub async fn graphql_error(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (_, body) = self.graphql_raw(token, query, variables).await;
        body["errors"][0].clone()
    }

    /// Creates a user (if new) and an API token for them.
    pub async fn token_for(&self, email: &str, coordinator: bool) -> String {
        let user = users::find_or_create_user(
            &self.state.db,
            users::NewUser {
                email: EmailAddress::parse("email", email).expect("valid email"),
                name: None,
                language: Language::Fi,
                coordinator,
            },
        )
        .await
        .expect("user");
        users::create_token(&self.state.db, user.id, "test")
            .await
            .expect("token")
            .1
    }

    /// A token of the region's coordinator.
    pub async fn coordinator(&self) -> String {
        self.token_for("koordinaattori@example.fi", true).await
    }

    /// Creates an organisation as the coordinator and returns its id.
    pub async fn create_organisation(
        &self,
        coordinator: &str,
        kind: &str,
        name: &str,
        municipality: &str,
    ) -> String {
        let data = self
            .graphql(
                Some(coordinator),
                "mutation($input: OrganisationInput!) { createOrganisation(input: $input) { id } }",
                json!({ "input": { "kind": kind, "name": { "fi": name }, "municipality": municipality } }),
            )
            .await;
        data["createOrganisation"]["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// Adds a member with `role` to an organisation and returns their token.
    pub async fn member_token(
        &self,
        coordinator: &str,
        organisation: &str,
        email: &str,
        role: &str,
    ) -> String {
        self.graphql(
            Some(coordinator),
            "mutation($input: AddMemberInput!) { addMember(input: $input) { id } }",
            json!({ "input": { "organisationId": organisation, "email": email, "role": role } }),
        )
        .await;
        self.token_for(email, false).await
    }

    /// Creates a facility with `input` merged over a valid default, returning its id.
    pub async fn create_facility(&self, token: &str, owner: &str, overrides: Value) -> String {
        let data = self
            .graphql(
                Some(token),
                "mutation($owner: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input) { id } }",
                json!({ "owner": owner, "input": facility_input(overrides) }),
            )
            .await;
        data["createFacility"]["id"]
            .as_str()
            .expect("id")
            .to_string()
    }

    /// Opens `facility` from `opens` to `closes` every day of the week.
    pub async fn open_daily(&self, manager: &str, facility: &str, opens: &str, closes: &str) {
        let hours: Vec<Value> = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
            .iter()
            .map(|d| json!({ "weekday": d, "opens": opens, "closes": closes }))
            .collect();
        self.graphql(
            Some(manager),
            "mutation($id: ID!, $hours: [OpeningIntervalInput!]!) { setOpeningHours(facilityId: $id, hours: $hours) { id } }",
            json!({ "id": facility, "hours": hours }),
        )
        .await;
    }

    /// The number of SQL statements the server has run so far (from `/metrics`).
    pub async fn query_count(&self) -> u64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix("yhteistila_db_queries_total "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// A valid facility input with `overrides` merged in at the top level.
pub fn facility_input(overrides: Value) -> Value {
    let mut input = json!({
        "name": { "fi": "Kerhohuone", "sv": "Klubbrum", "en": "Club room" },
        "type": "CLUB_ROOM",
        "streetAddress": "Rautatienkatu 1",
        "postalCode": "15110",
        "municipality": "Lahti",
        "capacity": 20,
        "contact": { "name": "Liisa Virtanen", "email": "liisa@example.fi", "phone": "+358 40 123 4567", "public": false },
        "whoMayBook": "EVERYONE",
        "freeForNonProfit": true,
        "rules": { "slotGranularityMinutes": 30, "approvalRequired": false }
    });
    if let (Some(base), Value::Object(changes)) = (input.as_object_mut(), overrides) {
        base.extend(changes);
    }
    input
}
