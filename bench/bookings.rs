//! Bookings benchmark: `createBooking` throughput over HTTP against a bare insert into
//! the same constrained table, and `findAvailableFacilities` latency as bookings grow
//! (1k, 100k, 1M) against hand-written SQL for the same question.
//!
//! Run with `cargo bench --bench bookings` (see `bench/README.md`). Without `--bench`
//! (as `cargo test --all-targets` runs it) it does nothing.
//!
//! Like `bench/foundation.rs`, whose process handling it repeats (bench targets share no
//! code), it drives the real `yhteistila` binary as a child process on 127.0.0.1 only:
//! `$YHTEISTILA_BIN`, else `CARGO_BIN_EXE_yhteistila`, else `cargo build --release`.
//! SQLite always runs (a temporary file); PostgreSQL runs in a fresh database, dropped
//! afterwards, when `BENCH_DATABASE_URL` is set. The PostgreSQL baseline is `pgbench`.
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Days, NaiveTime, TimeZone, Utc, Weekday};
use rand::Rng;
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, Value as DbValue,
};
use serde_json::{Value, json};
use yhteistila::service::facilities::FacilityCache;
use yhteistila::service::search::{KnownHorizon, keep_open_ranges_ahead};

/// Longest wait for a child process to answer or to exit.
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);
/// Warm-up before each throughput measurement.
const WARM_UP: Duration = Duration::from_secs(1);
/// How long the mail of the bookings may take to go out before the baseline runs anyway.
const MAIL_TIMEOUT: Duration = Duration::from_secs(300);
/// Facilities created; the first [`Settings::booked_facilities`] take the `createBooking` load.
const FACILITIES: usize = 200;
/// Municipalities the facilities are spread over, round-robin; the search asks for the first.
const MUNICIPALITIES: [&str; 4] = ["Lahti", "Hollola", "Heinola", "Orimattila"];
/// Seeded booking slots per facility, each [`SLOT_HOURS`] long: 200 × 5000 = 1M bookings
/// spread over ±1.4 years around now.
const SLOTS: u64 = 5000;
const SLOT_HOURS: i64 = 5;
/// A stride coprime with [`SLOTS`]: slot `s` of a facility sits at `(s * STRIDE) % SLOTS`,
/// so that every prefix of the bookings is spread over the whole period.
const STRIDE: u64 = 2039;
/// Rows per bulk INSERT statement, and rows per transaction.
const INSERT_ROWS: u64 = 4000;
const TRANSACTION_ROWS: u64 = 100_000;
/// Search page size and minimum free stretch.
const SEARCH_FIRST: i64 = 20;
const SEARCH_MIN_MINUTES: i64 = 60;

const GOAL_CREATE_RATIO: f64 = 0.5;
const GOAL_SEARCH_GROWTH: f64 = 3.0;
const GOAL_SEARCH_VS_SQL: f64 = 2.0;

const SEARCH: &str = "query($filter: FacilityFilterInput, $from: String!, $to: String!, $min: Int!, $first: Int) {
  findAvailableFacilities(filter: $filter, from: $from, to: $to, minDurationMinutes: $min, first: $first) {
    edges { node { facility { id } freeTimes { start end } } }
  }
}";
const CREATE: &str =
    "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id status } }";

/// Knobs, from the environment.
struct Settings {
    seconds: u64,
    clients: usize,
    booked_facilities: usize,
    max_bookings: u64,
    search_runs: usize,
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        })
        .unwrap_or(default)
}

impl Settings {
    fn from_env() -> Self {
        let settings = Self {
            seconds: env_number("BENCH_SECONDS", 10),
            clients: env_number("BENCH_CLIENTS", 16),
            booked_facilities: env_number("BENCH_FACILITIES", 50),
            max_bookings: env_number("BENCH_MAX_BOOKINGS", 1_000_000),
            search_runs: env_number("BENCH_SEARCH_RUNS", 50),
        };
        assert!(settings.clients > 0 && settings.search_runs > 0);
        assert!((1..=FACILITIES).contains(&settings.booked_facilities));
        assert!(
            settings.max_bookings <= FACILITIES as u64 * SLOTS,
            "BENCH_MAX_BOOKINGS is at most {}",
            FACILITIES as u64 * SLOTS
        );
        settings
    }
}

fn main() -> ExitCode {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("bookings: skipped; run it with `cargo bench --bench bookings`");
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

async fn run() -> bool {
    let settings = Settings::from_env();
    let binary = server_binary();
    println!("binary: {}", binary.display());
    println!(
        "machine: {} cores, {}; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_average()
    );
    println!(
        "settings: {} s per throughput run, {} clients, {} booked facilities, up to {} seeded bookings, {} search runs",
        settings.seconds,
        settings.clients,
        settings.booked_facilities,
        settings.max_bookings,
        settings.search_runs
    );
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let mut reports =
        vec![run_backend("SQLite", &binary, &sqlite_url, dir.path(), &settings).await];
    if let Some(admin_url) = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let database = PostgresDatabase::create(&admin_url).await;
        reports
            .push(run_backend("PostgreSQL", &binary, &database.url, dir.path(), &settings).await);
        database.drop_now().await;
    }
    println!(
        "\n== summary ({:.0} s in all; load average now {})",
        started.elapsed().as_secs_f64(),
        load_average()
    );
    let mut passed = true;
    for report in &reports {
        passed &= report.print_verdicts();
    }
    passed
}

// ---------------------------------------------------------------------------------------
// One backend.

