//! Weekly opening hours and dated exceptions of facilities.
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{NaiveDate, NaiveTime};

use super::common::{LocalizedTextInput, LocalizedTextOutput};
use super::context::state;
use super::enums::Weekday;
use super::facilities::{Facility, managed_facility};
use crate::domain::opening_hours::{
    DateException as DomainException, DayHours, ExceptionKind, OpeningHoursError,
    OpeningInterval as DomainInterval, WeeklyHours,
};
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::{facilities, opening_hours as service};

/// Opening hours on one weekday, in the facility's local time.
#[derive(SimpleObject)]
pub struct OpeningInterval {
    /// The day.
    weekday: Weekday,
    /// Opens, `HH:MM`.
    opens: String,
    /// Closes, `HH:MM` (`24:00` at midnight).
    closes: String,
}

/// A stretch of local time within one day.
#[derive(SimpleObject)]
pub struct TimeInterval {
    /// Starts, `HH:MM`.
    opens: String,
    /// Ends, `HH:MM` (`24:00` at midnight).
    closes: String,
}

/// Days whose hours differ from the weekly ones: a closure or special hours.
#[derive(SimpleObject)]
pub struct DateException {
    /// First local date, included.
    first_day: NaiveDate,
    /// Last local date, included.
    last_day: NaiveDate,
    /// Closed all day.
    closed: bool,
    /// The special hours when not closed.
    hours: Vec<TimeInterval>,
    /// Why (e.g. Juhannus, renovation).
    reason: LocalizedTextOutput,
}

/// Opening hours on one weekday.
#[derive(InputObject)]
pub struct OpeningIntervalInput {
    /// The day.
    weekday: Weekday,
    /// Opens, `HH:MM` local time.
    opens: String,
    /// Closes, `HH:MM` local time; `24:00` for midnight.
    closes: String,
}

/// A closure or a day of special hours.
#[derive(InputObject)]
pub struct DateExceptionInput {
    /// First local date, included.
    first_day: NaiveDate,
    /// Last local date, included.
    last_day: NaiveDate,
    /// Closed all day; otherwise give `opens` and `closes`.
    closed: bool,
    /// Opens, `HH:MM`, on days that are not closed.
    opens: Option<String>,
    /// Closes, `HH:MM` (`24:00` for midnight), on days that are not closed.
    closes: Option<String>,
    /// Why.
    reason: Option<LocalizedTextInput>,
}

