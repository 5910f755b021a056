//! Finding facilities that are free when you need them.
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{Duration, Utc};

use super::bookings::{TimeSlot, slot};
use super::connection::{CountedConnection, connection, page_request};
use super::context::{access, state};
use super::facilities::{Facility, FacilityFilterInput, visibility};
use crate::domain::booking::parse_instant;
use crate::domain::time_range::TimeRange;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::bookings::MAX_AVAILABILITY_WINDOW;
use crate::service::search::{self as service, AvailabilitySearch, SEARCH_HORIZON};

/// A facility that is free in the searched window, with its free intervals.
#[derive(SimpleObject)]
pub struct AvailableFacility {
    /// The facility.
    facility: Facility,
    /// Its free intervals inside the window that are at least `minDurationMinutes`
    /// long (open hours less closures less bookings with their buffers), by start.
    free_times: Vec<TimeSlot>,
}

/// Searching free time.
#[derive(Default)]
pub struct SearchQuery;

fn window(
    from: &str,
    to: &str,
    zone: chrono_tz::Tz,
    min_duration_minutes: i32,
) -> Result<(TimeRange, Duration), ValidationError> {
    let window = TimeRange::new(
        parse_instant("from", from, zone)?,
        parse_instant("to", to, zone)?,
    )
    .map_err(|e| ValidationError::new("to", e.code(), e.to_string()))?;
    if window.duration() > MAX_AVAILABILITY_WINDOW {
        return Err(ValidationError::new(
            "to",
            "WINDOW_TOO_LONG",
            "ask for at most 62 days at a time",
        ));
    }
    if window.end() > Utc::now() + SEARCH_HORIZON {
        return Err(ValidationError::new(
            "to",
            "TOO_FAR_AHEAD",
            "search at most two years ahead",
        ));
    }
    if min_duration_minutes <= 0 {
        return Err(ValidationError::new(
            "minDurationMinutes",
            "NOT_POSITIVE",
            "give a duration of at least one minute",
        ));
    }
    Ok((window, Duration::minutes(i64::from(min_duration_minutes))))
}

#[Object]
impl SearchQuery {
    /// Facilities matching the filter (as in `facilities`) that are free for at least
    /// `minDurationMinutes` at a stretch inside `[from, to)`, by id, each with those
    /// free intervals. `from` and `to` are RFC 3339, or local times read in the
    /// service's default zone (Europe/Helsinki); at most 62 days apart and two years
    /// ahead.
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument
    async fn find_available_facilities(
        &self,
        ctx: &Context<'_>,
        filter: Option<FacilityFilterInput>,
        from: String,
        to: String,
        min_duration_minutes: i32,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<AvailableFacility>> {
        let page = page_request(first, after).map_err(AppError::from)?;
        let state = state(ctx)?;
        let (window, min_duration) =
            window(&from, &to, state.default_timezone, min_duration_minutes)
                .map_err(AppError::from)?;
        let search = AvailabilitySearch {
            filter: filter.unwrap_or_default().into_filter(ctx)?,
            window,
            min_duration,
        };
        let visibility = visibility(access(ctx)?);
        let rows = service::find_available(
            &state.db,
            &state.open_horizon,
            &state.facilities,
            &search,
            &visibility,
            page,
        )
        .await?;
        Ok(connection(
            page,
            rows,
            |found| found.facility.id.0,
            |found| {
                let zone = found.facility.spec.time_zone;
                AvailableFacility {
                    free_times: found.free.iter().map(|r| slot(r, zone)).collect(),
                    facility: Facility(found.facility),
                }
            },
        ))
    }
}
