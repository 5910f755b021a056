//! Foundation benchmark: SQL queries per page, HTTP throughput against the same SQL run
//! directly, server memory and start-up time, each checked against its goal.
//!
//! Run with `cargo bench --bench foundation` (see `bench/README.md`). Without `--bench`
//! (as `cargo test --all-targets` runs it) it does nothing, so test runs stay fast.
//!
//! It drives the real `yhteistila` binary as a child process on 127.0.0.1 only. The binary
//! is, in order: `$YHTEISTILA_BIN`; the executable Cargo built for this bench
//! (`CARGO_BIN_EXE_yhteistila`, set for benches of the package); otherwise the result of
//! `cargo build --release --bin yhteistila`, located from Cargo's JSON messages.
//!
//! No extra dependencies: everything used is already a (dev-)dependency of the crate.
use std::collections::HashSet;
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use entity::{facility, organisation};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

/// Concurrent clients, in both the HTTP and the direct SQL measurement.
const CLIENTS: usize = 16;
/// The page every client asks for.
const PAGE_QUERY: &str = "{ facilities(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name { fi } capacity owner { id kind name { fi } } } } } }";
/// Organisations added on top of the demo data.
const EXTRA_ORGANISATIONS: usize = 32;
/// Facilities added on top of the demo data's 57, round-robin over the new organisations.
const EXTRA_FACILITIES: usize = 160;
/// Start-ups measured; the median is reported.
const STARTUP_RUNS: usize = 5;
/// Warm-up before each throughput measurement.
const WARM_UP: Duration = Duration::from_secs(1);
/// Longest wait for a child process to answer or to exit.
const CHILD_TIMEOUT: Duration = Duration::from_secs(30);

const GOAL_QUERIES: u64 = 3;
const GOAL_RATIO: f64 = 0.5;
const GOAL_IDLE_MB: f64 = 60.0;
const GOAL_LOAD_MB: f64 = 200.0;
const GOAL_STARTUP: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("foundation: skipped; run it with `cargo bench --bench foundation`");
        return ExitCode::SUCCESS;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let passed = runtime.block_on(run());
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn run() -> bool {
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("BENCH_SECONDS is a whole number of seconds")
        })
        .unwrap_or(10);
    let duration = Duration::from_secs(seconds);
    let binary = server_binary();
    println!("binary: {}", binary.display());
    println!(
        "machine: {} cores, {}; load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_average()
    );

    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let mut reports = vec![run_backend("SQLite", &binary, &sqlite_url, dir.path(), duration).await];

    if let Some(admin_url) = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let database = PostgresDatabase::create(&admin_url).await;
        reports.push(run_backend("PostgreSQL", &binary, &database.url, dir.path(), duration).await);
        database.drop_now().await;
    }

    println!("\n== summary (load average now {})", load_average());
    let mut passed = true;
    for report in &reports {
        passed &= report.print_verdicts();
    }
    passed
}

// ---------------------------------------------------------------------------------------
// One backend, end to end.

/// What was measured on one database backend.
struct Report {
    backend: &'static str,
    startups: Vec<Duration>,
    idle_rss_mb: f64,
    load_rss_sampled_mb: f64,
    load_rss_hwm_mb: f64,
    after_load_rss_mb: f64,
    queries_per_page: u64,
    page: PageFacts,
    http: LoadStats,
    sql: LoadStats,
}

