//! Organisations, users, memberships, API tokens, municipalities and facilities.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The ten municipalities of Päijät-Häme with their Statistics Finland codes
/// and Swedish names. Frozen here: later changes need a new migration.
const MUNICIPALITIES: [(&str, &str, &str); 10] = [
    ("016", "Asikkala", "Asikkala"),
    ("081", "Hartola", "Gustav Adolfs"),
    ("098", "Hollola", "Hollola"),
    ("111", "Heinola", "Heinola"),
    ("142", "Iitti", "Itis"),
    ("316", "Kärkölä", "Kärkölä"),
    ("398", "Lahti", "Lahtis"),
    ("560", "Orimattila", "Orimattila"),
    ("576", "Padasjoki", "Padasjoki"),
    ("781", "Sysmä", "Sysmä"),
];

#[derive(DeriveIden)]
enum Municipality {
    Table,
    Code,
    NameFi,
    NameSv,
}

#[derive(DeriveIden)]
enum Organisation {
    Table,
    Id,
    Kind,
    NameFi,
    NameSv,
    NameEn,
    BusinessId,
    MunicipalityCode,
    DescriptionFi,
    DescriptionSv,
    DescriptionEn,
    ContactEmail,
    ContactPhone,
    Website,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Email,
    Name,
    Language,
    IsCoordinator,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    OrganisationId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
#[expect(
    clippy::enum_variant_names,
    reason = "the variants name the table's columns"
)]
enum Facility {
    Table,
    Id,
    OwnerId,
    ParentId,
    NameFi,
    NameSv,
    NameEn,
    DescriptionFi,
    DescriptionSv,
    DescriptionEn,
    FacilityType,
    StreetAddress,
    PostalCode,
    MunicipalityCode,
    Latitude,
    Longitude,
    Capacity,
    Accessibility,
    Equipment,
    TimeZone,
    ContactName,
    ContactEmail,
    ContactPhone,
    ContactPublic,
    WhoMayBook,
    FreeForNonProfit,
    HourlyPrices,
    MinDurationMinutes,
    MaxDurationMinutes,
    SlotGranularityMinutes,
    MinNoticeMinutes,
    MaxAdvanceDays,
    BufferBeforeMinutes,
    BufferAfterMinutes,
    ApprovalRequired,
    CancellationNoticeMinutes,
    MaxFutureBookingsPerOrganisation,
    MaxWeeklyMinutesPerOrganisation,
    Published,
    SearchText,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FacilityInvitedOrganisation {
    Table,
    FacilityId,
    OrganisationId,
}

#[derive(DeriveIden)]
enum FacilityOpeningHours {
    Table,
    Id,
    FacilityId,
    Weekday,
    OpensMinute,
    ClosesMinute,
}

#[derive(DeriveIden)]
enum FacilityException {
    Table,
    Id,
    FacilityId,
    FirstDay,
    LastDay,
    Hours,
    ReasonFi,
    ReasonSv,
    ReasonEn,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Municipality::Table)
                    .col(string(Municipality::Code).primary_key())
                    .col(string(Municipality::NameFi))
                    .col(string(Municipality::NameSv))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(Municipality::Table)
            .columns([
                Municipality::Code,
                Municipality::NameFi,
                Municipality::NameSv,
            ])
            .to_owned();
        for (code, fi, sv) in MUNICIPALITIES {
            insert.values_panic([code.into(), fi.into(), sv.into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(big_pk_auto(Organisation::Id))
                    .col(string(Organisation::Kind))
                    .col(string_null(Organisation::NameFi))
                    .col(string_null(Organisation::NameSv))
                    .col(string_null(Organisation::NameEn))
                    .col(string_null(Organisation::BusinessId).unique_key())
                    .col(string(Organisation::MunicipalityCode))
                    .col(text_null(Organisation::DescriptionFi))
                    .col(text_null(Organisation::DescriptionSv))
                    .col(text_null(Organisation::DescriptionEn))
                    .col(string_null(Organisation::ContactEmail))
                    .col(string_null(Organisation::ContactPhone))
                    .col(string_null(Organisation::Website))
                    .col(text(Organisation::SearchText))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .col(timestamp_with_time_zone(Organisation::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organisation::Table, Organisation::MunicipalityCode)
                            .to(Municipality::Table, Municipality::Code),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(big_pk_auto(AppUser::Id))
                    .col(string(AppUser::Email).unique_key())
                    .col(string(AppUser::Name))
                    .col(string(AppUser::Language))
                    .col(boolean(AppUser::IsCoordinator))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(big_pk_auto(Membership::Id))
                    .col(big_integer(Membership::OrganisationId))
                    .col(big_integer(Membership::UserId))
                    .col(string(Membership::Role))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        (Membership::Table, Membership::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Membership::Table, Membership::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("membership_organisation_user")
                    .table(Membership::Table)
                    .col(Membership::OrganisationId)
                    .col(Membership::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("membership_user")
                    .table(Membership::Table)
                    .col(Membership::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(big_pk_auto(ApiToken::Id))
                    .col(big_integer(ApiToken::UserId))
                    .col(string(ApiToken::Name))
                    .col(string(ApiToken::TokenHash).unique_key())
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .foreign_key(&mut foreign_key(
                        (ApiToken::Table, ApiToken::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Facility::Table)
                    .col(big_pk_auto(Facility::Id))
                    .col(big_integer(Facility::OwnerId))
                    .col(big_integer_null(Facility::ParentId))
                    .col(string_null(Facility::NameFi))
                    .col(string_null(Facility::NameSv))
                    .col(string_null(Facility::NameEn))
                    .col(text_null(Facility::DescriptionFi))
                    .col(text_null(Facility::DescriptionSv))
                    .col(text_null(Facility::DescriptionEn))
                    .col(string(Facility::FacilityType))
                    .col(string(Facility::StreetAddress))
                    .col(string(Facility::PostalCode))
                    .col(string(Facility::MunicipalityCode))
                    .col(double_null(Facility::Latitude))
                    .col(double_null(Facility::Longitude))
                    .col(integer(Facility::Capacity))
                    .col(big_integer(Facility::Accessibility))
                    .col(big_integer(Facility::Equipment))
                    .col(string(Facility::TimeZone))
                    .col(string(Facility::ContactName))
                    .col(string_null(Facility::ContactEmail))
                    .col(string_null(Facility::ContactPhone))
                    .col(boolean(Facility::ContactPublic))
                    .col(string(Facility::WhoMayBook))
                    .col(boolean(Facility::FreeForNonProfit))
                    .col(text(Facility::HourlyPrices))
                    .col(integer_null(Facility::MinDurationMinutes))
                    .col(integer_null(Facility::MaxDurationMinutes))
                    .col(integer_null(Facility::SlotGranularityMinutes))
                    .col(integer_null(Facility::MinNoticeMinutes))
                    .col(integer_null(Facility::MaxAdvanceDays))
                    .col(integer(Facility::BufferBeforeMinutes))
                    .col(integer(Facility::BufferAfterMinutes))
                    .col(boolean(Facility::ApprovalRequired))
                    .col(integer_null(Facility::CancellationNoticeMinutes))
                    .col(integer_null(Facility::MaxFutureBookingsPerOrganisation))
                    .col(integer_null(Facility::MaxWeeklyMinutesPerOrganisation))
                    .col(boolean(Facility::Published))
                    .col(text(Facility::SearchText))
                    .col(timestamp_with_time_zone(Facility::CreatedAt))
                    .col(timestamp_with_time_zone(Facility::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        (Facility::Table, Facility::OwnerId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (Facility::Table, Facility::ParentId),
                        (Facility::Table, Facility::Id),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Facility::Table, Facility::MunicipalityCode)
                            .to(Municipality::Table, Municipality::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("facility_owner", Facility::OwnerId),
            ("facility_municipality", Facility::MunicipalityCode),
            ("facility_parent", Facility::ParentId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Facility::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(FacilityInvitedOrganisation::Table)
                    .col(big_integer(FacilityInvitedOrganisation::FacilityId))
                    .col(big_integer(FacilityInvitedOrganisation::OrganisationId))
                    .primary_key(
                        Index::create()
                            .col(FacilityInvitedOrganisation::FacilityId)
                            .col(FacilityInvitedOrganisation::OrganisationId),
                    )
                    .foreign_key(&mut foreign_key(
                        (
                            FacilityInvitedOrganisation::Table,
                            FacilityInvitedOrganisation::FacilityId,
                        ),
                        (Facility::Table, Facility::Id),
                    ))
                    .foreign_key(&mut foreign_key(
                        (
                            FacilityInvitedOrganisation::Table,
                            FacilityInvitedOrganisation::OrganisationId,
                        ),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FacilityOpeningHours::Table)
                    .col(big_pk_auto(FacilityOpeningHours::Id))
                    .col(big_integer(FacilityOpeningHours::FacilityId))
                    .col(small_integer(FacilityOpeningHours::Weekday))
                    .col(integer(FacilityOpeningHours::OpensMinute))
                    .col(integer(FacilityOpeningHours::ClosesMinute))
                    .foreign_key(&mut foreign_key(
                        (
                            FacilityOpeningHours::Table,
                            FacilityOpeningHours::FacilityId,
                        ),
                        (Facility::Table, Facility::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("facility_opening_hours_facility")
                    .table(FacilityOpeningHours::Table)
                    .col(FacilityOpeningHours::FacilityId)
                    .col(FacilityOpeningHours::Weekday)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FacilityException::Table)
                    .col(big_pk_auto(FacilityException::Id))
                    .col(big_integer(FacilityException::FacilityId))
                    .col(date(FacilityException::FirstDay))
                    .col(date(FacilityException::LastDay))
                    .col(text(FacilityException::Hours))
                    .col(string_null(FacilityException::ReasonFi))
                    .col(string_null(FacilityException::ReasonSv))
                    .col(string_null(FacilityException::ReasonEn))
                    .foreign_key(&mut foreign_key(
                        (FacilityException::Table, FacilityException::FacilityId),
                        (Facility::Table, Facility::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("facility_exception_facility")
                    .table(FacilityException::Table)
                    .col(FacilityException::FacilityId)
                    .col(FacilityException::FirstDay)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FacilityException::Table.into_iden(),
            FacilityOpeningHours::Table.into_iden(),
            FacilityInvitedOrganisation::Table.into_iden(),
            Facility::Table.into_iden(),
            ApiToken::Table.into_iden(),
            Membership::Table.into_iden(),
            AppUser::Table.into_iden(),
            Organisation::Table.into_iden(),
            Municipality::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
