//! Feeds and listings ask of each event whether it has an occurrence in a window. The
//! occurrences' index by event and start now holds the end too, so the question is
//! answered from the index alone.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventOccurrence {
    Table,
    EventId,
    StartsAt,
    EndsAt,
}

const OLD: &str = "event_occurrence_event";
const NEW: &str = "event_occurrence_event_time";

fn by_event(name: &str, with_end: bool) -> IndexCreateStatement {
    let mut index = Index::create()
        .name(name)
        .table(EventOccurrence::Table)
        .col(EventOccurrence::EventId)
        .col(EventOccurrence::StartsAt)
        .to_owned();
    if with_end {
        index.col(EventOccurrence::EndsAt);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(by_event(NEW, true)).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(OLD)
                    .table(EventOccurrence::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(by_event(OLD, false)).await?;
        manager
            .drop_index(
                Index::drop()
                    .name(NEW)
                    .table(EventOccurrence::Table)
                    .to_owned(),
            )
            .await
    }
}
