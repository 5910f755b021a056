//! The data of calendar feeds, read in a constant number of queries per feed.
use entity::installation;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};

use crate::error::{AppError, AppResult};
use crate::ical::Installation;

/// This installation's calendar id, made once by the migration.
pub async fn installation(db: &impl ConnectionTrait) -> AppResult<Installation> {
    installation::Entity::find_by_id(1)
        .select_only()
        .column(installation::Column::CalendarId)
        .into_tuple::<String>()
        .one(db)
        .await?
        .map(Installation::new)
        .ok_or_else(|| AppError::internal("the installation row is missing"))
}