/// Seeds a database at `url`, then measures start-up, memory, query count and throughput.
async fn run_backend(
    backend: &'static str,
    binary: &Path,
    url: &str,
    logs: &Path,
    duration: Duration,
) -> Report {
    println!("\n== {backend}");
    seed(binary, url, logs).await;

    let mut startups = Vec::new();
    let mut server = None;
    for run in 0..STARTUP_RUNS {
        let (started, took) = Server::start(binary, url, logs).await;
        startups.push(took);
        if run + 1 < STARTUP_RUNS {
            started.stop().await;
        } else {
            server = Some(started);
        }
    }
    let server = server.expect("a server is running");
    startups.sort();
    println!("start-up (spawn → /healthz 200): {startups:?}");

    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss_mb = memory(server.pid()).rss_mb;
    println!("idle RSS: {idle_rss_mb:.1} MB");

    let before = server.query_count().await;
    let page = server.page().await;
    let queries_per_page = server.query_count().await - before;
    println!(
        "one page: {} facilities of {} total, {} owners, next page {}; {queries_per_page} SQL statements",
        page.edges, page.total_count, page.owners, page.has_next_page
    );
    assert!(
        page.edges == 100 && page.total_count >= 200 && page.owners >= 30,
        "the seeded data must give a full page of 100 with ≥ 30 owners"
    );

    let (http, load_rss_sampled_mb) = http_throughput(&server, duration).await;
    let load_rss_hwm_mb = memory(server.pid()).hwm_mb;
    println!(
        "HTTP: {} (peak RSS sampled {load_rss_sampled_mb:.1} MB, VmHWM {load_rss_hwm_mb:.1} MB)",
        http.summary()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_load_rss_mb = memory(server.pid()).rss_mb;
    server.stop().await;

    let sql = sql_throughput(url, duration).await;
    println!("direct SQL: {}", sql.summary());
    println!("HTTP / SQL: {:.2}", http.rate() / sql.rate());

    Report {
        backend,
        startups,
        idle_rss_mb,
        load_rss_sampled_mb,
        load_rss_hwm_mb,
        after_load_rss_mb,
        queries_per_page,
        page,
        http,
        sql,
    }
}

impl Report {
    /// Prints the figures with PASS/FAIL per goal; true if all passed.
    fn print_verdicts(&self) -> bool {
        let startup = self.startups[self.startups.len() / 2];
        let ratio = self.http.rate() / self.sql.rate();
        let load_mb = self.load_rss_hwm_mb.max(self.load_rss_sampled_mb);
        let verdicts = [
            (
                self.queries_per_page <= GOAL_QUERIES,
                format!(
                    "SQL statements per page of {} with owners and totalCount: {} (goal ≤ {GOAL_QUERIES})",
                    self.page.edges, self.queries_per_page
                ),
            ),
            (
                ratio >= GOAL_RATIO,
                format!(
                    "HTTP {:.0} pages/s vs direct SQL {:.0} pages/s = {:.0} % (goal ≥ {:.0} %)",
                    self.http.rate(),
                    self.sql.rate(),
                    ratio * 100.0,
                    GOAL_RATIO * 100.0
                ),
            ),
            (
                self.idle_rss_mb < GOAL_IDLE_MB,
                format!(
                    "idle RSS {:.1} MB (goal < {GOAL_IDLE_MB} MB; {:.1} MB idle after the load)",
                    self.idle_rss_mb, self.after_load_rss_mb
                ),
            ),
            (
                load_mb < GOAL_LOAD_MB,
                format!("peak RSS under load {load_mb:.1} MB (goal < {GOAL_LOAD_MB} MB)"),
            ),
            (
                startup < GOAL_STARTUP,
                format!(
                    "start-up on a migrated database, median of {}: {} ms (goal < {} ms)",
                    self.startups.len(),
                    startup.as_millis(),
                    GOAL_STARTUP.as_millis()
                ),
            ),
        ];
        println!("{}:", self.backend);
        for (passed, text) in &verdicts {
            println!("  {} {text}", if *passed { "PASS" } else { "FAIL" });
        }
        verdicts.iter().all(|(passed, _)| *passed)
    }
}

// ---------------------------------------------------------------------------------------
// The binary and its child processes.

/// Finds the server binary (see the module docs for the order).
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

/// A command of the binary against `url`, its output going to a log file in `logs`.
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

/// The last lines of a log file, for failure messages.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<_> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Waits up to `timeout` for `child` to exit.
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

/// Runs a one-shot subcommand and returns its standard output (logs go to a file).
async fn run_tool(binary: &Path, url: &str, logs: &Path, args: &[&str]) -> String {
    let name = format!("tool-{}", args.join("-"));
    let (log, out) = (
        logs.join(format!("{name}.log")),
        logs.join(format!("{name}.out")),
    );
    let mut child = command(binary, url, "127.0.0.1:0", logs, &format!("{name}.log"))
        .stdout(File::create(&out).expect("create tool output file"))
        .args(args)
        .spawn()
        .expect("start yhteistila");
    match wait_for_exit(&mut child, CHILD_TIMEOUT).await {
        Some(status) if status.success() => {
            std::fs::read_to_string(&out).expect("read tool output")
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

/// A free port on 127.0.0.1 (free when asked; the server binds it right after).
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

/// Counts started servers, to name their log files.
static SERVERS: AtomicU64 = AtomicU64::new(0);

impl Server {
    /// Starts the server and returns it with the time from spawn until `/healthz` answered 200.
    async fn start(binary: &Path, url: &str, logs: &Path) -> (Self, Duration) {
        let listen = format!("127.0.0.1:{}", free_port());
        let log_name = format!("server-{}.log", SERVERS.fetch_add(1, Ordering::Relaxed));
        let client = reqwest::Client::builder()
            .timeout(CHILD_TIMEOUT)
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .expect("HTTP client");
        let mut command = command(binary, url, &listen, logs, &log_name);
        let started = Instant::now();
        let child = command
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
                return (server, started.elapsed());
            }
            let exited = server.child.try_wait().expect("poll server process");
            assert!(
                exited.is_none() && started.elapsed() < CHILD_TIMEOUT,
                "the server did not become healthy ({exited:?}):\n{}",
                log_tail(&logs.join(&log_name))
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to shut down (SIGTERM) and waits; kills it if it lingers.
    async fn stop(mut self) {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
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

    /// The number of SQL statements run so far, from `/metrics`.
    async fn query_count(&self) -> u64 {
        self.client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
            .lines()
            .find_map(|line| line.strip_prefix("yhteistila_db_queries_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("yhteistila_db_queries_total in /metrics")
    }

    /// Asks for the benchmark page once and describes it.
    async fn page(&self) -> PageFacts {
        let data = self.graphql(None, PAGE_QUERY, json!({})).await;
        let connection = &data["facilities"];
        let edges = connection["edges"].as_array().expect("edges");
        PageFacts {
            edges: edges.len(),
            total_count: connection["totalCount"].as_i64().expect("totalCount"),
            owners: edges
                .iter()
                .filter_map(|edge| edge["node"]["owner"]["id"].as_str())
                .collect::<HashSet<_>>()
                .len(),
            has_next_page: connection["pageInfo"]["hasNextPage"] == true,
        }
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

/// What one page of the benchmark query held.
struct PageFacts {
    edges: usize,
    total_count: i64,
    owners: usize,
    has_next_page: bool,
}

// ---------------------------------------------------------------------------------------
// Seeding.

/// Loads the demo data, then adds organisations and facilities through GraphQL.
async fn seed(binary: &Path, url: &str, logs: &Path) {
    let started = Instant::now();
    run_tool(binary, url, logs, &["seed-demo"]).await;
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

    let (server, _) = Server::start(binary, url, logs).await;
    let kinds = [
        "NGO",
        "MUNICIPALITY",
        "COMPANY",
        "RELIGIOUS_COMMUNITY",
        "EDUCATIONAL_INSTITUTION",
    ];
    let municipalities = ["Lahti", "Hollola", "Heinola", "Orimattila", "Asikkala"];
    let mut owners = Vec::new();
    for i in 0..EXTRA_ORGANISATIONS {
        let data = server
            .graphql(
                Some(&token),
                "mutation($input: OrganisationInput!) { createOrganisation(input: $input) { id } }",
                json!({ "input": {
                    "kind": kinds[i % kinds.len()],
                    "name": { "fi": format!("Penkkiyhdistys {i:02}") },
                    "municipality": municipalities[i % municipalities.len()],
                } }),
            )
            .await;
        owners.push(data["createOrganisation"]["id"].clone());
    }
    let types = ["MEETING_ROOM", "HALL", "CLUB_ROOM", "KITCHEN", "GYM"];
    for i in 0..EXTRA_FACILITIES {
        server
            .graphql(
                Some(&token),
                "mutation($owner: ID!, $input: FacilityInput!) { createFacility(ownerId: $owner, input: $input) { id } }",
                json!({ "owner": owners[i % owners.len()], "input": {
                    "name": { "fi": format!("Tila {i:03}"), "sv": format!("Lokal {i:03}") },
                    "description": { "fi": "Valoisa tila kokouksiin ja kerhoille." },
                    "type": types[i % types.len()],
                    "streetAddress": format!("Rautatienkatu {}", i + 1),
                    "postalCode": "15110",
                    "municipality": "Lahti",
                    "capacity": 10 + i % 90,
                    "contact": { "name": "Liisa Virtanen", "email": "liisa@example.fi", "public": i % 2 == 0 },
                    "whoMayBook": "EVERYONE",
                    "freeForNonProfit": i % 3 != 0,
                    "rules": { "slotGranularityMinutes": 30, "approvalRequired": false },
                } }),
            )
            .await;
    }
    server.stop().await;
    println!(
        "seeded: demo data + {EXTRA_ORGANISATIONS} organisations, {EXTRA_FACILITIES} facilities in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// Load.

/// Completed answers, their latencies and the CPU time spent over one measurement.
struct LoadStats {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU seconds of this process (the HTTP clients, or the whole SQL side).
    bench_cpu: f64,
    /// CPU seconds of the server, when it served the load.
    server_cpu: Option<f64>,
}

impl LoadStats {
    /// Answers per second.
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency below which `share` of the answers came.
    fn percentile(&self, share: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        let index = (last as f64 * share).round() as usize;
        self.latencies.get(index).copied().unwrap_or_default()
    }

    fn summary(&self) -> String {
        let server = self
            .server_cpu
            .map(|cpu| format!("server {cpu:.1} s, "))
            .unwrap_or_default();
        let pages = self.latencies.len();
        let cpu = self.bench_cpu + self.server_cpu.unwrap_or_default();
        format!(
            "{pages} pages in {:.1} s = {:.0} pages/s, p50 {:.2} ms, p99 {:.2} ms; CPU: {server}benchmark process {:.1} s, {:.2} ms a page",
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.percentile(0.5).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.bench_cpu,
            cpu * 1e3 / pages.max(1) as f64
        )
    }
}

/// Runs `work` in a loop on [`CLIENTS`] tasks for `duration`, also measuring the CPU
/// time of this process and of `server`.
async fn drive<F, Fut>(duration: Duration, server: Option<u32>, work: F) -> LoadStats
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let server_cpu = || server.map(|pid| cpu_seconds(&pid.to_string()));
    let (bench_before, server_before) = (cpu_seconds("self"), server_cpu());
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    work().await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load task"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    LoadStats {
        elapsed,
        latencies,
        bench_cpu: cpu_seconds("self") - bench_before,
        server_cpu: server_cpu()
            .zip(server_before)
            .map(|(after, before)| after - before),
    }
}

/// The page query over HTTP from [`CLIENTS`] keep-alive clients; returns the stats and
/// the largest RSS sampled meanwhile, in MB.
async fn http_throughput(server: &Server, duration: Duration) -> (LoadStats, f64) {
    let client = server.client.clone();
    let url = format!("{}/graphql", server.base);
    let body = json!({ "query": PAGE_QUERY }).to_string();
    let work = move || {
        let request = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        async move {
            let response = request.send().await.expect("page request");
            assert!(response.status().is_success(), "page request failed");
            let bytes = response.bytes().await.expect("page response");
            assert!(
                !bytes.windows(8).any(|w| w == b"\"errors\""),
                "page request answered with errors"
            );
        }
    };
    let pid = server.pid();
    drive(WARM_UP, None, work.clone()).await;

    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let done = done.clone();
        async move {
            let mut peak = 0.0_f64;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(memory(pid).rss_mb);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        }
    });
    let stats = drive(duration, Some(pid), work).await;
    done.store(true, Ordering::Relaxed);
    (stats, sampler.await.expect("RSS sampler"))
}

/// The server's three statements for the page, run directly on a pool configured as the
/// server's (same `connect`, [`CLIENTS`] connections): the page, then the count and the
/// owners concurrently, as the GraphQL resolvers do.
async fn sql_throughput(url: &str, duration: Duration) -> LoadStats {
    let db = yhteistila::service::database::connect(url, CLIENTS as u32, Default::default())
        .await
        .expect("connect to the benchmark database");
    let work = move || {
        let db = db.clone();
        async move { sql_page(&db).await.expect("direct SQL page") }
    };
    drive(WARM_UP, None, work.clone()).await;
    drive(duration, None, work).await
}

/// One page answer by SQL alone, with the same statements and row decoding as the server.
async fn sql_page(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let published = facility::Entity::find().filter(facility::Column::Published.eq(true));
    let mut rows = published
        .clone()
        .order_by_asc(facility::Column::Id)
        .limit(101)
        .all(db)
        .await?;
    rows.truncate(100);
    let count = published
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "count")
        .into_tuple::<i64>()
        .one(db);
    let owner_ids: HashSet<i64> = rows.iter().map(|row| row.owner_id).collect();
    let owners = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(owner_ids))
        .all(db);
    let (count, owners) = tokio::try_join!(count, owners)?;
    assert!(count.is_some() && !owners.is_empty(), "the page has rows");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Machine facts.

/// Resident memory of a process, in MB (10^6 bytes).
struct Memory {
    rss_mb: f64,
    hwm_mb: f64,
}

/// Reads VmRSS and VmHWM of `pid` from /proc (Linux only).
fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("read /proc/PID/status (the benchmark needs Linux)");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(0.0, |kib| kib * 1024.0 / 1e6)
    };
    Memory {
        rss_mb: field("VmRSS:"),
        hwm_mb: field("VmHWM:"),
    }
}

/// User and system CPU seconds of a process (`self` or a pid), from /proc/PID/stat.
fn cpu_seconds(pid: &str) -> f64 {
    /// Linux reports process times in USER_HZ ticks, 100 a second on every common build.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name: state is the 1st, utime the 12th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok());
    ticks(11)
        .zip(ticks(12))
        .map_or(0.0, |(user, system)| (user + system) / TICKS_PER_SECOND)
}

/// The load averages of the machine, to show how busy it was.
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
        let name = format!("yt_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to BENCH_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the benchmark database");
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
        admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .expect("drop the benchmark database");
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