fn parse_time(field: &str, text: &str) -> Result<NaiveTime, ValidationError> {
    if text.trim() == "24:00" {
        return Ok(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| ValidationError::new(field, "INVALID_TIME", "give the time as HH:MM"))
}

fn format_time(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

fn format_closes(interval: &DomainInterval) -> String {
    if interval.closes_at_midnight() {
        "24:00".into()
    } else {
        format_time(interval.closes())
    }
}

fn hours_error(path: &str, err: OpeningHoursError) -> ValidationError {
    ValidationError::new(
        format!("{path}.{}", err.field()),
        err.code(),
        err.to_string(),
    )
}

fn interval(path: &str, opens: &str, closes: &str) -> Result<DomainInterval, ValidationError> {
    DomainInterval::new(
        parse_time(&format!("{path}.opens"), opens)?,
        parse_time(&format!("{path}.closes"), closes)?,
    )
    .map_err(|e| hours_error(path, e))
}

fn weekly_hours(input: Vec<OpeningIntervalInput>) -> Result<WeeklyHours, ValidationError> {
    let entries = input
        .iter()
        .enumerate()
        .map(|(i, h)| {
            Ok((
                h.weekday.into(),
                interval(&format!("hours.{i}"), &h.opens, &h.closes)?,
            ))
        })
        .collect::<Result<Vec<(chrono::Weekday, DomainInterval)>, ValidationError>>()?;
    WeeklyHours::new(entries).map_err(|e| hours_error("hours", e))
}

fn exception(i: usize, input: DateExceptionInput) -> Result<DomainException, ValidationError> {
    let path = format!("exceptions.{i}");
    let kind = match (input.closed, input.opens, input.closes) {
        (true, None, None) => ExceptionKind::Closed,
        (false, Some(opens), Some(closes)) => {
            let day = DayHours::new(vec![interval(&path, &opens, &closes)?])
                .map_err(|e| hours_error(&path, e))?;
            ExceptionKind::SpecialHours(day)
        }
        (true, _, _) => {
            return Err(ValidationError::new(
                format!("{path}.opens"),
                "HOURS_ON_CLOSED_DAY",
                "a closed day has no hours",
            ));
        }
        (false, _, _) => {
            return Err(ValidationError::new(
                format!("{path}.opens"),
                "HOURS_REQUIRED",
                "give opens and closes, or set closed",
            ));
        }
    };
    let reason = input.reason.unwrap_or_default().optional();
    DomainException::new(input.first_day, input.last_day, kind, reason)
        .map_err(|e| hours_error(&path, e))
}

/// The weekly hours of a facility as the API shows them.
pub fn opening_intervals(weekly: &WeeklyHours) -> Vec<OpeningInterval> {
    [
        chrono::Weekday::Mon,
        chrono::Weekday::Tue,
        chrono::Weekday::Wed,
        chrono::Weekday::Thu,
        chrono::Weekday::Fri,
        chrono::Weekday::Sat,
        chrono::Weekday::Sun,
    ]
    .into_iter()
    .flat_map(|day| {
        weekly
            .day(day)
            .intervals()
            .iter()
            .map(move |i| OpeningInterval {
                weekday: day.into(),
                opens: format_time(i.opens()),
                closes: format_closes(i),
            })
    })
    .collect()
}

/// A dated exception as the API shows it.
pub fn date_exception(item: &DomainException) -> DateException {
    let hours = match item.kind() {
        ExceptionKind::Closed => Vec::new(),
        ExceptionKind::SpecialHours(day) => day
            .intervals()
            .iter()
            .map(|i| TimeInterval {
                opens: format_time(i.opens()),
                closes: format_closes(i),
            })
            .collect(),
    };
    DateException {
        first_day: item.first_day(),
        last_day: item.last_day(),
        closed: matches!(item.kind(), ExceptionKind::Closed),
        hours,
        reason: item.reason().into(),
    }
}

/// Setting opening hours and exceptions: the owner's admins and facility managers.
#[derive(Default)]
pub struct OpeningHoursMutation;

#[Object]
impl OpeningHoursMutation {
    /// Replaces a facility's weekly opening hours (local wall-clock times).
    async fn set_opening_hours(
        &self,
        ctx: &Context<'_>,
        facility_id: ID,
        hours: Vec<OpeningIntervalInput>,
    ) -> Result<Facility> {
        let facility = managed_facility(ctx, &facility_id).await?;
        let weekly = weekly_hours(hours).map_err(AppError::from)?;
        let db = &state(ctx)?.db;
        service::set_weekly_hours(db, facility.id, &weekly).await?;
        Ok(Facility(facilities::get(db, facility.id).await?))
    }

    /// Replaces a facility's dated exceptions (closures and special hours).
    async fn set_date_exceptions(
        &self,
        ctx: &Context<'_>,
        facility_id: ID,
        exceptions: Vec<DateExceptionInput>,
    ) -> Result<Facility> {
        let facility = managed_facility(ctx, &facility_id).await?;
        let exceptions = exceptions
            .into_iter()
            .enumerate()
            .map(|(i, e)| exception(i, e))
            .collect::<Result<Vec<_>, _>>()
            .map_err(AppError::from)?;
        let db = &state(ctx)?.db;
        service::set_exceptions(db, facility.id, &exceptions).await?;
        Ok(Facility(facilities::get(db, facility.id).await?))
    }
}
