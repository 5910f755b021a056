//! One weekly opening interval in the facility's local wall-clock time.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "facility_opening_hours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub facility_id: i64,
    /// ISO weekday number minus one: 0 = Monday … 6 = Sunday.
    pub weekday: i16,
    /// Minutes after local midnight, 0..1440.
    pub opens_minute: i32,
    /// Minutes after local midnight, 1..=1440 (1440 = closes at midnight).
    pub closes_minute: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
