//! Events, their occurrences, venues (bookings) and co-hosts; the people organisations
//! name for space and event cooperation; and the price recorded on each booking.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

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
enum Booking {
    Table,
    Id,
    PriceCents,
}

#[derive(DeriveIden)]
enum Event {
    Table,
    Id,
    OrganiserId,
    CreatedBy,
    Slug,
    TitleFi,
    TitleSv,
    TitleEn,
    SummaryFi,
    SummarySv,
    SummaryEn,
    DescriptionFi,
    DescriptionSv,
    DescriptionEn,
    TimeZone,
    StartsAt,
    EndsAt,
    RecurrenceRule,
    ExceptionDates,
    PlaceName,
    StreetAddress,
    PostalCode,
    MunicipalityCode,
    Latitude,
    Longitude,
    OnlineUrl,
    Status,
    StatusReason,
    Visibility,
    Publication,
    PublishedAt,
    Themes,
    TargetGroups,
    Languages,
    IsFree,
    PriceFi,
    PriceSv,
    PriceEn,
    RegistrationUrl,
    RegistrationCapacity,
    Accessibility,
    AccessibilityInfoFi,
    AccessibilityInfoSv,
    AccessibilityInfoEn,
    MinAge,
    MaxAge,
    Keywords,
    ImageUrl,
    InfoUrl,
    SearchText,
    Sequence,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventOccurrence {
    Table,
    Id,
    EventId,
    RecurrenceId,
    StartsAt,
    EndsAt,
    Status,
    StatusReason,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventBooking {
    Table,
    BookingId,
    EventId,
    OccurrenceId,
}

#[derive(DeriveIden)]
enum EventCohost {
    Table,
    EventId,
    OrganisationId,
    Status,
    InvitedBy,
    InvitedAt,
    RespondedBy,
    RespondedAt,
}

#[derive(DeriveIden)]
enum CooperationContact {
    Table,
    Id,
    OrganisationId,
    Role,
    Name,
    JobTitle,
    Email,
    Phone,
    Areas,
    Themes,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CooperationContactMunicipality {
    Table,
    ContactId,
    MunicipalityCode,
}

fn cascade(
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
    columns: &[&str],
) -> Result<(), DbErr> {
    let mut index = Index::create().name(name).table(table).to_owned();
    for column in columns {
        index.col(Alias::new(*column));
    }
    manager.create_index(index).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // What the booker pays, worked out when booking; NULL for bookings made before
        // prices were recorded.
        manager
            .alter_table(
                Table::alter()
                    .table(Booking::Table)
                    .add_column(big_integer_null(Booking::PriceCents))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(big_pk_auto(Event::Id))
                    .col(big_integer(Event::OrganiserId))
                    .col(big_integer(Event::CreatedBy))
                    .col(string(Event::Slug).unique_key())
                    .col(string_null(Event::TitleFi))
                    .col(string_null(Event::TitleSv))
                    .col(string_null(Event::TitleEn))
                    .col(text_null(Event::SummaryFi))
                    .col(text_null(Event::SummarySv))
                    .col(text_null(Event::SummaryEn))
                    .col(text_null(Event::DescriptionFi))
                    .col(text_null(Event::DescriptionSv))
                    .col(text_null(Event::DescriptionEn))
                    .col(string(Event::TimeZone))
                    .col(timestamp_with_time_zone(Event::StartsAt))
                    .col(timestamp_with_time_zone(Event::EndsAt))
                    .col(string_null(Event::RecurrenceRule))
                    .col(text(Event::ExceptionDates))
                    .col(string_null(Event::PlaceName))
                    .col(string_null(Event::StreetAddress))
                    .col(string_null(Event::PostalCode))
                    .col(string(Event::MunicipalityCode))
                    .col(double_null(Event::Latitude))
                    .col(double_null(Event::Longitude))
                    .col(string_null(Event::OnlineUrl))
                    .col(string(Event::Status))
                    .col(text_null(Event::StatusReason))
                    .col(string(Event::Visibility))
                    .col(string(Event::Publication))
                    .col(timestamp_with_time_zone_null(Event::PublishedAt))
                    .col(big_integer(Event::Themes))
                    .col(big_integer(Event::TargetGroups))
                    .col(big_integer(Event::Languages))
                    .col(boolean(Event::IsFree))
                    .col(text_null(Event::PriceFi))
                    .col(text_null(Event::PriceSv))
                    .col(text_null(Event::PriceEn))
                    .col(string_null(Event::RegistrationUrl))
                    .col(integer_null(Event::RegistrationCapacity))
                    .col(big_integer(Event::Accessibility))
                    .col(text_null(Event::AccessibilityInfoFi))
                    .col(text_null(Event::AccessibilityInfoSv))
                    .col(text_null(Event::AccessibilityInfoEn))
                    .col(integer_null(Event::MinAge))
                    .col(integer_null(Event::MaxAge))
                    .col(text(Event::Keywords))
                    .col(string_null(Event::ImageUrl))
                    .col(string_null(Event::InfoUrl))
                    .col(text(Event::SearchText))
                    .col(integer(Event::Sequence))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .col(timestamp_with_time_zone(Event::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Event::Table, Event::OrganiserId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (Event::Table, Event::CreatedBy),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "event_organiser", Event::Table, &["organiser_id"]).await?;

        // Every event has at least one occurrence; the public listing seeks them by start.
        manager
            .create_table(
                Table::create()
                    .table(EventOccurrence::Table)
                    .col(big_pk_auto(EventOccurrence::Id))
                    .col(big_integer(EventOccurrence::EventId))
                    .col(string_null(EventOccurrence::RecurrenceId))
                    .col(timestamp_with_time_zone(EventOccurrence::StartsAt))
                    .col(timestamp_with_time_zone(EventOccurrence::EndsAt))
                    .col(string(EventOccurrence::Status))
                    .col(text_null(EventOccurrence::StatusReason))
                    .col(timestamp_with_time_zone(EventOccurrence::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (EventOccurrence::Table, EventOccurrence::EventId),
                        (Event::Table, Event::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "event_occurrence_start",
            EventOccurrence::Table,
            &["starts_at", "event_id"],
        )
        .await?;
        index(
            manager,
            "event_occurrence_event",
            EventOccurrence::Table,
            &["event_id", "starts_at"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(EventBooking::Table)
                    .col(big_integer(EventBooking::BookingId).primary_key())
                    .col(big_integer(EventBooking::EventId))
                    .col(big_integer(EventBooking::OccurrenceId))
                    .foreign_key(&mut cascade(
                        (EventBooking::Table, EventBooking::BookingId),
                        (Booking::Table, Booking::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (EventBooking::Table, EventBooking::EventId),
                        (Event::Table, Event::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (EventBooking::Table, EventBooking::OccurrenceId),
                        (EventOccurrence::Table, EventOccurrence::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "event_booking_event",
            EventBooking::Table,
            &["event_id"],
        )
        .await?;
        index(
            manager,
            "event_booking_occurrence",
            EventBooking::Table,
            &["occurrence_id"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(EventCohost::Table)
                    .col(big_integer(EventCohost::EventId))
                    .col(big_integer(EventCohost::OrganisationId))
                    .col(string(EventCohost::Status))
                    .col(big_integer(EventCohost::InvitedBy))
                    .col(timestamp_with_time_zone(EventCohost::InvitedAt))
                    .col(big_integer_null(EventCohost::RespondedBy))
                    .col(timestamp_with_time_zone_null(EventCohost::RespondedAt))
                    .primary_key(
                        Index::create()
                            .col(EventCohost::EventId)
                            .col(EventCohost::OrganisationId),
                    )
                    .foreign_key(&mut cascade(
                        (EventCohost::Table, EventCohost::EventId),
                        (Event::Table, Event::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (EventCohost::Table, EventCohost::OrganisationId),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "event_cohost_organisation",
            EventCohost::Table,
            &["organisation_id", "status"],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CooperationContact::Table)
                    .col(big_pk_auto(CooperationContact::Id))
                    .col(big_integer(CooperationContact::OrganisationId))
                    .col(string(CooperationContact::Role))
                    .col(string(CooperationContact::Name))
                    .col(string_null(CooperationContact::JobTitle))
                    .col(string_null(CooperationContact::Email))
                    .col(string_null(CooperationContact::Phone))
                    .col(integer(CooperationContact::Areas))
                    .col(big_integer(CooperationContact::Themes))
                    .col(integer(CooperationContact::Position))
                    .col(timestamp_with_time_zone(CooperationContact::CreatedAt))
                    .foreign_key(&mut cascade(
                        (
                            CooperationContact::Table,
                            CooperationContact::OrganisationId,
                        ),
                        (Organisation::Table, Organisation::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "cooperation_contact_organisation",
            CooperationContact::Table,
            &["organisation_id"],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CooperationContactMunicipality::Table)
                    .col(big_integer(CooperationContactMunicipality::ContactId))
                    .col(string(CooperationContactMunicipality::MunicipalityCode))
                    .primary_key(
                        Index::create()
                            .col(CooperationContactMunicipality::ContactId)
                            .col(CooperationContactMunicipality::MunicipalityCode),
                    )
                    .foreign_key(&mut cascade(
                        (
                            CooperationContactMunicipality::Table,
                            CooperationContactMunicipality::ContactId,
                        ),
                        (CooperationContact::Table, CooperationContact::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "cooperation_contact_municipality_code",
            CooperationContactMunicipality::Table,
            &["municipality_code"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CooperationContactMunicipality::Table.into_iden(),
            CooperationContact::Table.into_iden(),
            EventCohost::Table.into_iden(),
            EventBooking::Table.into_iden(),
            EventOccurrence::Table.into_iden(),
            Event::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Booking::Table)
                    .drop_column(Booking::PriceCents)
                    .to_owned(),
            )
            .await
    }
}
