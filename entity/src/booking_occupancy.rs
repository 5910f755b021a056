//! The time a blocking booking holds one bookable unit, buffers included. The
//! database refuses overlapping rows of one unit (an exclusion constraint on
//! PostgreSQL, a trigger on SQLite).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_occupancy")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub booking_id: i64,
    /// The facility (or part of one) held.
    pub unit_id: i64,
    pub blocked_from: DateTimeUtc,
    pub blocked_until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
