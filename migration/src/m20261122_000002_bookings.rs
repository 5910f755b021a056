//! Bookings, recurring series, their history, and the occupancy table whose
//! database-level guard makes double booking impossible on both backends.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Facility {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum BookingSeries {
    Table,
    Id,
    FacilityId,
    OrganisationId,
    Rule,
    FirstStartLocal,
    DurationMinutes,
    TimeZone,
    ExceptionDates,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Booking {
    Table,
    Id,
    FacilityId,
    OrganisationId,
    BookedBy,
    SeriesId,
    RecurrenceId,
    StartsAt,
    EndsAt,
    Title,
    Purpose,
    Attendees,
    Public,
    ContactName,
    ContactEmail,
    ContactPhone,
    Notes,
    Status,
    StatusReason,
    StatusChangedAt,
    StatusChangedBy,
    ClientKey,
    Sequence,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BookingOccupancy {
    Table,
    Id,
    BookingId,
    UnitId,
    BlockedFrom,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum BookingHistory {
    Table,
    Id,
    BookingId,
    FromStatus,
    ToStatus,
    ActorId,
    Reason,
    At,
}

fn foreign_key(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<Alias>,
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).to_owned();
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
}

/// PostgreSQL: an exclusion constraint over the blocked ranges of each unit.
const POSTGRES_GUARD: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE booking_occupancy ADD CONSTRAINT booking_occupancy_no_overlap \
     EXCLUDE USING gist (unit_id WITH =, tstzrange(blocked_from, blocked_until, '[)') WITH &&)",
];

/// SQLite: a trigger that refuses an overlapping row. Times are stored as RFC 3339
/// UTC text of whole seconds, so text order is time order and the index serves it.
pub(crate) const SQLITE_GUARD: &[&str] = &["CREATE TRIGGER booking_occupancy_no_overlap \
     BEFORE INSERT ON booking_occupancy \
     WHEN EXISTS (SELECT 1 FROM booking_occupancy o WHERE o.unit_id = NEW.unit_id \
       AND o.blocked_from < NEW.blocked_until AND NEW.blocked_from < o.blocked_until) \
     BEGIN SELECT RAISE(ABORT, 'booking_occupancy_no_overlap'); END"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BookingSeries::Table)
                    .col(big_pk_auto(BookingSeries::Id))
                    .col(big_integer(BookingSeries::FacilityId))
                    .col(big_integer(BookingSeries::OrganisationId))
                    .col(string(BookingSeries::Rule))
                    .col(string(BookingSeries::FirstStartLocal))
                    .col(integer(BookingSeries::DurationMinutes))
                    .col(string(BookingSeries::TimeZone))
                    .col(text(BookingSeries::ExceptionDates))
                    .col(timestamp_with_time_zone(BookingSeries::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        (BookingSeries::Table, BookingSeries::FacilityId),
                        (Facility::Table, Facility::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (BookingSeries::Table, BookingSeries::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Booking::Table)
                    .col(big_pk_auto(Booking::Id))
                    .col(big_integer(Booking::FacilityId))
                    .col(big_integer(Booking::OrganisationId))
                    .col(big_integer(Booking::BookedBy))
                    .col(big_integer_null(Booking::SeriesId))
                    .col(string_null(Booking::RecurrenceId))
                    .col(timestamp_with_time_zone(Booking::StartsAt))
                    .col(timestamp_with_time_zone(Booking::EndsAt))
                    .col(string(Booking::Title))
                    .col(text_null(Booking::Purpose))
                    .col(integer_null(Booking::Attendees))
                    .col(boolean(Booking::Public))
                    .col(string_null(Booking::ContactName))
                    .col(string_null(Booking::ContactEmail))
                    .col(string_null(Booking::ContactPhone))
                    .col(text_null(Booking::Notes))
                    .col(string(Booking::Status))
                    .col(text_null(Booking::StatusReason))
                    .col(timestamp_with_time_zone(Booking::StatusChangedAt))
                    .col(big_integer_null(Booking::StatusChangedBy))
                    .col(string_null(Booking::ClientKey))
                    .col(integer(Booking::Sequence))
                    .col(timestamp_with_time_zone(Booking::CreatedAt))
                    .col(timestamp_with_time_zone(Booking::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        (Booking::Table, Booking::FacilityId),
                        (Facility::Table, Facility::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Booking::Table, Booking::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Booking::Table, Booking::BookedBy),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Booking::Table, Booking::SeriesId),
                        (BookingSeries::Table, BookingSeries::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "booking_facility_start",
            Booking::Table,
            vec![Alias::new("facility_id"), Alias::new("starts_at")],
        )
        .await?;
        index(
            manager,
            "booking_organisation_start",
            Booking::Table,
            vec![Alias::new("organisation_id"), Alias::new("starts_at")],
        )
        .await?;
        index(
            manager,
            "booking_by_series",
            Booking::Table,
            vec![Alias::new("series_id")],
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("booking_client_key")
                    .table(Booking::Table)
                    .col(Booking::BookedBy)
                    .col(Booking::ClientKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BookingOccupancy::Table)
                    .col(big_pk_auto(BookingOccupancy::Id))
                    .col(big_integer(BookingOccupancy::BookingId))
                    .col(big_integer(BookingOccupancy::UnitId))
                    .col(timestamp_with_time_zone(BookingOccupancy::BlockedFrom))
                    .col(timestamp_with_time_zone(BookingOccupancy::BlockedUntil))
                    .foreign_key(&mut foreign_key(
                        (BookingOccupancy::Table, BookingOccupancy::BookingId),
                        (Booking::Table, Booking::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (BookingOccupancy::Table, BookingOccupancy::UnitId),
                        (Facility::Table, Facility::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "booking_occupancy_unit_from",
            BookingOccupancy::Table,
            vec![Alias::new("unit_id"), Alias::new("blocked_from")],
        )
        .await?;
        index(
            manager,
            "booking_occupancy_booking",
            BookingOccupancy::Table,
            vec![Alias::new("booking_id")],
        )
        .await?;
        let guard = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_GUARD,
            _ => SQLITE_GUARD,
        };
        for statement in guard {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(BookingHistory::Table)
                    .col(big_pk_auto(BookingHistory::Id))
                    .col(big_integer(BookingHistory::BookingId))
                    .col(string_null(BookingHistory::FromStatus))
                    .col(string(BookingHistory::ToStatus))
                    .col(big_integer_null(BookingHistory::ActorId))
                    .col(text_null(BookingHistory::Reason))
                    .col(timestamp_with_time_zone(BookingHistory::At))
                    .foreign_key(&mut foreign_key(
                        (BookingHistory::Table, BookingHistory::BookingId),
                        (Booking::Table, Booking::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "booking_history_booking",
            BookingHistory::Table,
            vec![Alias::new("booking_id")],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            BookingHistory::Table.into_iden(),
            BookingOccupancy::Table.into_iden(),
            Booking::Table.into_iden(),
            BookingSeries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