struct Report {
    backend: &'static str,
    http: Throughput,
    baseline: Throughput,
    baseline_name: &'static str,
    /// (bookings, GraphQL p50, SQL p50)
    search: Vec<(u64, Duration, Duration)>,
}

impl Report {
    fn print_verdicts(&self) -> bool {
        let mut verdicts = Vec::new();
        let ratio = self.http.rate / self.baseline.rate;
        verdicts.push((
            ratio >= GOAL_CREATE_RATIO,
            format!(
                "createBooking over HTTP {:.0}/s vs {} {:.0}/s = {:.0} % (goal ≥ {:.0} %)",
                self.http.rate,
                self.baseline_name,
                self.baseline.rate,
                ratio * 100.0,
                GOAL_CREATE_RATIO * 100.0
            ),
        ));
        if let (Some(first), Some(last)) = (self.search.first(), self.search.last())
            && self.search.len() > 1
        {
            let growth = last.1.as_secs_f64() / first.1.as_secs_f64();
            verdicts.push((
                growth <= GOAL_SEARCH_GROWTH,
                format!(
                    "findAvailableFacilities p50 with {} bookings {:.2} ms vs {} bookings {:.2} ms = {growth:.2}× (goal ≤ {GOAL_SEARCH_GROWTH}×)",
                    last.0,
                    ms(last.1),
                    first.0,
                    ms(first.1)
                ),
            ));
        }
        for (bookings, graphql, sql) in &self.search {
            let ratio = graphql.as_secs_f64() / sql.as_secs_f64();
            verdicts.push((
                ratio <= GOAL_SEARCH_VS_SQL,
                format!(
                    "findAvailableFacilities p50 over HTTP {:.2} ms vs hand-written SQL {:.2} ms with {bookings} bookings = {ratio:.2}× (goal ≤ {GOAL_SEARCH_VS_SQL}×)",
                    ms(*graphql),
                    ms(*sql)
                ),
            ));
        }
        println!("{}:", self.backend);
        for (passed, text) in &verdicts {
            println!("  {} {text}", if *passed { "PASS" } else { "FAIL" });
        }
        verdicts.iter().all(|(passed, _)| *passed)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn run_backend(
    backend: &'static str,
    binary: &Path,
    url: &str,
    logs: &Path,
    settings: &Settings,
) -> Report {
    println!("\n== {backend}");
    let started = Instant::now();
    run_tool(binary, url, logs, &["migrate"]).await;
    let output = run_tool(
        binary,
        url,
        logs,
        &[
            "token",
            "create",
            "--email",
            "bench@example.fi",
            "--coordinator",
        ],
    )
    .await;
    let token = output
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .expect("token create printed a token")
        .trim()
        .to_string();
    let server = Server::start(binary, url, logs, settings.clients).await;
    let setup = set_up(&server, &token).await;
    println!(
        "set up: {FACILITIES} facilities in {} municipalities in {:.1} s",
        MUNICIPALITIES.len(),
        started.elapsed().as_secs_f64()
    );
    let db = Database::connect(url)
        .await
        .expect("connect to the benchmark database");

    // createBooking over HTTP.
    let http = create_bookings(&server, &token, &setup, settings).await;
    println!("createBooking over HTTP: {}", http.summary());
    // The mail the bookings queued goes out before anything else is measured, so that
    // the baseline and the ceiling have the machine to themselves.
    mail_sent(&db).await;

    // The bare baseline on the same table.
    let booking_id = scalar_i64(&db, "SELECT MIN(id) FROM booking").await;
    let units = &setup.facility_ids[..settings.booked_facilities];
    let (baseline_name, baseline) = match db.get_database_backend() {
        DbBackend::Postgres => (
            "pgbench bare INSERT",
            pgbench(url, booking_id, units, settings, logs),
        ),
        _ => (
            "BEGIN IMMEDIATE check-and-insert loop",
            sqlite_loop(url, booking_id, units, settings).await,
        ),
    };
    println!("{baseline_name}: {}", baseline.summary());
    println!("ratio: {:.2}", http.rate / baseline.rate);
    let ceiling = authenticated_reads(&server, &token, settings).await;
    println!(
        "ceiling, `{{ me {{ user {{ id }} }} }}` over HTTP: {}; {:.2} of the baseline",
        ceiling.summary(),
        ceiling.rate / baseline.rate
    );

    // findAvailableFacilities as bookings grow.
    let search = if schema_has_search(binary, url, logs).await {
        // The timed direct statements run on a pool set up as the server's, so that they
        // pay what the server pays per statement and no more (sea-orm's default pings
        // every connection it hands out).
        let direct = yhteistila::service::database::connect(url, 1, Default::default())
            .await
            .expect("connect to the benchmark database");
        search_growth(&server, &db, &direct, &setup, settings).await
    } else {
        println!("findAvailableFacilities is not in the schema: search skipped");
        Vec::new()
    };
    server.stop().await;
    Report {
        backend,
        http,
        baseline,
        baseline_name,
        search,
    }
}

// ---------------------------------------------------------------------------------------
// Setting up facilities over GraphQL.

struct Setup {
    facility_ids: Vec<i64>,
    booker_org: String,
    user_id: i64,
}

async fn set_up(server: &Server, token: &str) -> Setup {
    let org = |kind: &str, name: &str| {
        server.graphql(
            Some(token),
            "mutation($input: OrganisationInput!) { createOrganisation(input: $input) { id } }",
            json!({ "input": { "kind": kind, "name": { "fi": name }, "municipality": "Lahti" } }),
        )
    };
    let owner = org("MUNICIPALITY", "Penkkikaupunki").await["createOrganisation"]["id"].clone();
    let booker = org("NGO", "Penkkiyhdistys").await["createOrganisation"]["id"]
        .as_str()
        .expect("organisation id")
        .to_string();
    let days = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let mut facility_ids = Vec::new();
    for i in 0..FACILITIES {
        let data = server
            .graphql(
                Some(token),
                "mutation($owner: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input) { id } }",
                json!({ "owner": owner, "input": {
                    "name": { "fi": format!("Penkkitila {i:03}") },
                    "description": { "fi": "Tila kuormitustestiin." },
                    "type": "MEETING_ROOM",
                    "streetAddress": format!("Penkkikatu {}", i + 1),
                    "postalCode": "15110",
                    "municipality": MUNICIPALITIES[i % MUNICIPALITIES.len()],
                    "capacity": 30,
                    "contact": { "name": "Liisa Virtanen", "email": "liisa@example.fi", "public": true },
                    "whoMayBook": "EVERYONE",
                    "freeForNonProfit": true,
                    "rules": { "slotGranularityMinutes": 15, "approvalRequired": false },
                } }),
            )
            .await;
        let id = data["createFacility"]["id"]
            .as_str()
            .expect("facility id")
            .to_string();
        // Round the clock for the facilities that take bookings (and one in four of the
        // rest), 07–22 for the others, so the search meets both shapes of open time.
        let (opens, closes) = if i < 50 || i % 4 == 1 {
            ("00:00", "24:00")
        } else {
            ("07:00", "22:00")
        };
        let hours: Vec<Value> = days
            .iter()
            .map(|d| json!({ "weekday": d, "opens": opens, "closes": closes }))
            .collect();
        server
            .graphql(
                Some(token),
                "mutation($id: ID!, $hours: [OpeningIntervalInput!]!) { setOpeningHours(facilityId: $id, hours: $hours) { id } }",
                json!({ "id": id, "hours": hours }),
            )
            .await;
        facility_ids.push(id.parse().expect("numeric facility id"));
    }
    let me = server
        .graphql(Some(token), "{ me { user { id } } }", json!({}))
        .await;
    let user_id = me["me"]["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("me { id }");
    Setup {
        facility_ids,
        booker_org: booker,
        user_id,
    }
}

// ---------------------------------------------------------------------------------------
// createBooking throughput.

struct Throughput {
    rate: f64,
    done: u64,
    conflicts: u64,
    elapsed: Duration,
    /// Sorted, when the driver measured each request.
    latencies: Vec<Duration>,
    /// Average latency, when only that is known (pgbench).
    average: Option<Duration>,
}

impl Throughput {
    fn percentile(&self, share: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        let index = (last as f64 * share).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }

    fn summary(&self) -> String {
        let latency = match self.average {
            Some(avg) => format!("average latency {:.2} ms", ms(avg)),
            None => format!(
                "p50 {:.2} ms, p99 {:.2} ms",
                ms(self.percentile(0.5)),
                ms(self.percentile(0.99))
            ),
        };
        format!(
            "{} in {:.1} s = {:.0}/s, {latency}, {} conflicts",
            self.done,
            self.elapsed.as_secs_f64(),
            self.rate,
            self.conflicts
        )
    }
}

/// Hands out free slots: per unit, successive hours from `base`.
struct Slots {
    base: DateTime<Utc>,
    next: Vec<AtomicU64>,
}

impl Slots {
    fn new(base: DateTime<Utc>, units: usize) -> Arc<Self> {
        Arc::new(Self {
            base,
            next: (0..units).map(|_| AtomicU64::new(0)).collect(),
        })
    }

    /// A random unit (index) and a free hour on it.
    fn take(&self) -> (usize, DateTime<Utc>, DateTime<Utc>) {
        let unit = rand::rng().random_range(0..self.next.len());
        let slot = self.next[unit].fetch_add(1, Ordering::Relaxed);
        let start = self.base + chrono::Duration::hours(slot as i64);
        (unit, start, start + chrono::Duration::hours(1))
    }
}

/// Runs `work` from `settings.clients` tasks for the warm-up, then measures it.
async fn warm_then_measure<F, Fut>(settings: &Settings, work: F) -> Throughput
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    drive(settings.clients, WARM_UP, work.clone()).await;
    drive(
        settings.clients,
        Duration::from_secs(settings.seconds),
        work,
    )
    .await
}

/// Runs `work` (true: done, false: conflict) on `clients` tasks for `duration`.
async fn drive<F, Fut>(clients: usize, duration: Duration, work: F) -> Throughput
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let work = work.clone();
            tokio::spawn(async move {
                let (mut latencies, mut conflicts) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if work().await {
                        latencies.push(sent.elapsed());
                    } else {
                        conflicts += 1;
                    }
                }
                (latencies, conflicts)
            })
        })
        .collect();
    let (mut latencies, mut conflicts) = (Vec::new(), 0);
    for task in tasks {
        let (l, c) = task.await.expect("load task");
        latencies.extend(l);
        conflicts += c;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Throughput {
        rate: latencies.len() as f64 / elapsed.as_secs_f64(),
        done: latencies.len() as u64,
        conflicts,
        elapsed,
        latencies,
        average: None,
    }
}

