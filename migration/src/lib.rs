//! Database migrations of Yhteistila, portable across SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_bookings;
mod m20261122_000003_open_ranges;
mod m20261201_000004_events;
mod m20261201_000005_calendar_feeds;
mod m20261201_000006_outbox;
mod m20261202_000007_occurrence_probe;
mod m20261202_000008_occupancy_guard_seek;

/// Runs every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_bookings::Migration),
            Box::new(m20261122_000003_open_ranges::Migration),
            Box::new(m20261201_000004_events::Migration),
            Box::new(m20261201_000005_calendar_feeds::Migration),
            Box::new(m20261201_000006_outbox::Migration),
            Box::new(m20261202_000007_occurrence_probe::Migration),
            Box::new(m20261202_000008_occupancy_guard_seek::Migration),
        ]
    }
}
