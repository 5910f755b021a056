//! A dated exception to the weekly hours: a closure or special hours.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "facility_exception")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub facility_id: i64,
    pub first_day: Date,
    pub last_day: Date,
    /// JSON list of `[opensMinute, closesMinute]` pairs; empty when closed.
    pub hours: String,
    pub reason_fi: Option<String>,
    pub reason_sv: Option<String>,
    pub reason_en: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
