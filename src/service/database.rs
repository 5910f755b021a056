//! Connecting to SQLite or PostgreSQL, write transactions, and applying migrations.
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, StreamTrait,
    TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;

mod group;

pub use group::write_in_group;

/// How long a writer waits for SQLite's write lock (or its turn in this process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a connection pool, counting every statement in `metrics`.
pub async fn connect(
    url: &str,
    max_connections: u32,
    metrics: Arc<Metrics>,
) -> AppResult<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // A ping before every checkout costs a round trip per statement: ping only
        // connections idle long enough to have been dropped by the server or a proxy.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT)
                // Read the file through a shared memory map instead of a copy per
                // connection: big reads (feeds) no longer go page by page through
                // `pread` into each connection's small page cache.
                .pragma("mmap_size", (256u64 << 20).to_string())
                // Keep statement journals in memory. Within a savepoint SQLite copies
                // every page a write changes into a journal, which past 64 KiB went to a
                // temporary file, a `pwrite` per page: a group of writes written again
                // with a savepoint each (see `group`), a series booked with
                // `skipConflicts`. Temporary tables and sorts stay in memory too, which
                // our statements keep small.
                .pragma("temp_store", "memory")
        })
        // PostgreSQL plans a prepared statement afresh on each run for as long as a plan
        // for its values looks cheaper than one for any values, which for the free-time
        // search (a dozen joined parts) means planning took longer than running. Our
        // statements are shaped so that the plan for any values is the right one: index
        // seeks per facility or unit (see `search`), and look-ups by key elsewhere.
        .map_sqlx_postgres_opts(|opts| opts.options([("plan_cache_mode", "force_generic_plan")]));
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |_| metrics.observe_query());
    Ok(db)
}

/// A write transaction. On SQLite it also holds this process's turn to write.
pub struct WriteTransaction {
    // Declared first, so dropped (rolled back) before the turn passes on.
    txn: DatabaseTransaction,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

// Queries (and streams, below) run inside the transaction, so that it goes wherever a
// transaction does.
#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        ConnectionTrait::get_database_backend(&self.txn)
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

impl StreamTrait for WriteTransaction {
    type Stream<'a> = <DatabaseTransaction as StreamTrait>::Stream<'a>;

    fn get_database_backend(&self) -> DbBackend {
        StreamTrait::get_database_backend(&self.txn)
    }

    fn stream_raw<'a>(
        &'a self,
        stmt: Statement,
    ) -> Pin<Box<dyn Future<Output = Result<Self::Stream<'a>, DbErr>> + 'a + Send>> {
        self.txn.stream_raw(stmt)
    }
}

impl WriteTransaction {
    /// Commits, then lets the next writer in.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    /// Rolls back, then lets the next writer in.
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

/// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, so that a check and the
/// insert after it run under the write lock (a deferred transaction that reads and then
/// writes fails at once when another connection wrote meanwhile, as the mail worker does
/// in the background); an ordinary transaction on PostgreSQL.
///
/// SQLite has one writer at a time, and a connection that finds the lock taken polls
/// for it with growing sleeps (1, 2, 5, 10 … 100 ms), so under load writers starve
/// while the lock stands free. Writers of this process therefore queue for it here
/// first, in arrival order, and each is let in the moment the one before it ends;
/// the busy timeout still covers other processes and writes outside these transactions.
pub async fn begin_write(db: &DatabaseConnection) -> AppResult<WriteTransaction> {
    let turn = match db.get_database_backend() {
        DbBackend::Sqlite => Some(
            tokio::time::timeout(BUSY_TIMEOUT, file_of(db).turn.clone().lock_owned())
                .await
                .map_err(|_| AppError::internal("the database stayed busy"))?,
        ),
        _ => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTransaction { txn, _turn: turn })
}

/// Runs `statements` in order inside `txn`. On SQLite they go to the database as one
/// call: each call is a trip to the connection's worker thread and back, and in a write
/// transaction every trip is time the write lock is held. The statements must be built by
/// sea-query, whose SQLite placeholders (`?`) take their values in order across the
/// statements; elsewhere they run one by one.
pub async fn execute_together(
    txn: &impl ConnectionTrait,
    statements: Vec<Statement>,
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Sqlite || statements.len() < 2 {
        for statement in statements {
            txn.execute_raw(statement).await?;
        }
        return Ok(());
    }
    let mut sql = String::new();
    let mut values = Vec::new();
    for statement in statements {
        sql.push_str(statement.sql.trim_end().trim_end_matches(';'));
        sql.push_str(";\n");
        values.extend(statement.values.map(|v| v.0).unwrap_or_default());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        sql,
        values,
    ))
    .await?;
    Ok(())
}

/// This process's writers to one SQLite file.
#[derive(Default)]
struct FileWriters {
    /// The turn to write, which writers queue for.
    turn: Arc<AsyncMutex<()>>,
    /// Writes waiting to be committed together.
    group: Arc<Mutex<group::Queue>>,
}

/// The writers to the SQLite file behind `db`: one entry per file, whichever pool opened
/// it (there are few files, so entries are never dropped).
fn file_of(db: &DatabaseConnection) -> Arc<FileWriters> {
    static FILES: LazyLock<Mutex<HashMap<PathBuf, Arc<FileWriters>>>> =
        LazyLock::new(Default::default);
    let file = db
        .get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf();
    let mut files = FILES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    files.entry(file).or_default().clone()
}

/// Gives the query planner fresh statistics of the tables. PostgreSQL's autovacuum keeps
/// them; SQLite gathers them only when asked, here with `PRAGMA optimize` over every table
/// (`0x10002`: analyse the tables whose statistics are missing or out of date).
///
/// SQLite keeps only the per-index row counts (`sqlite_stat1`). The samples that the
/// bundled SQLite also gathers (`sqlite_stat4`) make its planner depend on the values
/// bound to a statement, and SQLite then compiles a cached statement afresh whenever those
/// change: nearly every execution. The samples are deleted in the same transaction, so
/// no other connection ever loads them (a connection loads statistics when it loads the
/// schema, as it does once the first analysis has created the statistics tables).
pub async fn refresh_statistics(db: &DatabaseConnection) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    let txn = begin_write(db).await?;
    txn.execute_unprepared("PRAGMA optimize=0x10002").await?;
    let samples = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'",
        ))
        .await?;
    if samples.is_some() {
        // `ANALYZE sqlite_schema` reloads this connection's statistics without the samples.
        txn.execute_unprepared("DELETE FROM sqlite_stat4; ANALYZE sqlite_schema")
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await.map_err(AppError::from)
}
