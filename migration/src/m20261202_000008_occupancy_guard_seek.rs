//! SQLite's overlap guard on `booking_occupancy` looked at every earlier hold of the unit:
//! its index range `unit_id = ? AND blocked_from < new end` reaches back to the unit's first
//! hold, so each insert grew slower with the unit's history (2.5 ms with 20,000 earlier
//! holds). Holds of a unit never overlap (the guard sees to it), so sorted by start they
//! are sorted by end too, and only the last one starting before the new end can reach into
//! it: the guard now reads that one, a single backward seek of the same index.
//! PostgreSQL's exclusion constraint is unchanged.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::m20261122_000002_bookings::SQLITE_GUARD;

#[derive(DeriveMigrationName)]
pub struct Migration;

const DROP: &str = "DROP TRIGGER booking_occupancy_no_overlap";

/// The guard reading only the unit's last hold that starts before the new one ends
/// (times are RFC 3339 UTC text of whole seconds, so text order is time order).
const SEEK: &[&str] = &["CREATE TRIGGER booking_occupancy_no_overlap \
     BEFORE INSERT ON booking_occupancy \
     WHEN (SELECT o.blocked_until FROM booking_occupancy o WHERE o.unit_id = NEW.unit_id \
       AND o.blocked_from < NEW.blocked_until ORDER BY o.blocked_from DESC LIMIT 1) \
       > NEW.blocked_from \
     BEGIN SELECT RAISE(ABORT, 'booking_occupancy_no_overlap'); END"];

async fn replace_guard(manager: &SchemaManager<'_>, with: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Sqlite {
        return Ok(());
    }
    // One call, so one connection: another connection's cached schema can still hold the
    // dropped trigger, and SQLite refuses to create it again there.
    manager
        .get_connection()
        .execute_unprepared(&[&[DROP], with].concat().join("; "))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace_guard(manager, SEEK).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Back to the guard as migration 2 created it.
        replace_guard(manager, SQLITE_GUARD).await
    }
}
