//! The transactional outbox: messages written in the same transaction as the change
//! that causes them, sent later by the server's mail worker.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Booking {
    Table,
    Id,
    Status,
    StartsAt,
}

#[derive(DeriveIden)]
enum BookingSeries {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    RecipientEmail,
    RecipientName,
    Language,
    Payload,
    BookingId,
    SeriesId,
    EventId,
    Status,
    Attempts,
    LastError,
    Subject,
    DueAt,
    DedupKey,
    ClaimedBy,
    ClaimedUntil,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string(Outbox::Kind))
                    .col(string(Outbox::RecipientEmail))
                    .col(string_null(Outbox::RecipientName))
                    .col(string(Outbox::Language))
                    .col(text(Outbox::Payload))
                    .col(big_integer_null(Outbox::BookingId))
                    .col(big_integer_null(Outbox::SeriesId))
                    .col(big_integer_null(Outbox::EventId))
                    .col(string(Outbox::Status))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(text_null(Outbox::LastError))
                    .col(text_null(Outbox::Subject))
                    .col(timestamp_with_time_zone(Outbox::DueAt))
                    .col(string_null(Outbox::DedupKey).unique_key())
                    .col(string_null(Outbox::ClaimedBy))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone(Outbox::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::BookingId)
                            .to(Booking::Table, Booking::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::EventId)
                            .to(Event::Table, Event::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Outbox::Table, Outbox::SeriesId)
                            .to(BookingSeries::Table, BookingSeries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker's claim: pending rows that are due, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("outbox_status_due")
                    .table(Outbox::Table)
                    .col(Outbox::Status)
                    .col(Outbox::DueAt)
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("outbox_booking", Outbox::BookingId),
            ("outbox_series", Outbox::SeriesId),
            ("outbox_event", Outbox::EventId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Outbox::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // The reminder scan: confirmed bookings that begin soon, across all facilities.
        manager
            .create_index(
                Index::create()
                    .name("booking_status_start")
                    .table(Booking::Table)
                    .col(Booking::Status)
                    .col(Booking::StartsAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("booking_status_start")
                    .table(Booking::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
