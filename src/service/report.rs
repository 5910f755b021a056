//! The yearly follow-up of cooperation (seurantataulukko): who used whose premises, for
//! what, and how much events were hosted together, aggregated in SQL.
//!
//! What counts: CONFIRMED bookings that start in the period (their whole length, in
//! minutes between the stored UTC instants, so a day of a clock change is measured
//! right), and published events that are not cancelled with an occurrence that is not
//! cancelled starting in the period. A municipality narrows bookings to facilities there
//! and events to those held there.
use std::collections::{BTreeMap, HashMap};

use enumflags2::BitFlags;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::facilities::{self, Facility};
use super::opening_hours;
use crate::domain::booking::BookingStatus;
use crate::domain::cooperation::ReportPeriod;
use crate::domain::event::{EventStatus, HyteTheme, Publication, TargetGroup};
use crate::domain::ids::FacilityId;
use crate::domain::opening_hours::open_ranges;
use crate::domain::organisation::OrganisationKind;
use crate::domain::time_range::TimeRange;
use crate::error::{AppError, AppResult};

/// Bookings and their length, in one cell of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Bookings.
    pub bookings: i64,
    /// Their total length in minutes.
    pub minutes: i64,
}

impl Usage {
    fn add(&mut self, other: Usage) {
        self.bookings += other.bookings;
        self.minutes += other.minutes;
    }
}

/// What the events of one theme or target group came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventUsage {
    /// Events held.
    pub events: i64,
    /// Their venue bookings.
    pub usage: Usage,
}

/// How much of a facility's open time was booked.
#[derive(Debug, Clone)]
pub struct FacilityUse {
    /// The facility.
    pub facility: Facility,
    /// Its bookings.
    pub usage: Usage,
    /// Its open time in the period, in minutes.
    pub open_minutes: i64,
}

/// The follow-up of one period.
#[derive(Debug, Clone)]
pub struct CooperationReport {
    /// The days covered.
    pub period: ReportPeriod,
    /// The municipality it is narrowed to, if any.
    pub municipality_code: Option<String>,
    /// All counted bookings.
    pub total: Usage,
    /// Bookings with a known price.
    pub priced_bookings: i64,
    /// Bookings that were free of charge.
    pub free_bookings: i64,
    /// By the kind of the facility's owner and of the booker.
    pub by_sector: BTreeMap<(String, String), Usage>,
    /// By the facility's municipality (code).
    pub by_municipality: BTreeMap<String, Usage>,
    /// Events and their bookings by HYTE theme.
    pub by_theme: Vec<(HyteTheme, EventUsage)>,
    /// Events and their bookings by target group.
    pub by_target_group: Vec<(TargetGroup, EventUsage)>,
    /// Events held.
    pub events: i64,
    /// Events held with at least one accepted co-host.
    pub cohosted_events: i64,
    /// Organisations that organised or co-hosted those events.
    pub cohosting_organisations: i64,
    /// Booked and open time of each facility (published ones, and any with bookings).
    pub utilisation: Vec<FacilityUse>,
}

impl CooperationReport {
    /// The owner and booker kinds of a sector cell, parsed.
    pub fn sectors(
        &self,
    ) -> impl Iterator<Item = (OrganisationKind, OrganisationKind, Usage)> + '_ {
        self.by_sector
            .iter()
            .filter_map(|((owner, booker), usage)| {
                Some((owner.parse().ok()?, booker.parse().ok()?, *usage))
            })
    }
}

/// A statement under construction with numbered placeholders.
struct Sql {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Sql {
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// The length of booking `b` in whole minutes.
    fn minutes(&self) -> &'static str {
        match self.backend {
            DbBackend::Postgres => "EXTRACT(EPOCH FROM (b.ends_at - b.starts_at)) / 60",
            _ => "ROUND((julianday(b.ends_at) - julianday(b.starts_at)) * 1440)",
        }
    }

