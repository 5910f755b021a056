//! Facilities' open hours materialised as UTC ranges, for searching free time in SQL.
//!
//! `facility_open_range` holds each facility's merged open ranges (computed in Rust,
//! DST-correct, from weekly hours, exceptions and time zone) for a rolling horizon;
//! `facility_open_horizon` records how far each facility's ranges reach. The service
//! rewrites both whenever hours, exceptions or the time zone change, and tops them up
//! lazily when a search needs ranges beyond the recorded horizon.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Facility {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FacilityOpenRange {
    Table,
    FacilityId,
    StartsAt,
    EndsAt,
}

#[derive(DeriveIden)]
enum FacilityOpenHorizon {
    Table,
    FacilityId,
    MaterialisedUntil,
}

#[derive(DeriveIden)]
enum BookingOccupancy {
    Table,
    UnitId,
    BlockedFrom,
    BlockedUntil,
}

fn cascade(from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(Facility::Table, Facility::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The primary key (facility_id, starts_at) is the index the search seeks:
        // the last range starting at or before the window, then the ranges in it.
        manager
            .create_table(
                Table::create()
                    .table(FacilityOpenRange::Table)
                    .col(big_integer(FacilityOpenRange::FacilityId))
                    .col(timestamp_with_time_zone(FacilityOpenRange::StartsAt))
                    .col(timestamp_with_time_zone(FacilityOpenRange::EndsAt))
                    .primary_key(
                        Index::create()
                            .col(FacilityOpenRange::FacilityId)
                            .col(FacilityOpenRange::StartsAt),
                    )
                    .foreign_key(&mut cascade((
                        FacilityOpenRange::Table,
                        FacilityOpenRange::FacilityId,
                    )))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FacilityOpenHorizon::Table)
                    .col(big_integer(FacilityOpenHorizon::FacilityId).primary_key())
                    .col(timestamp_with_time_zone(
                        FacilityOpenHorizon::MaterialisedUntil,
                    ))
                    .foreign_key(&mut cascade((
                        FacilityOpenHorizon::Table,
                        FacilityOpenHorizon::FacilityId,
                    )))
                    .to_owned(),
            )
            .await?;
        // Covers the search's per-unit range scan of holds, so that it reads the
        // index only (booking_occupancy_unit_from stays for the other readers).
        manager
            .create_index(
                Index::create()
                    .name("booking_occupancy_unit_from_until")
                    .table(BookingOccupancy::Table)
                    .col(BookingOccupancy::UnitId)
                    .col(BookingOccupancy::BlockedFrom)
                    .col(BookingOccupancy::BlockedUntil)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("booking_occupancy_unit_from_until")
                    .table(BookingOccupancy::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            FacilityOpenHorizon::Table.into_iden(),
            FacilityOpenRange::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