async fn create_bookings(
    server: &Server,
    token: &str,
    setup: &Setup,
    settings: &Settings,
) -> Throughput {
    let tomorrow = Utc::now().date_naive() + Days::new(1);
    let base = tomorrow.and_time(NaiveTime::MIN).and_utc();
    let facilities: Arc<Vec<String>> = Arc::new(
        setup.facility_ids[..settings.booked_facilities]
            .iter()
            .map(i64::to_string)
            .collect(),
    );
    let slots = Slots::new(base, facilities.len());
    let client = server.client.clone();
    let url = format!("{}/graphql", server.base);
    let (token, org) = (token.to_string(), setup.booker_org.clone());
    let work = move || {
        let (unit, start, end) = slots.take();
        let body = json!({ "query": CREATE, "variables": { "input": {
            "facilityId": facilities[unit], "organisationId": org,
            "start": start.to_rfc3339(), "end": end.to_rfc3339(), "title": "Kuormitustesti",
        } } });
        let request = client.post(&url).bearer_auth(&token).json(&body);
        async move {
            let body: Value = request
                .send()
                .await
                .expect("createBooking request")
                .json()
                .await
                .expect("createBooking JSON");
            match body.get("errors") {
                None => {
                    assert_eq!(body["data"]["createBooking"]["status"], "CONFIRMED");
                    true
                }
                Some(errors) if errors[0]["extensions"]["code"] == "CONFLICT" => false,
                Some(errors) => panic!("createBooking failed: {errors}"),
            }
        }
    };
    warm_then_measure(settings, work).await
}

