//! Calendar feed benchmark: `/ical/events.ics` with 10,000 events (a tenth of them weekly
//! series with a cancelled and a moved occurrence), against Python's `icalendar`
//! serialising the same events on the same machine.
//!
//! Run with `cargo bench --bench feeds` (see `bench/README.md`); without `--bench` (as
//! `cargo test --all-targets` runs it) it does nothing. The server runs in this process on
//! 127.0.0.1; SQLite always (a temporary file), PostgreSQL in a fresh database, dropped
//! afterwards, when `BENCH_DATABASE_URL` is set. `BENCH_PYTHON` is a Python with
//! `icalendar` (default `python3`).
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, DurationRound, NaiveDateTime, TimeZone, Utc};
use entity::{event, event_occurrence};
use sea_orm::{ActiveValue::Set, ConnectionTrait, Database, EntityTrait};
use serde_json::{Value, json};
use yhteistila::config::Config;
use yhteistila::domain::localized::LocalizedText;
use yhteistila::domain::organisation::OrganisationKind;
use yhteistila::domain::recurrence::{RecurrenceRule, expand};
use yhteistila::server::Application;
use yhteistila::service::organisations::{self, OrganisationSpec};

/// Events in the feed.
const EVENTS: usize = 10_000;
/// Every this many events is a weekly series of [`SERIES_COUNT`] occurrences.
const SERIES_EVERY: usize = 10;
const SERIES_COUNT: u32 = 8;
/// Timed full fetches and conditional fetches.
const RUNS: usize = 7;
const GOAL_SPEED_UP: f64 = 10.0;
const GOAL_QUERIES: u64 = 10;

/// Where each calendar item begins in the body.
const VEVENT: &[u8] = b"BEGIN:VEVENT";

const HELSINKI: chrono_tz::Tz = chrono_tz::Europe::Helsinki;

fn main() -> ExitCode {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("feeds: skipped; run it with `cargo bench --bench feeds`");
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if runtime.block_on(run()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One generated event, as both sides get it.
struct Spec {
    id: i64,
    title: String,
    summary: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    rule: Option<String>,
}

fn specs(now: DateTime<Utc>) -> Vec<Spec> {
    // Four single events a day over the coming year; series start at 18:00 local time, so
    // that no occurrence falls in the spring gap.
    let at = |i: usize| now + Span::hours(6 * (i as i64 % (4 * 360))) + Span::days(1);
    (0..EVENTS)
        .map(|i| {
            let series = i % SERIES_EVERY == 0;
            let start = if series {
                let evening = local(at(i)).date().and_hms_opt(18, 0, 0).expect("18:00");
                HELSINKI
                    .from_local_datetime(&evening)
                    .single()
                    .expect("18:00 exists")
                    .to_utc()
            } else {
                at(i)
            };
            Spec {
                id: i as i64 + 1,
                title: format!(
                    "Tapahtuma {i}: Päijät-Hämeen järjestöjen ilta, osa {}",
                    i % 7
                ),
                summary: format!(
                    "Tervetuloa! Keskustelua, kahvia; ohjelmaa kaikenikäisille. Tapahtuma nro {i}."
                ),
                start,
                end: start + Span::hours(2),
                rule: series.then(|| format!("FREQ=WEEKLY;COUNT={SERIES_COUNT}")),
            }
        })
        .collect()
}

fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&HELSINKI).naive_local()
}

