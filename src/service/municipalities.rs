//! The municipality directory, read once at start.
use entity::municipality;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::domain::municipality::{Municipality, MunicipalityDirectory};
use crate::error::AppResult;

/// Loads every municipality the migrations seeded.
pub async fn load_directory(db: &DatabaseConnection) -> AppResult<MunicipalityDirectory> {
    let rows = municipality::Entity::find().all(db).await?;
    Ok(MunicipalityDirectory::new(
        rows.into_iter()
            .map(|m| Municipality {
                code: m.code,
                name_fi: m.name_fi,
                name_sv: m.name_sv,
            })
            .collect(),
    ))
}
