//! Facilities' weekly opening hours and dated exceptions.
use std::collections::HashMap;

use chrono::{NaiveTime, Timelike, Weekday};
use entity::{facility_exception as exception, facility_opening_hours as hours};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::database::begin_write;
use crate::domain::ids::FacilityId;
use crate::domain::localized::LocalizedText;
use crate::domain::opening_hours::{
    DateException, DayHours, ExceptionKind, OpeningInterval, WeeklyHours,
};
use crate::error::{AppError, AppResult};

const MINUTES_PER_DAY: i32 = 24 * 60;

fn corrupt() -> AppError {
    AppError::internal("corrupt opening hours in the database")
}

/// Minutes after local midnight of an opening time.
fn opens_minute(time: NaiveTime) -> i32 {
    (time.hour() * 60 + time.minute()) as i32
}

/// Minutes after local midnight of a closing time; closing at midnight is 1440.
fn closes_minute(interval: &OpeningInterval) -> i32 {
    if interval.closes_at_midnight() {
        MINUTES_PER_DAY
    } else {
        opens_minute(interval.closes())
    }
}

fn interval_from_minutes(opens: i32, closes: i32) -> AppResult<OpeningInterval> {
    let time = |minute: i32| {
        let minute = u32::try_from(minute % MINUTES_PER_DAY).map_err(|_| corrupt())?;
        NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).ok_or_else(corrupt)
    };
    OpeningInterval::new(time(opens)?, time(closes)?).map_err(|_| corrupt())
}

fn weekday(index: i16) -> AppResult<Weekday> {
    u8::try_from(index)
        .ok()
        .and_then(|i| Weekday::try_from(i).ok())
        .ok_or_else(corrupt)
}

/// Replaces a facility's weekly opening hours.
pub async fn set_weekly_hours(
    db: &DatabaseConnection,
    facility: FacilityId,
    weekly: &WeeklyHours,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    super::facilities::touch(&txn, facility).await?;
    hours::Entity::delete_many()
        .filter(hours::Column::FacilityId.eq(facility.0))
        .exec(&txn)
        .await?;
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ] {
        for interval in weekly.day(day).intervals() {
            hours::ActiveModel {
                facility_id: Set(facility.0),
                weekday: Set(day.num_days_from_monday() as i16),
                opens_minute: Set(opens_minute(interval.opens())),
                closes_minute: Set(closes_minute(interval)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    super::search::refresh_open_ranges(&txn, &[facility]).await?;
    txn.commit().await?;
    Ok(())
}

/// Replaces a facility's dated exceptions.
pub async fn set_exceptions(
    db: &DatabaseConnection,
    facility: FacilityId,
    exceptions: &[DateException],
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    super::facilities::touch(&txn, facility).await?;
    exception::Entity::delete_many()
        .filter(exception::Column::FacilityId.eq(facility.0))
        .exec(&txn)
        .await?;
    for item in exceptions {
        let intervals: Vec<[i32; 2]> = match item.kind() {
            ExceptionKind::Closed => Vec::new(),
            ExceptionKind::SpecialHours(day) => day
                .intervals()
                .iter()
                .map(|i| [opens_minute(i.opens()), closes_minute(i)])
                .collect(),
        };
        let (fi, sv, en) = item.reason().clone().into_parts();
        exception::ActiveModel {
            facility_id: Set(facility.0),
            first_day: Set(item.first_day()),
            last_day: Set(item.last_day()),
            hours: Set(serde_json::to_string(&intervals).map_err(AppError::internal)?),
            reason_fi: Set(fi),
            reason_sv: Set(sv),
            reason_en: Set(en),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    super::search::refresh_open_ranges(&txn, &[facility]).await?;
    txn.commit().await?;
    Ok(())
}

/// The weekly hours of these facilities (facilities without rows are closed all week).
pub async fn weekly_hours_of(
    db: &impl ConnectionTrait,
    facilities: &[FacilityId],
) -> AppResult<HashMap<FacilityId, WeeklyHours>> {
    let rows = hours::Entity::find()
        .filter(hours::Column::FacilityId.is_in(facilities.iter().map(|f| f.0)))
        .order_by_asc(hours::Column::Id)
        .all(db)
        .await?;
    let mut by_facility: HashMap<FacilityId, Vec<(Weekday, OpeningInterval)>> =
        facilities.iter().map(|f| (*f, Vec::new())).collect();
    for row in rows {
        by_facility
            .entry(FacilityId(row.facility_id))
            .or_default()
            .push((
                weekday(row.weekday)?,
                interval_from_minutes(row.opens_minute, row.closes_minute)?,
            ));
    }
    by_facility
        .into_iter()
        .map(|(id, entries)| Ok((id, WeeklyHours::new(entries).map_err(|_| corrupt())?)))
        .collect()
}

/// The dated exceptions of these facilities, by first day.
pub async fn exceptions_of(
    db: &impl ConnectionTrait,
    facilities: &[FacilityId],
) -> AppResult<HashMap<FacilityId, Vec<DateException>>> {
    let rows = exception::Entity::find()
        .filter(exception::Column::FacilityId.is_in(facilities.iter().map(|f| f.0)))
        .order_by_asc(exception::Column::FirstDay)
        .order_by_asc(exception::Column::Id)
        .all(db)
        .await?;
    let mut by_facility: HashMap<FacilityId, Vec<DateException>> =
        facilities.iter().map(|f| (*f, Vec::new())).collect();
    for row in rows {
        let intervals: Vec<[i32; 2]> = serde_json::from_str(&row.hours).map_err(|_| corrupt())?;
        let kind = if intervals.is_empty() {
            ExceptionKind::Closed
        } else {
            let day = intervals
                .into_iter()
                .map(|[opens, closes]| interval_from_minutes(opens, closes))
                .collect::<AppResult<Vec<_>>>()?;
            ExceptionKind::SpecialHours(DayHours::new(day).map_err(|_| corrupt())?)
        };
        let reason = LocalizedText::optional(row.reason_fi, row.reason_sv, row.reason_en);
        let item =
            DateException::new(row.first_day, row.last_day, kind, reason).map_err(|_| corrupt())?;
        by_facility
            .entry(FacilityId(row.facility_id))
            .or_default()
            .push(item);
    }
    Ok(by_facility)
}
