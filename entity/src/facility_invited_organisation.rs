//! Organisations invited to book a facility whose booking policy is by invitation.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "facility_invited_organisation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub facility_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