/// The same clients sending the cheapest authenticated request, `{ me { user { id } } }`
/// (HTTP, GraphQL and the token's look-up, no write): a bound no mutation can pass on
/// this machine, to tell the cost of the booking's own work from that of the request.
async fn authenticated_reads(server: &Server, token: &str, settings: &Settings) -> Throughput {
    let client = server.client.clone();
    let url = format!("{}/graphql", server.base);
    let token = token.to_string();
    let work = move || {
        let request = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "query": "{ me { user { id } } }" }));
        async move {
            let body: Value = request
                .send()
                .await
                .expect("me request")
                .json()
                .await
                .expect("me JSON");
            assert!(body["data"]["me"]["user"]["id"].is_string(), "{body}");
            true
        }
    };
    warm_then_measure(settings, work).await
}

/// SQLite: the same number of tasks, on a pool configured as the server's, each doing
/// `BEGIN IMMEDIATE; SELECT overlap; INSERT occupancy; COMMIT` on a random free slot.
async fn sqlite_loop(url: &str, booking_id: i64, units: &[i64], settings: &Settings) -> Throughput {
    let db =
        yhteistila::service::database::connect(url, settings.clients as u32, Default::default())
            .await
            .expect("connect to the benchmark database");
    // Years ahead, clear of the bookings made over HTTP.
    let base = Utc::now().date_naive().and_time(NaiveTime::MIN).and_utc() + Days::new(3650);
    let slots = Slots::new(base, units.len());
    let units: Arc<Vec<i64>> = Arc::new(units.to_vec());
    let work = move || {
        let (db, slots, units) = (db.clone(), slots.clone(), units.clone());
        async move {
            let (unit, from, until) = slots.take();
            let unit = units[unit];
            let txn = db
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
                .expect("BEGIN IMMEDIATE");
            let taken = txn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "SELECT 1 FROM booking_occupancy WHERE unit_id = $1 \
                     AND blocked_from < $3 AND blocked_until > $2 LIMIT 1",
                    [unit.into(), from.into(), until.into()],
                ))
                .await
                .expect("overlap check");
            if taken.is_some() {
                txn.rollback().await.expect("ROLLBACK");
                return false;
            }
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO booking_occupancy (booking_id, unit_id, blocked_from, blocked_until) \
                 VALUES ($1, $2, $3, $4)",
                [booking_id.into(), unit.into(), from.into(), until.into()],
            ))
            .await
            .expect("INSERT occupancy");
            txn.commit().await.expect("COMMIT");
            true
        }
    };
    warm_then_measure(settings, work).await
}

/// PostgreSQL: pgbench with the same number of clients, each transaction one bare INSERT
/// into `booking_occupancy` (exclusion constraint and indexes in place) of a free hour on
/// a random unit: hour `n × clients + client_id` after a base years ahead, `n` counting
/// each client's transactions, so no two inserts overlap.
fn pgbench(
    url: &str,
    booking_id: i64,
    units: &[i64],
    settings: &Settings,
    logs: &Path,
) -> Throughput {
    let script = logs.join("insert.sql");
    std::fs::write(
        &script,
        "\\set unit random(1, :units)\n\
         \\set n :n + 1\n\
         \\set u :first_unit - 1 + :unit\n\
         \\set h :n * :clients + :client_id\n\
         INSERT INTO booking_occupancy (booking_id, unit_id, blocked_from, blocked_until) \
         VALUES (:booking, :u, \
         timestamptz '2040-01-01 00:00+00' + (:h)::int * interval '1 hour', \
         timestamptz '2040-01-01 00:00+00' + ((:h)::int + 1) * interval '1 hour');\n",
    )
    .expect("write the pgbench script");
    let first = units[0];
    assert!(
        units
            .iter()
            .enumerate()
            .all(|(i, u)| *u == first + i as i64),
        "the booked facilities have consecutive ids"
    );
    let run = |seconds: u64| {
        let output = Command::new("pgbench")
            .args(["-n", "-M", "prepared"])
            .args(["-c", &settings.clients.to_string()])
            .args(["-j", &settings.clients.min(2).to_string()])
            .args(["-T", &seconds.to_string()])
            .arg("-f")
            .arg(&script)
            .args(["-D", &format!("units={}", units.len())])
            .args(["-D", &format!("first_unit={first}")])
            .args(["-D", &format!("booking={booking_id}")])
            .args(["-D", &format!("clients={}", settings.clients)])
            // Each run starts its own counters: the warm-up's from far beyond.
            .args([
                "-D",
                &format!("n={}", if seconds == 1 { 10_000_000 } else { 0 }),
            ])
            .arg(url)
            .output()
            .expect("run pgbench (install postgresql-client)");
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            output.status.success() && !stdout.contains("aborted"),
            "pgbench failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    run(1);
    let stdout = run(settings.seconds);
    let field = |prefix: &str| {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("`{prefix}` in pgbench output:\n{stdout}"))
    };
    let rate = field("tps = ");
    let done = field("number of transactions actually processed: ");
    let failed = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("number of failed transactions: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Throughput {
        rate,
        done: done as u64,
        conflicts: failed,
        elapsed: Duration::from_secs(settings.seconds),
        latencies: Vec::new(),
        average: Some(Duration::from_secs_f64(field("latency average = ") / 1e3)),
    }
}

