//! Connecting to SQLite or PostgreSQL and applying migrations.
use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;

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
                .busy_timeout(Duration::from_secs(10))
                // Read the file through a shared memory map instead of a copy per
                // connection: big reads (feeds) no longer go page by page through
                // `pread` into each connection's small page cache.
                .pragma("mmap_size", (256u64 << 20).to_string())
        });
    let mut db = Database::connect(options).await?;
    db.set_metric_callback(move |_| metrics.observe_query());
    Ok(db)
}

/// Gives the query planner fresh statistics of the tables. PostgreSQL's autovacuum keeps
/// them; SQLite gathers them only when asked, here with `PRAGMA optimize` over every table
/// (`0x10002`: analyse the tables whose statistics are missing or out of date).
pub async fn refresh_statistics(db: &DatabaseConnection) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize=0x10002").await?;
    }
    Ok(())
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await.map_err(AppError::from)
}
