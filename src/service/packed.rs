//! Reading many rows as a few. sqlx's SQLite driver hands over every row on its own,
//! from its worker thread over a channel, which costs more than SQLite's own work for a
//! large read; so on SQLite the database packs the rows into JSON arrays of
//! [`PACK_ROWS`] each, decoded with serde. PostgreSQL's driver takes rows cheaply (and
//! building JSON there costs more than it saves), so there the rows are streamed as they
//! are. Either way no more than a pack is held beside what the caller makes of the rows.
use futures::TryStreamExt;
use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, QueryTrait, Select, Statement,
    StreamTrait,
};
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult};

/// Rows in one pack.
const PACK_ROWS: usize = 1000;

/// The models `select` reads, each turned into a `T` by `convert` as its pack arrives, in
/// no particular order.
pub async fn read<E, T>(
    db: &(impl ConnectionTrait + StreamTrait),
    select: Select<E>,
    mut convert: impl FnMut(E::Model) -> AppResult<T>,
) -> AppResult<Vec<T>>
where
    E: EntityTrait,
    E::Model: DeserializeOwned,
{
    let backend = ConnectionTrait::get_database_backend(db);
    if backend == DbBackend::Postgres {
        return select
            .stream(db)
            .await?
            .map_err(AppError::from)
            .and_then(|model| std::future::ready(convert(model)))
            .try_collect()
            .await;
    }
    let Statement {
        sql: inner, values, ..
    } = select.build(backend);
    let numbered = format!(
        "SELECT s.*, (ROW_NUMBER() OVER () - 1) / {PACK_ROWS} AS pack_no FROM ({inner}) AS s"
    );
    let sql = format!(
        "SELECT json_group_array(json_object({})) AS pack FROM ({numbered}) AS t \
         GROUP BY pack_no",
        sqlite_fields::<E>()
    );
    let statement = Statement {
        sql,
        values,
        db_backend: backend,
    };
    let mut packs = std::pin::pin!(db.stream_raw(statement).await?);
    let mut found = Vec::new();
    while let Some(row) = packs.try_next().await? {
        let pack: String = row.try_get("", "pack")?;
        let models: Vec<E::Model> = serde_json::from_str(&pack).map_err(AppError::internal)?;
        for model in models {
            found.push(convert(model)?);
        }
    }
    Ok(found)
}

/// The `json_object` arguments for every column of `E`. SQLite keeps booleans as
/// integers, so they become JSON booleans; it writes reals into JSON with 15 digits, so
/// they are written with 17, enough to read back the same `f64`. (`json_object` takes at
/// most 127 arguments in SQLite's default build: 63 columns; `event`, the widest table
/// read this way, has 52, and the packed-read test reads it.)
fn sqlite_fields<E: EntityTrait>() -> String {
    E::Column::iter()
        .map(|column| {
            let name = sea_orm::IdenStatic::as_str(&column);
            match column.def().get_column_type() {
                ColumnType::Boolean => format!(
                    "'{name}', CASE WHEN t.\"{name}\" IS NULL THEN NULL \
                     WHEN t.\"{name}\" THEN json('true') ELSE json('false') END"
                ),
                ColumnType::Double | ColumnType::Float => format!(
                    "'{name}', CASE WHEN t.\"{name}\" IS NULL THEN NULL \
                     ELSE json(printf('%!.17g', t.\"{name}\")) END"
                ),
                _ => format!("'{name}', t.\"{name}\""),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
