//! The GraphQL API: one thin module per area, merged into one schema.
use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, SDLExportOptions, Schema};

pub mod bookings;
pub mod common;
pub mod connection;
pub mod context;
pub mod cooperation;
pub mod enums;
pub mod error;
pub mod events;
pub mod facilities;
pub mod feeds;
pub mod loaders;
pub mod opening_hours;
pub mod organisations;
pub mod outbox;
pub mod parsed;
pub mod search;
pub mod series;
pub mod users;

use context::AppState;

/// All queries.
#[derive(MergedObject, Default)]
pub struct Query(
    users::UserQuery,
    organisations::OrganisationQuery,
    facilities::FacilityQuery,
    bookings::BookingQuery,
    series::SeriesQuery,
    events::EventQuery,
    cooperation::CooperationQuery,
    common::MunicipalityQuery,
    search::SearchQuery,
    feeds::FeedQuery,
    outbox::OutboxQuery,
);

/// All mutations.
#[derive(MergedObject, Default)]
pub struct Mutation(
    users::UserMutation,
    organisations::OrganisationMutation,
    facilities::FacilityMutation,
    opening_hours::OpeningHoursMutation,
    bookings::BookingMutation,
    series::SeriesMutation,
    events::EventMutation,
    feeds::FeedMutation,
    outbox::OutboxMutation,
    cooperation::CooperationMutation,
);

/// The schema type.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest query accepted (introspection of the schema needs about 13).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted: a page of 100 items with about 20 fields each.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema over `state`, with depth and complexity limits.
pub fn build_schema(state: Option<Arc<AppState>>) -> AppSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32);
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

/// The schema in SDL, sorted so that the committed `schema.graphql` is stable.
pub fn sdl() -> String {
    build_schema(None).sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}