// ---------------------------------------------------------------------------------------
// findAvailableFacilities latency.

async fn schema_has_search(binary: &Path, url: &str, logs: &Path) -> bool {
    run_tool(binary, url, logs, &["schema"])
        .await
        .contains("findAvailableFacilities")
}

/// Waits until no message of the outbox is waiting to be sent (at most
/// [`MAIL_TIMEOUT`]) and says how long that took after the load.
async fn mail_sent(db: &DatabaseConnection) {
    let started = Instant::now();
    let waiting = "SELECT COUNT(*) FROM outbox WHERE status = 'PENDING'";
    let at_first = scalar_i64(db, waiting).await;
    let mut left = at_first;
    while left > 0 && started.elapsed() < MAIL_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = scalar_i64(db, waiting).await;
    }
    println!(
        "mail: {at_first} messages waited when the load ended, {left} {:.1} s later",
        started.elapsed().as_secs_f64()
    );
}

async fn scalar_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("scalar query")
        .and_then(|row| row.try_get_by_index::<Option<i64>>(0).ok().flatten())
        .unwrap_or(0)
}

async fn exec(db: &impl ConnectionTrait, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The search: the first municipality's facilities, 17–20 local time next Tuesday (a week
/// on if that is today or tomorrow), free for an hour.
struct Question {
    municipality: &'static str,
    municipality_code: String,
    from_local: String,
    to_local: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

async fn question(db: &DatabaseConnection) -> Question {
    let zone = chrono_tz::Europe::Helsinki;
    let mut day = Utc::now().with_timezone(&zone).date_naive() + Days::new(2);
    while day.weekday() != Weekday::Tue {
        day = day + Days::new(1);
    }
    let at = |h: u32| {
        zone.from_local_datetime(&day.and_hms_opt(h, 0, 0).expect("hour"))
            .single()
            .expect("an unambiguous local time")
            .with_timezone(&Utc)
    };
    let code = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT municipality_code FROM facility WHERE name_fi = 'Penkkitila 000'",
        ))
        .await
        .expect("municipality code")
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .expect("the first facility's municipality code");
    Question {
        municipality: MUNICIPALITIES[0],
        municipality_code: code,
        from_local: format!("{day}T17:00"),
        to_local: format!("{day}T20:00"),
        from: at(17),
        to: at(20),
    }
}

/// What an answer found, to check that GraphQL and SQL agree: (facility, free minutes).
type Found = Vec<(i64, i64)>;

async fn search_growth(
    server: &Server,
    db: &DatabaseConnection,
    direct: &DatabaseConnection,
    setup: &Setup,
    settings: &Settings,
) -> Vec<(u64, Duration, Duration)> {
    let backend = db.get_database_backend();
    // Start from no bookings: the throughput runs' holds go.
    for table in ["booking_history", "booking_occupancy", "booking"] {
        exec(db, &format!("DELETE FROM {table}")).await;
    }
    let question = question(db).await;
    println!(
        "search: facilities in {} free for {SEARCH_MIN_MINUTES} min in {} – {} local, first {SEARCH_FIRST}",
        question.municipality, question.from_local, question.to_local
    );
    let mut results = Vec::new();
    let mut seeded = 0;
    for size in [1_000, 100_000, 1_000_000] {
        if size > settings.max_bookings {
            println!(
                "{size} bookings: skipped (BENCH_MAX_BOOKINGS={})",
                settings.max_bookings
            );
            continue;
        }
        let started = Instant::now();
        seed_bookings(db, setup, seeded, size).await;
        seeded = size;
        // Statistics as the server's daily upkeep leaves them (on SQLite row counts
        // without value samples, which would make it recompile statements for their
        // values); PostgreSQL's autovacuum would soon do the same.
        if backend == DbBackend::Postgres {
            exec(db, "ANALYZE").await;
            exec(db, "VACUUM booking_occupancy").await;
        } else {
            yhteistila::service::database::refresh_statistics(db)
                .await
                .expect("refresh the statistics");
        }
        println!(
            "{size} bookings: seeded in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // The server hands out its pooled connections in turn (one per client since the
        // createBooking load), so it needs that many times the warm-up to reach the same
        // state as the single connection the direct runs below use.
        let graphql = time_runs(
            WARM_UP_RUNS * settings.clients,
            settings.search_runs,
            || search_graphql(server, &question),
        )
        .await;
        let sql = time_runs(WARM_UP_RUNS, settings.search_runs, || {
            search_sql(direct, &question)
        })
        .await;
        let known = KnownHorizon::default();
        keep_open_ranges_ahead(db, &known)
            .await
            .expect("open ranges");
        let cache = FacilityCache::default();
        let service = time_runs(WARM_UP_RUNS, settings.search_runs, || {
            search_service(direct, &known, &cache, &question)
        })
        .await;
        // The least any request over HTTP takes here: the part of the search's time that
        // no work on the search can take away.
        let empty = time_runs(WARM_UP_RUNS, settings.search_runs, || {
            server.graphql(None, "{ __typename }", json!({}))
        })
        .await;
        if graphql.1 != sql.1 {
            println!(
                "  WARNING: the answers differ: GraphQL {:?} vs SQL {:?}",
                graphql.1, sql.1
            );
        }
        println!(
            "  {} facilities found; GraphQL p50 {:.2} ms (p90 {:.2}), hand-written SQL p50 {:.2} ms (p90 {:.2}), \
             the service's own statements in process p50 {:.2} ms (p90 {:.2}), \
             an empty request `{{ __typename }}` over HTTP p50 {:.2} ms (p90 {:.2})",
            graphql.1.len(),
            ms(graphql.0.0),
            ms(graphql.0.1),
            ms(sql.0.0),
            ms(sql.0.1),
            ms(service.0.0),
            ms(service.0.1),
            ms(empty.0.0),
            ms(empty.0.1)
        );
        results.push((size, graphql.0.0, sql.0.0));
    }
    results
}

/// Runs on one connection before timing: PostgreSQL plans a prepared statement afresh
/// for its first five runs on a connection, and only then may keep a generic plan.
const WARM_UP_RUNS: usize = 5;

/// Runs `search` `warm_up` times, then `runs` times; (p50, p90) and the answer.
async fn time_runs<T, F, Fut>(warm_up: usize, runs: usize, search: F) -> ((Duration, Duration), T)
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    let mut found = search().await;
    for _ in 1..warm_up {
        found = search().await;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        search().await;
        times.push(started.elapsed());
    }
    times.sort();
    let at = |share: f64| times[((times.len() - 1) as f64 * share).round() as usize];
    ((at(0.5), at(0.9)), found)
}

