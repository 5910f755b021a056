//! A recurring series of bookings; each occurrence is its own booking row.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_series")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub facility_id: i64,
    pub organisation_id: i64,
    /// The RFC 5545 RRULE value.
    pub rule: String,
    /// The first occurrence's local start, `YYYY-MM-DDTHH:MM:SS`.
    pub first_start_local: String,
    pub duration_minutes: i32,
    pub time_zone: String,
    /// JSON list of excluded local dates or date-times.
    pub exception_dates: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
