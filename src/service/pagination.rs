//! Keyset pagination by id, shared by every list.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, Statement,
};

use crate::domain::validation::ValidationError;
use crate::error::AppResult;

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// A requested page: at most `first` rows after the row with id `after`.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// Rows wanted.
    pub first: u64,
    /// Id of the last row of the previous page.
    pub after: Option<i64>,
}

impl PageRequest {
    /// Checks `first` (1..=100, default 20).
    pub fn new(first: Option<i32>, after: Option<i64>) -> Result<Self, ValidationError> {
        let first = first.unwrap_or(20);
        match u64::try_from(first) {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(Self { first: n, after }),
            _ => Err(ValidationError::new(
                "first",
                "INVALID_PAGE_SIZE",
                format!("first is from 1 to {MAX_PAGE_SIZE}"),
            )),
        }
    }
}

/// One page of rows and whether more follow.
#[derive(Debug)]
pub struct Page<T> {
    /// The rows, by id.
    pub rows: Vec<T>,
    /// True when rows follow the last one.
    pub has_next_page: bool,
    /// A statement counting every row the filter matches, run only if asked for.
    pub count: Statement,
}

#[derive(FromQueryResult)]
struct Count {
    count: i64,
}

/// Fetches one page of `select` ordered by `id`, in one query.
pub async fn fetch_page<E, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    id: C,
    page: PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let backend = db.get_database_backend();
    let count = select
        .clone()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "count")
        .build(backend);
    let mut query = select.order_by_asc(id).limit(page.first + 1);
    if let Some(after) = page.after {
        query = query.filter(id.gt(after));
    }
    let mut rows = query.all(db).await?;
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    Ok(Page {
        rows,
        has_next_page,
        count,
    })
}

/// Runs a count statement made by [`fetch_page`].
pub async fn count(db: &impl ConnectionTrait, statement: Statement) -> AppResult<i64> {
    let row = Count::find_by_statement(statement).one(db).await?;
    Ok(row.map_or(0, |r| r.count))
}