    async fn rows(self, db: &impl ConnectionTrait, sql: String) -> AppResult<Vec<QueryResult>> {
        Ok(db
            .query_all_raw(Statement::from_sql_and_values(
                self.backend,
                sql,
                self.values,
            ))
            .await?)
    }
}

fn int(row: &QueryResult, column: &str) -> AppResult<i64> {
    Ok(row.try_get::<Option<i64>>("", column)?.unwrap_or(0))
}

/// Counted bookings `b` of facilities `f`: the condition and its values.
fn counted_bookings(sql: &mut Sql, range: &TimeRange, municipality: Option<&str>) -> String {
    let mut condition = format!(
        "b.status = {} AND b.starts_at >= {} AND b.starts_at < {}",
        sql.bind(BookingStatus::Confirmed.as_ref()),
        sql.bind(range.start()),
        sql.bind(range.end())
    );
    if let Some(code) = municipality {
        condition.push_str(&format!(" AND f.municipality_code = {}", sql.bind(code)));
    }
    condition
}

/// Held events `e`: the condition and its values.
fn held_events(sql: &mut Sql, range: &TimeRange, municipality: Option<&str>) -> String {
    let cancelled = EventStatus::Cancelled.as_ref();
    let mut condition = format!(
        "e.publication = {} AND e.status <> {} AND EXISTS (SELECT 1 FROM event_occurrence o \
         WHERE o.event_id = e.id AND o.status <> {} AND o.starts_at >= {} AND o.starts_at < {})",
        sql.bind(Publication::Published.as_ref()),
        sql.bind(cancelled),
        sql.bind(cancelled),
        sql.bind(range.start()),
        sql.bind(range.end())
    );
    if let Some(code) = municipality {
        condition.push_str(&format!(" AND e.municipality_code = {}", sql.bind(code)));
    }
    condition
}

