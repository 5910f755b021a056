//! The `yhteistila` command as an operator uses it.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn yhteistila(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yhteistila"));
    command
        .env("DATABASE_URL", database)
        .env("LISTEN_ADDR", "127.0.0.1:0");
    command
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_yhteistila"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(output.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(String::from_utf8(output.stdout).unwrap() == committed);
}

#[tokio::test]
async fn serve_answers_and_shuts_down_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());

    let token = yhteistila(&database)
        .args([
            "token",
            "create",
            "--email",
            "koordinaattori@example.fi",
            "--coordinator",
        ])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("yt_") && token.len() > 40, "{token}");

    let mut server = yhteistila(&database)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let graphiql = lines.next().unwrap().unwrap();
    let address = graphiql
        .strip_prefix("GraphiQL: ")
        .unwrap()
        .trim_end_matches("/graphql")
        .to_string();

    let client = reqwest::Client::new();
    let me: serde_json::Value = client
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "query": "{ me { user { email coordinator } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["data"]["me"]["user"]["coordinator"], true);

    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            waited < Duration::from_secs(15),
            "the server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert!(status.success(), "{status}");
}