async fn search_graphql(server: &Server, question: &Question) -> Found {
    let data = server
        .graphql(
            None,
            SEARCH,
            json!({
                "filter": { "municipality": question.municipality },
                "from": question.from_local,
                "to": question.to_local,
                "min": SEARCH_MIN_MINUTES,
                "first": SEARCH_FIRST,
            }),
        )
        .await;
    data["findAvailableFacilities"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            let id = node["facility"]["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .expect("facility id");
            let minutes = node["freeTimes"]
                .as_array()
                .expect("freeTimes")
                .iter()
                .map(|slot| {
                    let at = |field: &str| {
                        DateTime::parse_from_rfc3339(slot[field].as_str().expect("time"))
                            .expect("RFC 3339 time")
                    };
                    (at("end") - at("start")).num_minutes()
                })
                .sum();
            (id, minutes)
        })
        .collect()
}

/// The same question through the service function GraphQL calls, in this process: the
/// server's statements without HTTP and GraphQL, to tell the two costs apart.
async fn search_service(
    db: &DatabaseConnection,
    known: &KnownHorizon,
    cache: &FacilityCache,
    question: &Question,
) -> Found {
    use yhteistila::service::facilities::{FacilityFilter, Visibility};
    use yhteistila::service::pagination::PageRequest;
    use yhteistila::service::search::{AvailabilitySearch, find_available};
    let search = AvailabilitySearch {
        filter: FacilityFilter {
            municipality_code: Some(question.municipality_code.clone()),
            ..Default::default()
        },
        window: yhteistila::domain::time_range::TimeRange::new(question.from, question.to)
            .expect("window"),
        min_duration: chrono::Duration::minutes(SEARCH_MIN_MINUTES),
    };
    let page = PageRequest::new(Some(SEARCH_FIRST as i32), None).expect("page");
    find_available(db, known, cache, &search, &Visibility::Published, page)
        .await
        .expect("service search")
        .rows
        .into_iter()
        .map(|found| {
            let minutes = found.free.iter().map(|r| r.duration().num_minutes()).sum();
            (found.facility.id.0, minutes)
        })
        .collect()
}

/// The tightest SQL we could write for the question, per backend. Both read each candidate
/// facility's holds and open ranges by index from the last one starting at or before the
/// window (holds of a unit never overlap, nor do a facility's open ranges, so nothing
/// earlier reaches in) to the window's end.
///
/// PostgreSQL: open time in the window as a multirange, less the holds as a multirange.
const PG_SQL: &str = "
WITH c AS (SELECT id FROM facility WHERE published AND municipality_code = $1),
u AS (SELECT id AS f, id AS unit FROM c UNION ALL
      SELECT p.parent_id, p.id FROM facility p JOIN c ON p.parent_id = c.id),
busy AS (
  SELECT u.f, range_agg(tstzrange(o.blocked_from, o.blocked_until)) AS m
  FROM u JOIN booking_occupancy o ON o.unit_id = u.unit AND o.blocked_from < $3
   AND o.blocked_from >= COALESCE((SELECT x.blocked_from FROM booking_occupancy x
         WHERE x.unit_id = u.unit AND x.blocked_from <= $2
         ORDER BY x.blocked_from DESC LIMIT 1), $2)
  WHERE o.blocked_until > $2 GROUP BY u.f),
open AS (
  SELECT c.id AS f, range_agg(tstzrange(r.starts_at, r.ends_at) * tstzrange($2, $3)) AS m
  FROM c JOIN facility_open_range r ON r.facility_id = c.id AND r.starts_at < $3
   AND r.starts_at >= COALESCE((SELECT y.starts_at FROM facility_open_range y
         WHERE y.facility_id = c.id AND y.starts_at <= $2
         ORDER BY y.starts_at DESC LIMIT 1), $2)
  WHERE r.ends_at > $2 GROUP BY c.id),
