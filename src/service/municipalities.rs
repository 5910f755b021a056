//! The municipalities the migrations seeded: the directory read once at start, and by
//! code.
use entity::municipality;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::domain::municipality::{Municipality, MunicipalityDirectory};
use crate::error::AppResult;

fn to_municipality(m: municipality::Model) -> Municipality {
    Municipality {
        code: m.code,
        name_fi: m.name_fi,
        name_sv: m.name_sv,
    }
}

/// Loads every municipality.
pub async fn load_directory(db: &DatabaseConnection) -> AppResult<MunicipalityDirectory> {
    let rows = municipality::Entity::find().all(db).await?;
    Ok(MunicipalityDirectory::new(
        rows.into_iter().map(to_municipality).collect(),
    ))
}

/// The municipalities with these codes.
pub async fn by_codes(db: &impl ConnectionTrait, codes: &[&str]) -> AppResult<Vec<Municipality>> {
    Ok(municipality::Entity::find()
        .filter(municipality::Column::Code.is_in(codes.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(to_municipality)
        .collect())
}

/// The municipality with this code, if there is one.
pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> AppResult<Option<Municipality>> {
    Ok(municipality::Entity::find_by_id(code.to_string())
        .one(db)
        .await?
        .map(to_municipality))
}
