//! An event hosted by an organisation (and its co-hosts): a concert, a peer group, a fair.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organiser_id: i64,
    pub created_by: i64,
    /// The stable part of the event's public address.
    #[sea_orm(unique)]
    pub slug: String,
    pub title_fi: Option<String>,
    pub title_sv: Option<String>,
    pub title_en: Option<String>,
    pub summary_fi: Option<String>,
    pub summary_sv: Option<String>,
    pub summary_en: Option<String>,
    pub description_fi: Option<String>,
    pub description_sv: Option<String>,
    pub description_en: Option<String>,
    /// The IANA zone its wall-clock times are in (the venue's).
    pub time_zone: String,
    /// Start of the (first) occurrence.
    pub starts_at: DateTimeUtc,
    /// End of the (first) occurrence.
    pub ends_at: DateTimeUtc,
    /// The RFC 5545 RRULE of a recurring event.
    pub recurrence_rule: Option<String>,
    /// JSON list of excluded local dates.
    pub exception_dates: String,
    /// A place outside the service's facilities.
    pub place_name: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub municipality_code: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    pub status: String,
    /// Shown to the public with a cancellation or postponement.
    pub status_reason: Option<String>,
    pub visibility: String,
    pub publication: String,
    pub published_at: Option<DateTimeUtc>,
    /// Bit set of HYTE themes (bit positions fixed in the domain).
    pub themes: i64,
    /// Bit set of target groups (bit positions fixed in the domain).
    pub target_groups: i64,
    /// Bit set of the languages it is held in.
    pub languages: i64,
    pub is_free: bool,
    pub price_fi: Option<String>,
    pub price_sv: Option<String>,
    pub price_en: Option<String>,
    pub registration_url: Option<String>,
    pub registration_capacity: Option<i32>,
    /// Bit set of accessibility features of an external place.
    pub accessibility: i64,
    pub accessibility_info_fi: Option<String>,
    pub accessibility_info_sv: Option<String>,
    pub accessibility_info_en: Option<String>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    /// JSON list of keywords.
    pub keywords: String,
    pub image_url: Option<String>,
    pub info_url: Option<String>,
    /// Lower-cased texts in all languages and keywords, for text search.
    pub search_text: String,
    /// Grows with every change a calendar would show.
    pub sequence: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