/// Usage of counted bookings grouped by `group` (an expression over `b`, `f`, `ow`, `bk`),
/// with the free and priced counts.
async fn grouped_usage(
    db: &impl ConnectionTrait,
    range: &TimeRange,
    municipality: Option<&str>,
    group: &[&str],
) -> AppResult<Vec<(Vec<String>, Usage, i64, i64)>> {
    let mut sql = Sql {
        backend: db.get_database_backend(),
        values: Vec::new(),
    };
    let condition = counted_bookings(&mut sql, range, municipality);
    let keys: Vec<String> = group
        .iter()
        .enumerate()
        .map(|(i, g)| format!("{g} AS key{i}"))
        .collect();
    let text = format!(
        "SELECT {}, COUNT(*) AS bookings, CAST(SUM({}) AS BIGINT) AS minutes, \
         CAST(SUM(CASE WHEN b.price_cents = 0 THEN 1 ELSE 0 END) AS BIGINT) AS free, \
         CAST(SUM(CASE WHEN b.price_cents IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS priced \
         FROM booking b JOIN facility f ON f.id = b.facility_id \
         JOIN organisation ow ON ow.id = f.owner_id JOIN organisation bk ON bk.id = b.organisation_id \
         WHERE {condition} GROUP BY {}",
        keys.join(", "),
        sql.minutes(),
        group.join(", ")
    );
    sql.rows(db, text)
        .await?
        .iter()
        .map(|row| {
            let keys = (0..group.len())
                .map(|i| {
                    row.try_get::<String>("", &format!("key{i}")).or_else(|_| {
                        row.try_get::<i64>("", &format!("key{i}"))
                            .map(|n| n.to_string())
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let usage = Usage {
                bookings: int(row, "bookings")?,
                minutes: int(row, "minutes")?,
            };
            Ok((keys, usage, int(row, "free")?, int(row, "priced")?))
        })
        .collect()
}

/// Events held, and their venue bookings, by their (themes, target groups) bit sets.
async fn events_by_classes(
    db: &impl ConnectionTrait,
    range: &TimeRange,
    municipality: Option<&str>,
) -> AppResult<HashMap<(i64, i64), EventUsage>> {
    let backend = db.get_database_backend();
    let mut sql = Sql {
        backend,
        values: Vec::new(),
    };
    let held = held_events(&mut sql, range, municipality);
    let text = format!(
        "SELECT e.themes AS themes, e.target_groups AS target_groups, COUNT(*) AS events \
         FROM event e WHERE {held} GROUP BY e.themes, e.target_groups"
    );
    let mut found: HashMap<(i64, i64), EventUsage> = HashMap::new();
    for row in sql.rows(db, text).await? {
        let key = (int(&row, "themes")?, int(&row, "target_groups")?);
        found.entry(key).or_default().events += int(&row, "events")?;
    }
    let mut sql = Sql {
        backend,
        values: Vec::new(),
    };
    let counted = counted_bookings(&mut sql, range, municipality);
    let text = format!(
        "SELECT e.themes AS themes, e.target_groups AS target_groups, COUNT(*) AS bookings, \
         CAST(SUM({}) AS BIGINT) AS minutes FROM booking b \
         JOIN event_booking eb ON eb.booking_id = b.id JOIN event e ON e.id = eb.event_id \
         JOIN facility f ON f.id = b.facility_id WHERE {counted} \
         GROUP BY e.themes, e.target_groups",
        sql.minutes()
    );
    for row in sql.rows(db, text).await? {
        let key = (int(&row, "themes")?, int(&row, "target_groups")?);
        found.entry(key).or_default().usage.add(Usage {
            bookings: int(&row, "bookings")?,
            minutes: int(&row, "minutes")?,
        });
    }
    Ok(found)
}

/// Co-hosted events held, and the organisations that organised or co-hosted them.
async fn cohosting(
    db: &impl ConnectionTrait,
    range: &TimeRange,
    municipality: Option<&str>,
) -> AppResult<(i64, i64)> {
    let mut sql = Sql {
        backend: db.get_database_backend(),
        values: Vec::new(),
    };
    let held = held_events(&mut sql, range, municipality);
    let accepted = sql.bind(crate::domain::event::CohostStatus::Accepted.as_ref());
    let text = format!(
        "WITH cohosted AS (SELECT e.id, e.organiser_id FROM event e WHERE {held} AND EXISTS \
           (SELECT 1 FROM event_cohost c WHERE c.event_id = e.id AND c.status = {accepted})), \
         hosts AS (SELECT organiser_id AS organisation_id FROM cohosted UNION \
           SELECT c.organisation_id FROM event_cohost c JOIN cohosted h ON h.id = c.event_id \
           WHERE c.status = {accepted}) \
         SELECT (SELECT COUNT(*) FROM cohosted) AS events, \
                (SELECT COUNT(*) FROM hosts) AS organisations"
    );
    let rows = sql.rows(db, text).await?;
    let row = rows
        .first()
        .ok_or_else(|| AppError::internal("a count returned no row"))?;
    Ok((int(row, "events")?, int(row, "organisations")?))
}

/// Spreads counts by bit set over the flags in each set.
fn per_flag<F: enumflags2::BitFlag<Numeric = u32> + Copy + Eq + std::hash::Hash>(
    by_classes: &HashMap<(i64, i64), EventUsage>,
    bits_of: impl Fn(&(i64, i64)) -> i64,
    all: impl Iterator<Item = F>,
) -> Vec<(F, EventUsage)> {
    all.map(|flag| {
        let mut total = EventUsage::default();
        for (key, usage) in by_classes {
            let set: BitFlags<F> =
                BitFlags::from_bits_truncate(u32::try_from(bits_of(key)).unwrap_or(0));
            if set.contains(flag) {
                total.events += usage.events;
                total.usage.add(usage.usage);
            }
        }
        (flag, total)
    })
    .collect()
}

/// The follow-up of `period` (local days in `zone`), optionally narrowed to a municipality.
pub async fn cooperation_report(
    db: &impl ConnectionTrait,
    period: ReportPeriod,
    zone: chrono_tz::Tz,
    municipality_code: Option<String>,
) -> AppResult<CooperationReport> {
    use strum::IntoEnumIterator;
    let range = period.range(zone).map_err(AppError::Validation)?;
    let municipality = municipality_code.as_deref();
    let mut total = Usage::default();
    let (mut free_bookings, mut priced_bookings) = (0, 0);
    let mut by_sector = BTreeMap::new();
    for (keys, usage, free, priced) in
        grouped_usage(db, &range, municipality, &["ow.kind", "bk.kind"]).await?
    {
        total.add(usage);
        free_bookings += free;
        priced_bookings += priced;
        if let [owner, booker] = keys.as_slice() {
            by_sector.insert((owner.clone(), booker.clone()), usage);
        }
    }
    let by_municipality = grouped_usage(db, &range, municipality, &["f.municipality_code"])
        .await?
        .into_iter()
        .filter_map(|(keys, usage, _, _)| Some((keys.into_iter().next()?, usage)))
        .collect();
    let by_facility: HashMap<FacilityId, Usage> =
        grouped_usage(db, &range, municipality, &["b.facility_id"])
            .await?
            .into_iter()
            .filter_map(|(keys, usage, _, _)| {
                Some((FacilityId(keys.first()?.parse().ok()?), usage))
            })
            .collect();
    let by_classes = events_by_classes(db, &range, municipality).await?;
    let (cohosted_events, cohosting_organisations) = cohosting(db, &range, municipality).await?;
    let utilisation = utilisation(db, &range, municipality, by_facility).await?;
    Ok(CooperationReport {
        period,
        municipality_code,
        total,
        priced_bookings,
        free_bookings,
        by_sector,
        by_municipality,
        by_theme: per_flag(&by_classes, |k| k.0, HyteTheme::iter()),
        by_target_group: per_flag(&by_classes, |k| k.1, TargetGroup::iter()),
        events: by_classes.values().map(|u| u.events).sum(),
        cohosted_events,
        cohosting_organisations,
        utilisation,
    })
}

/// Booked against open time per facility: published facilities (in the municipality) and
/// any facility with bookings; open time from its weekly hours and exceptions on its own
/// wall clock, so days of clock changes count 23 or 25 hours where it is open round the clock.
async fn utilisation(
    db: &impl ConnectionTrait,
    range: &TimeRange,
    municipality: Option<&str>,
    mut booked: HashMap<FacilityId, Usage>,
) -> AppResult<Vec<FacilityUse>> {
    let filter = facilities::FacilityFilter {
        municipality_code: municipality.map(str::to_string),
        ..Default::default()
    };
    let mut listed = facilities::all_matching(db, &filter).await?;
    let missing: Vec<FacilityId> = booked
        .keys()
        .filter(|id| !listed.iter().any(|f| f.id == **id))
        .copied()
        .collect();
    listed.extend(facilities::by_ids(db, &missing).await?);
    let ids: Vec<FacilityId> = listed.iter().map(|f| f.id).collect();
    let mut weekly = opening_hours::weekly_hours_of(db, &ids).await?;
    let mut exceptions = opening_hours::exceptions_of(db, &ids).await?;
    let mut rows: Vec<FacilityUse> = listed
        .into_iter()
        .map(|facility| {
            let open = open_ranges(
                &weekly.remove(&facility.id).unwrap_or_default(),
                &exceptions.remove(&facility.id).unwrap_or_default(),
                facility.spec.time_zone,
                *range,
            );
            FacilityUse {
                usage: booked.remove(&facility.id).unwrap_or_default(),
                open_minutes: open.iter().map(|r| r.duration().num_minutes()).sum(),
                facility,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.facility.spec.municipality_code, a.facility.id)
            .cmp(&(&b.facility.spec.municipality_code, b.facility.id))
    });
    Ok(rows)
}

/// Minutes as hours, rounded to hundredths.
pub fn hours(minutes: i64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

/// A share as a fraction, none of nothing.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
