//! Premises that an organisation lends: a room, a hall, a field, …
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "facility")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_id: i64,
    /// The divisible facility this one is a part of (a half of a gym, a section of a hall).
    pub parent_id: Option<i64>,
    pub name_fi: Option<String>,
    pub name_sv: Option<String>,
    pub name_en: Option<String>,
    pub description_fi: Option<String>,
    pub description_sv: Option<String>,
    pub description_en: Option<String>,
    pub facility_type: String,
    pub street_address: String,
    pub postal_code: String,
    pub municipality_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub capacity: i32,
    /// Bit set of accessibility features (bit positions fixed in the domain).
    pub accessibility: i64,
    /// Bit set of equipment (bit positions fixed in the domain).
    pub equipment: i64,
    pub time_zone: String,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_public: bool,
    pub who_may_book: String,
    pub free_for_non_profit: bool,
    /// JSON list of `{customerKind, cents}` hourly prices.
    pub hourly_prices: String,
    pub min_duration_minutes: Option<i32>,
    pub max_duration_minutes: Option<i32>,
    pub slot_granularity_minutes: Option<i32>,
    pub min_notice_minutes: Option<i32>,
    pub max_advance_days: Option<i32>,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub approval_required: bool,
    pub cancellation_notice_minutes: Option<i32>,
    /// At most this many future blocking bookings per booking organisation.
    pub max_future_bookings_per_organisation: Option<i32>,
    /// At most this many booked minutes per organisation in one ISO week.
    pub max_weekly_minutes_per_organisation: Option<i32>,
    pub published: bool,
    /// Lower-cased names and descriptions in all languages, for text search.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
