//! A booking of a facility by an organisation.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub facility_id: i64,
    pub organisation_id: i64,
    pub booked_by: i64,
    pub series_id: Option<i64>,
    /// The occurrence's original local start (`YYYY-MM-DDTHH:MM:SS`) within its series.
    pub recurrence_id: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub title: String,
    pub purpose: Option<String>,
    pub attendees: Option<i32>,
    pub public: bool,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub status_changed_at: DateTimeUtc,
    pub status_changed_by: Option<i64>,
    pub client_key: Option<String>,
    /// What the booker pays, in euro cents; None for bookings made before prices were recorded.
    pub price_cents: Option<i64>,
    /// Grows with every change a calendar would show.
    pub sequence: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
