//! What every resolver gets: the shared state and the request's access.
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use sea_orm::DatabaseConnection;

use super::loaders::Loader;
use crate::domain::municipality::MunicipalityDirectory;
use crate::domain::permissions::{Access, Actor};
use crate::error::AppError;

/// State shared by all requests.
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Municipalities, loaded at start.
    pub municipalities: MunicipalityDirectory,
    /// Default IANA zone of new facilities.
    pub default_timezone: chrono_tz::Tz,
    /// The service's public base URL without a trailing slash, for links.
    pub base_url: String,
    /// This installation, for calendar UIDs.
    pub installation: crate::ical::Installation,
    /// Facilities' hours and other booking rules, kept while their rows are unchanged.
    pub facility_rules: crate::service::bookings::context::RulesCache,
    /// Facilities by the version of their row, for the free-time search.
    pub facilities: crate::service::facilities::FacilityCache,
    /// How far every facility's open hours are materialised, for the free-time search.
    pub open_horizon: crate::service::search::KnownHorizon,
}

/// Per-request data: who asks, and the request's batching loaders.
pub struct RequestData {
    /// What the request may do.
    pub access: Access,
    /// Batches and caches relation look-ups of this request.
    pub loader: DataLoader<Loader, HashMapCache>,
}

impl RequestData {
    /// Request data for `access`, with fresh loaders over `state`'s database.
    pub fn new(state: &Arc<AppState>, access: Access) -> Self {
        Self {
            loader: DataLoader::with_cache(
                Loader::new(state.db.clone()),
                tokio::spawn,
                HashMapCache::default(),
            ),
            access,
        }
    }
}

/// The shared state (put in by `build_schema`).
pub fn state<'a>(ctx: &Context<'a>) -> Result<&'a AppState, AppError> {
    ctx.data::<Arc<AppState>>()
        .map(Arc::as_ref)
        .map_err(|_| AppError::internal("schema built without state"))
}

/// The request's data (put in by the HTTP handler).
pub fn request<'a>(ctx: &Context<'a>) -> Result<&'a RequestData, AppError> {
    ctx.data::<RequestData>()
        .map_err(|_| AppError::internal("request executed without request data"))
}

/// The request's access.
pub fn access<'a>(ctx: &Context<'a>) -> Result<&'a Access, AppError> {
    request(ctx).map(|r| &r.access)
}

/// The signed-in user, or `UNAUTHENTICATED`.
pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, AppError> {
    access(ctx)?.actor().ok_or(AppError::Unauthenticated)
}

/// Lets a signed-in user through when `allowed` holds: `UNAUTHENTICATED` for
/// anonymous requests, `FORBIDDEN` with `message` otherwise.
pub fn authorize(
    ctx: &Context<'_>,
    allowed: impl FnOnce(&Access) -> bool,
    message: &'static str,
) -> Result<(), AppError> {
    let access = access(ctx)?;
    access.actor().ok_or(AppError::Unauthenticated)?;
    if allowed(access) {
        Ok(())
    } else {
        Err(AppError::Forbidden(message))
    }
}
