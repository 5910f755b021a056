//! Calendar feeds: the installation's random id (for stable UIDs) and members' private
//! feed tokens (only their hashes).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Installation {
    Table,
    Id,
    CalendarId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CalendarFeed {
    Table,
    Id,
    UserId,
    OrganisationId,
    Name,
    Language,
    TokenHash,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
}

/// 16 random hexadecimal digits, made by the database itself.
fn random_id(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => {
            "substr(md5(random()::text || clock_timestamp()::text), 1, 16)"
        }
        _ => "lower(hex(randomblob(8)))",
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Installation::Table)
                    .col(integer(Installation::Id).primary_key())
                    .col(string(Installation::CalendarId))
                    .col(timestamp_with_time_zone(Installation::CreatedAt))
                    .to_owned(),
            )
            .await?;
        let random = random_id(manager.get_database_backend());
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO installation (id, calendar_id, created_at) \
                 VALUES (1, {random}, CURRENT_TIMESTAMP)"
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarFeed::Table)
                    .col(big_pk_auto(CalendarFeed::Id))
                    .col(big_integer(CalendarFeed::UserId))
                    .col(big_integer(CalendarFeed::OrganisationId))
                    .col(string(CalendarFeed::Name))
                    .col(string(CalendarFeed::Language))
                    .col(string_uniq(CalendarFeed::TokenHash))
                    .col(timestamp_with_time_zone(CalendarFeed::CreatedAt))
                    .col(timestamp_with_time_zone_null(CalendarFeed::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CalendarFeed::Table, CalendarFeed::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CalendarFeed::Table, CalendarFeed::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("calendar_feed_user")
                    .table(CalendarFeed::Table)
                    .col(CalendarFeed::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarFeed::Table.into_iden(),
            Installation::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
