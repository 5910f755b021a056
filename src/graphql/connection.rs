//! Relay cursor connections over pages from the service layer.
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, Object, OutputType};
use sea_orm::Statement;

use super::context::state;
use crate::domain::validation::ValidationError;
use crate::service::pagination::{Page, PageRequest, count};

/// The extra fields of every connection: `totalCount`, counted only when asked for.
pub struct TotalCount(Statement);

impl TotalCount {
    /// The total of the rows `count` counts.
    pub fn new(count: Statement) -> Self {
        Self(count)
    }
}

#[Object]
impl TotalCount {
    /// How many items match the filter, on all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(count(&state(ctx)?.db, self.0.clone()).await?)
    }
}

/// A connection of `N` nodes with cursors and `totalCount`.
pub type CountedConnection<N> = Connection<OpaqueCursor<i64>, N, TotalCount>;

/// Checks `first` and decodes `after` into a page request.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
) -> Result<PageRequest, ValidationError> {
    let after = after
        .map(|cursor| {
            <OpaqueCursor<i64> as async_graphql::connection::CursorType>::decode_cursor(&cursor)
                .map(|c| c.0)
                .map_err(|_| {
                    ValidationError::new("after", "INVALID_CURSOR", "not a cursor of this list")
                })
        })
        .transpose()?;
    PageRequest::new(first, after)
}

/// Builds a connection from a page; `id` gives each row's cursor.
pub fn connection<T, N: OutputType>(
    request: PageRequest,
    page: Page<T>,
    id: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> CountedConnection<N> {
    let mut connection = Connection::with_additional_fields(
        request.after.is_some(),
        page.has_next_page,
        TotalCount(page.count),
    );
    connection.edges.extend(
        page.rows
            .into_iter()
            .map(|row| Edge::new(OpaqueCursor(id(&row)), node(row))),
    );
    connection
}