fits AS (
  SELECT open.f, lower(g) AS s, upper(g) AS t
  FROM open LEFT JOIN busy ON busy.f = open.f,
       unnest(open.m - COALESCE(busy.m, '{}'::tstzmultirange)) g
  WHERE upper(g) - lower(g) >= $4 * interval '1 minute'),
page AS (SELECT DISTINCT f FROM fits ORDER BY f LIMIT $5)
SELECT f, s, t FROM fits JOIN page USING (f) ORDER BY f, s";

/// SQLite: holds and closed time as busy intervals; free time before each runs from the
/// running maximum of the busy ends before it.
const SQLITE_SQL: &str = "
WITH c AS (SELECT id FROM facility WHERE published AND municipality_code = $1),
u AS (SELECT id AS f, id AS unit FROM c UNION ALL
      SELECT p.parent_id, p.id FROM facility p JOIN c ON p.parent_id = c.id),
opened AS (
  SELECT c.id AS f, MAX(r.starts_at, $2) AS b, MIN(r.ends_at, $3) AS e
  FROM c JOIN facility_open_range r ON r.facility_id = c.id AND r.starts_at < $3
   AND r.starts_at >= COALESCE((SELECT y.starts_at FROM facility_open_range y
         WHERE y.facility_id = c.id AND y.starts_at <= $2
         ORDER BY y.starts_at DESC LIMIT 1), $2)
  WHERE r.ends_at > $2
  UNION ALL SELECT id, $3, $3 FROM c),
busy AS (
  SELECT u.f, o.blocked_from AS b, o.blocked_until AS e
  FROM u JOIN booking_occupancy o ON o.unit_id = u.unit AND o.blocked_from < $3
   AND o.blocked_from >= COALESCE((SELECT x.blocked_from FROM booking_occupancy x
         WHERE x.unit_id = u.unit AND x.blocked_from <= $2
         ORDER BY x.blocked_from DESC LIMIT 1), $2)
  WHERE o.blocked_until > $2
  UNION ALL
  SELECT f, COALESCE(LAG(e) OVER (PARTITION BY f ORDER BY b), $2), b FROM opened),
gaps AS (
  SELECT f, COALESCE(MAX(e) OVER (PARTITION BY f ORDER BY b, e
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), $2) AS s, b AS t
  FROM busy),
fits AS MATERIALIZED (
  SELECT f, s, t FROM gaps WHERE t > s AND unixepoch(t) - unixepoch(s) >= $4 * 60)
SELECT f, s, t FROM fits WHERE f IN (SELECT DISTINCT f FROM fits ORDER BY f LIMIT $5)
ORDER BY f, s";

async fn search_sql(db: &DatabaseConnection, question: &Question) -> Found {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        PG_SQL
    } else {
        SQLITE_SQL
    };
    let values: Vec<DbValue> = vec![
        question.municipality_code.clone().into(),
        question.from.into(),
        question.to.into(),
        (SEARCH_MIN_MINUTES as i32).into(),
        SEARCH_FIRST.into(),
    ];
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .expect("hand-written search SQL");
    let mut found: Found = Vec::new();
    for row in rows {
        let f: i64 = row.try_get_by_index(0).expect("facility");
        let s: DateTime<Utc> = row.try_get_by_index(1).expect("free from");
        let t: DateTime<Utc> = row.try_get_by_index(2).expect("free until");
        let minutes = (t - s).num_minutes();
        match found.last_mut() {
            Some((id, total)) if *id == f => *total += minutes,
            _ => found.push((f, minutes)),
        }
    }
    found
}

/// Bookings `from..to` of the fixed layout, straight into `booking` and
/// `booking_occupancy`: booking `k` is facility `k % 200`'s slot `k / 200`, placed at
/// `(slot × STRIDE) % SLOTS` of [`SLOT_HOURS`]-hour slots from 1.4 years ago, 1–3 hours long
/// and starting 0–2 hours into its slot. No two holds of a facility overlap.
///
/// The holds go through the database's overlap guard on both backends, as the service's
/// own inserts do (on SQLite one index seek a row since migration 8).
async fn seed_bookings(db: &DatabaseConnection, setup: &Setup, from: u64, to: u64) {
    let backend = db.get_database_backend();
    let now = Utc::now();
    let hour0 = now.date_naive().and_time(NaiveTime::MIN).and_utc()
        - chrono::Duration::hours(SLOT_HOURS * SLOTS as i64 / 2);
    let facilities = setup.facility_ids.len() as u64;
    let mut k = from;
    while k < to {
        let txn = db.begin().await.expect("BEGIN");
        let txn_end = to.min(k + TRANSACTION_ROWS);
        let first_id = k + 1;
        while k < txn_end {
            let end = txn_end.min(k + INSERT_ROWS);
            let mut sql = String::from(
                "INSERT INTO booking (id, facility_id, starts_at, ends_at, organisation_id, booked_by, \
                 title, public, status, status_changed_at, sequence, created_at, updated_at) VALUES ",
            );
            let mut values: Vec<DbValue> = vec![now.into()];
            for j in k..end {
                let facility = setup.facility_ids[(j % facilities) as usize];
                let slot = (j / facilities * STRIDE) % SLOTS;
                let hash = j.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                let start = hour0
                    + chrono::Duration::hours(slot as i64 * SLOT_HOURS)
                    + chrono::Duration::minutes(15 * (hash % 9) as i64);
                let end_at = start + chrono::Duration::minutes(60 + 15 * (hash / 9 % 9) as i64);
                let n = values.len();
                if j > k {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, {}, {}, 'Penkki', FALSE, 'CONFIRMED', $1, 0, $1, $1)",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    setup.booker_org,
                    setup.user_id
                ));
                values.extend([
                    ((j + 1) as i64).into(),
                    facility.into(),
                    start.into(),
                    end_at.into(),
                ]);
            }
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .expect("insert bookings");
            k = end;
        }
        exec(
            &txn,
            &format!(
                "INSERT INTO booking_occupancy (booking_id, unit_id, blocked_from, blocked_until) \
                 SELECT id, facility_id, starts_at, ends_at FROM booking WHERE id BETWEEN {first_id} AND {k}"
            ),
        )
        .await;
        txn.commit().await.expect("COMMIT");
    }
    if backend == DbBackend::Postgres {
        exec(
            db,
            "SELECT setval(pg_get_serial_sequence('booking', 'id'), (SELECT MAX(id) FROM booking))",
        )
        .await;
    }
}