async fn seed(db: &impl ConnectionTrait, organiser: i64, user: i64, specs: &[Spec]) {
    let now = Utc::now();
    for chunk in specs.chunks(400) {
        let events = chunk.iter().map(|s| event::ActiveModel {
            id: Set(s.id),
            organiser_id: Set(organiser),
            created_by: Set(user),
            slug: Set(format!("tapahtuma-{}", s.id)),
            title_fi: Set(Some(s.title.clone())),
            title_sv: Set(None),
            title_en: Set(None),
            summary_fi: Set(Some(s.summary.clone())),
            summary_sv: Set(None),
            summary_en: Set(None),
            description_fi: Set(None),
            description_sv: Set(None),
            description_en: Set(None),
            time_zone: Set("Europe/Helsinki".into()),
            starts_at: Set(s.start),
            ends_at: Set(s.end),
            recurrence_rule: Set(s.rule.clone()),
            exception_dates: Set("[]".into()),
            place_name: Set(Some("Kauppatori".into())),
            street_address: Set(Some("Kauppakatu 1".into())),
            postal_code: Set(Some("15140".into())),
            municipality_code: Set("398".into()),
            latitude: Set(Some(60.983)),
            longitude: Set(Some(25.656)),
            online_url: Set(None),
            status: Set("SCHEDULED".into()),
            status_reason: Set(None),
            visibility: Set("PUBLIC".into()),
            publication: Set("PUBLISHED".into()),
            published_at: Set(Some(now)),
            themes: Set(1 | 2),
            target_groups: Set(1),
            languages: Set(1),
            is_free: Set(true),
            price_fi: Set(None),
            price_sv: Set(None),
            price_en: Set(None),
            registration_url: Set(None),
            registration_capacity: Set(None),
            accessibility: Set(0),
            accessibility_info_fi: Set(None),
            accessibility_info_sv: Set(None),
            accessibility_info_en: Set(None),
            min_age: Set(None),
            max_age: Set(None),
            keywords: Set("[]".into()),
            image_url: Set(None),
            info_url: Set(None),
            search_text: Set(s.title.to_lowercase()),
            sequence: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        });
        event::Entity::insert_many(events)
            .exec(db)
            .await
            .expect("insert events");
        let mut occurrences = Vec::new();
        for s in chunk {
            let Some(rule) = &s.rule else {
                occurrences.push((s.id, None, s.start, s.end, "SCHEDULED"));
                continue;
            };
            let rule = RecurrenceRule::parse(rule).expect("rule");
            let expanded = expand(
                &rule,
                local(s.start),
                local(s.end) - local(s.start),
                HELSINKI,
                &[],
            )
            .expect("expand");
            for (n, o) in expanded.iter().enumerate() {
                let range = o.range().expect("an existing local time");
                // The third occurrence is cancelled, the fifth moved an hour later.
                let (start, end, status) = match n {
                    2 => (range.start(), range.end(), "CANCELLED"),
                    4 => (
                        range.start() + Span::hours(1),
                        range.end() + Span::hours(1),
                        "RESCHEDULED",
                    ),
                    _ => (range.start(), range.end(), "SCHEDULED"),
                };
                let id = o.local_start().format("%Y-%m-%dT%H:%M:%S").to_string();
                occurrences.push((s.id, Some(id), start, end, status));
            }
        }
        for rows in occurrences.chunks(1000) {
            let rows =
                rows.iter().map(
                    |(event, id, start, end, status)| event_occurrence::ActiveModel {
                        event_id: Set(*event),
                        recurrence_id: Set(id.clone()),
                        starts_at: Set(*start),
                        ends_at: Set(*end),
                        status: Set((*status).into()),
                        status_reason: Set(None),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                );
            event_occurrence::Entity::insert_many(rows)
                .exec(db)
                .await
                .expect("insert occurrences");
        }
    }
    // As autovacuum (PostgreSQL) would soon after such an insert: the planner gets the
    // tables' statistics instead of guessing from empty ones.
    db.execute_unprepared("ANALYZE")
        .await
        .expect("analyze the seeded tables");
}

/// The same events for Python, as JSON.
fn python_input(specs: &[Spec]) -> Value {
    let events: Vec<Value> = specs
        .iter()
        .map(|s| {
            let local = |t: DateTime<Utc>| local(t).format("%Y-%m-%dT%H:%M:%S").to_string();
            json!({ "uid": format!("event-{}@bench", s.id), "summary": s.title, "description": s.summary,
                "start": local(s.start), "end": local(s.end), "rule": s.rule,
                "location": "Kauppatori, Kauppakatu 1, 15140 Lahti", "categories": ["Osallisuus ja yhteisöllisyys", "Mielen hyvinvointi", "Lapset ja perheet"] })
        })
        .collect();
    json!({ "events": events })
}

/// The server's SQL statement count, from `/metrics`.
async fn queries(client: &reqwest::Client, base: &str) -> u64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| line.strip_prefix("yhteistila_db_queries_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("the query counter")
}

/// VmRSS or VmHWM of this process in bytes.
fn memory(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

struct Figures {
    full: Duration,
    not_modified: Duration,
    bytes: usize,
    vevents: usize,
    full_queries: u64,
    not_modified_queries: u64,
    peak_growth: u64,
}

async fn measure(backend: &str, url: &str, specs: &[Spec]) -> Figures {
    let app = Application::build(&Config::for_database(url))
        .await
        .expect("build");
    let base = format!("http://{}", app.local_addr().expect("address"));
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));
    let user = yhteistila::service::users::find_or_create_user(
        &state.db,
        yhteistila::service::users::NewUser {
            email: yhteistila::domain::contact::EmailAddress::parse("email", "bench@example.fi")
                .expect("email"),
            name: None,
            language: yhteistila::domain::localized::Language::Fi,
            coordinator: true,
        },
    )
    .await
    .expect("user");
    let organiser = organisations::create(
        &state.db,
        OrganisationSpec {
            kind: OrganisationKind::Ngo,
            name: LocalizedText::optional(Some("Lahden Martat".into()), None, None),
            business_id: None,
            municipality_code: "398".into(),
            description: LocalizedText::default(),
            contact_email: None,
            contact_phone: None,
            website: None,
        },
    )
    .await
    .expect("organisation");
    let seeded = Instant::now();
    seed(&state.db, organiser.id.0, user.id.0, specs).await;
    println!(
        "[{backend}] seeded {EVENTS} events in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );
    let client = reqwest::Client::new();
    let feed = format!("{base}/ical/events.ics");
    let mut full = Vec::new();
    let (mut bytes, mut etag, mut full_queries, mut peak_growth) = (0, String::new(), 0, 0);
    for _ in 0..RUNS {
        // Resets the peak so that VmHWM tells the most memory this fetch took.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before_rss = memory("VmRSS:");
        let before = queries(&client, &base).await;
        let started = Instant::now();
        let mut response = client.get(&feed).send().await.expect("feed");
        etag = response.headers()["etag"]
            .to_str()
            .expect("etag")
            .to_string();
        // Read piece by piece, so the client keeps no copy of the body.
        let mut size = 0;
        while let Some(chunk) = response.chunk().await.expect("body") {
            size += chunk.len();
        }
        full.push(started.elapsed());
        full_queries = queries(&client, &base).await - before;
        peak_growth = memory("VmHWM:").saturating_sub(before_rss);
        bytes = size;
    }
    // Counted once more, untimed: the VEVENTs of the whole body.
    let body = client
        .get(&feed)
        .send()
        .await
        .expect("feed")
        .bytes()
        .await
        .expect("body");
    let vevents = body.windows(VEVENT.len()).filter(|w| *w == VEVENT).count();
    let mut not_modified = Vec::new();
    let mut not_modified_queries = 0;
    for _ in 0..RUNS {
        let before = queries(&client, &base).await;
        let started = Instant::now();
        let response = client
            .get(&feed)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("feed");
        assert_eq!(response.status(), reqwest::StatusCode::NOT_MODIFIED);
        not_modified.push(started.elapsed());
        not_modified_queries = queries(&client, &base).await - before;
    }
    Figures {
        full: median(full),
        not_modified: median(not_modified),
        bytes,
        vevents,
        full_queries,
        not_modified_queries,
        peak_growth,
    }
}

/// Python's `icalendar` building and serialising the same events: (seconds, bytes).
fn python(specs: &[Spec], dir: &std::path::Path) -> (Duration, usize) {
    let input = dir.join("events.json");
    std::fs::write(&input, python_input(specs).to_string()).expect("write events");
    let python = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/feeds_python.py");
    let output = Command::new(python)
        .arg(script)
        .arg(&input)
        .arg(RUNS.to_string())
        .output()
        .expect("run Python");
    assert!(
        output.status.success(),
        "the Python side failed (is icalendar installed?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("Python's JSON");
    (
        Duration::from_secs_f64(answer["seconds"].as_f64().expect("seconds")),
        answer["bytes"].as_u64().expect("bytes") as usize,
    )
}

async fn run() -> bool {
    println!(
        "machine: {} cores; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let now = Utc::now();
    let specs = specs(now.duration_trunc(Span::hours(1)).unwrap_or(now));
    let dir = tempfile::tempdir().expect("temporary directory");
    let (py_time, py_bytes) = python(&specs, dir.path());
    println!(
        "Python icalendar: {:.0} ms (median of {RUNS}) to build and serialise {EVENTS} events, {:.1} MB",
        py_time.as_secs_f64() * 1000.0,
        py_bytes as f64 / 1e6
    );
    let mut backends = vec![(
        "SQLite".to_string(),
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("feeds.db").display()
        ),
    )];
    let admin = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let name = format!("yt_bench_feeds_{}", uuid::Uuid::new_v4().simple());
    if let Some(admin) = &admin {
        let db = Database::connect(admin.as_str())
            .await
            .expect("connect to BENCH_DATABASE_URL");
        db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create");
        let (server, _) = admin.rsplit_once('/').expect("a database URL");
        backends.push(("PostgreSQL".into(), format!("{server}/{name}")));
    }
    let mut passed = true;
    for (backend, url) in &backends {
        let f = measure(backend, url, &specs).await;
        let speed_up = py_time.as_secs_f64() / f.full.as_secs_f64();
        println!(
            "[{backend}] full feed: {:.0} ms (median of {RUNS}), {:.1} MB, {} VEVENTs, {} SQL statements; \
             304: {:.2} ms, {} statements; peak memory growth during a fetch {:.1} MB",
            f.full.as_secs_f64() * 1000.0,
            f.bytes as f64 / 1e6,
            f.vevents,
            f.full_queries,
            f.not_modified.as_secs_f64() * 1000.0,
            f.not_modified_queries,
            f.peak_growth as f64 / 1e6
        );
        let verdicts = [
            (
                format!(
                    "≥ {GOAL_SPEED_UP}× Python's icalendar (HTTP fetch incl. SQL vs. serialising only): {speed_up:.1}×"
                ),
                speed_up >= GOAL_SPEED_UP,
            ),
            (
                format!(
                    "a constant, small number of statements (≤ {GOAL_QUERIES}): {}",
                    f.full_queries
                ),
                f.full_queries <= GOAL_QUERIES,
            ),
            (
                format!(
                    "304 without reading the rows: {} statements, {:.2} ms",
                    f.not_modified_queries,
                    f.not_modified.as_secs_f64() * 1000.0
                ),
                f.not_modified_queries < f.full_queries,
            ),
            (
                format!(
                    "streamed, not three copies: peak growth {:.1} MB < 2 × feed {:.1} MB",
                    f.peak_growth as f64 / 1e6,
                    f.bytes as f64 / 1e6
                ),
                (f.peak_growth as usize) < 2 * f.bytes,
            ),
        ];
        for (what, ok) in verdicts {
            println!("[{backend}] {} {what}", if ok { "PASS" } else { "FAIL" });
            passed &= ok;
        }
    }
    if let Some(admin) = &admin {
        let db = Database::connect(admin.as_str())
            .await
            .expect("connect to BENCH_DATABASE_URL");
        let _ = db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
    passed
}