// ---------------------------------------------------------------------------------------
// The binary and its child processes (as in bench/foundation.rs).

fn server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("YHTEISTILA_BIN") {
        return path.into();
    }
    if let Some(path) = option_env!("CARGO_BIN_EXE_yhteistila").map(PathBuf::from)
        && path.exists()
    {
        return path;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "--bin", "yhteistila"])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build");
    assert!(output.status.success(), "cargo build --release failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["target"]["name"] == "yhteistila")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo reported the yhteistila executable")
}

fn command(binary: &Path, url: &str, listen: &str, logs: &Path, log_name: &str) -> Command {
    let log = File::create(logs.join(log_name)).expect("create log file");
    let mut command = Command::new(binary);
    command
        .env("DATABASE_URL", url)
        .env("LISTEN_ADDR", listen)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log file"))
        .stderr(log);
    command
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<_> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

async fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("poll child process") {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Counts child processes, to name their log files.
static CHILDREN: AtomicU64 = AtomicU64::new(0);

async fn run_tool(binary: &Path, url: &str, logs: &Path, args: &[&str]) -> String {
    let log_name = format!(
        "bookings-tool-{}-{}.log",
        CHILDREN.fetch_add(1, Ordering::Relaxed),
        args[0]
    );
    let mut child = command(binary, url, "127.0.0.1:0", logs, &log_name)
        .args(args)
        .spawn()
        .expect("start yhteistila");
    let log = logs.join(&log_name);
    match wait_for_exit(&mut child, CHILD_TIMEOUT).await {
        Some(status) if status.success() => {
            std::fs::read_to_string(&log).expect("read tool output")
        }
        status => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "yhteistila {args:?} failed ({status:?}):\n{}",
                log_tail(&log)
            );
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

/// A running `yhteistila serve`; killed if dropped without [`Server::stop`].
struct Server {
    child: Child,
    base: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(binary: &Path, url: &str, logs: &Path, clients: usize) -> Self {
        let listen = format!("127.0.0.1:{}", free_port());
        let log_name = format!(
            "bookings-server-{}.log",
            CHILDREN.fetch_add(1, Ordering::Relaxed)
        );
        let client = reqwest::Client::builder()
            .timeout(CHILD_TIMEOUT)
            .pool_max_idle_per_host(clients)
            .build()
            .expect("HTTP client");
        let started = Instant::now();
        let child = command(binary, url, &listen, logs, &log_name)
            .env("DATABASE_MAX_CONNECTIONS", clients.to_string())
            .arg("serve")
            .spawn()
            .expect("start yhteistila serve");
        let mut server = Self {
            child,
            base: format!("http://{listen}"),
            client,
        };
        let health = format!("{}/healthz", server.base);
        loop {
            let answer = server
                .client
                .get(&health)
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if answer.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                return server;
            }
            let exited = server.child.try_wait().expect("poll server process");
            assert!(
                exited.is_none() && started.elapsed() < CHILD_TIMEOUT,
                "the server did not become healthy ({exited:?}):\n{}",
                log_tail(&logs.join(&log_name))
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn stop(mut self) {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !signalled
            || wait_for_exit(&mut self.child, CHILD_TIMEOUT)
                .await
                .is_none()
        {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Sends a GraphQL request that must succeed and returns its `data`.
    async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request
            .send()
            .await
            .expect("GraphQL request")
            .json()
            .await
            .expect("GraphQL JSON response");
        assert!(body.get("errors").is_none(), "GraphQL errors: {body}");
        body["data"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Machine facts.

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

// ---------------------------------------------------------------------------------------
// PostgreSQL.

/// A database created for one run on the server of `BENCH_DATABASE_URL`.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl PostgresDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("yt_bench_bookings_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to BENCH_DATABASE_URL");
        exec(&admin, &format!("CREATE DATABASE \"{name}\"")).await;
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("BENCH_DATABASE_URL ends with /database");
        Self {
            url: format!("{base}/{name}"),
            admin_url: admin_url.to_string(),
            name,
            dropped: false,
        }
    }

    async fn drop_now(mut self) {
        let admin = Database::connect(self.admin_url.as_str())
            .await
            .expect("connect to BENCH_DATABASE_URL");
        exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
        )
        .await;
        self.dropped = true;
    }
}

impl Drop for PostgresDatabase {
    /// Drops the database on a panic too, from a thread with its own runtime.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}
