//! Finding facilities that are free: the facility filter, open hours and bookings
//! combined in one SQL statement.
//!
//! Open hours are kept as UTC ranges in `facility_open_range`, computed in Rust by
//! [`open_ranges`] (DST-correct) for a rolling horizon and rewritten by
//! [`refresh_open_ranges`] whenever a facility's hours, exceptions or time zone
//! change; a search tops up facilities whose materialised horizon ends before its
//! window does (and facilities that predate the table).
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use entity::facility;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement, Value,
};

use super::database::begin_write;
use super::facilities::{self, Facility, FacilityCache, FacilityFilter, Visibility};
use super::opening_hours;
use super::pagination::{Page, PageRequest};
use crate::domain::booking::MAX_BOOKING_LENGTH;
use crate::domain::ids::FacilityId;
use crate::domain::opening_hours::open_ranges;
use crate::domain::time_range::TimeRange;
use crate::error::{AppError, AppResult};

/// How far back materialised open ranges reach, from the day they are computed.
const HISTORY: Duration = Duration::days(31);
/// How far ahead a search may look: `to` at most this long from now.
pub const SEARCH_HORIZON: Duration = Duration::days(730);
/// Extra reach of materialised ranges beyond the search horizon, so that each
/// facility's are topped up about every two months rather than on every search.
const SLACK: Duration = Duration::days(62);
/// Facilities topped up per transaction.
const REFRESH_BATCH: usize = 100;
/// Rows per INSERT (3 values each, well under both backends' parameter limits).
const INSERT_BATCH: usize = 500;

/// A facility with the free intervals a search found in it.
#[derive(Debug, Clone)]
pub struct AvailableFacility {
    /// The facility.
    pub facility: Facility,
    /// Its free intervals inside the window that are at least the asked length, by start.
    pub free: Vec<TimeRange>,
}

/// What to look for.
#[derive(Debug, Clone)]
pub struct AvailabilitySearch {
    /// Which facilities.
    pub filter: FacilityFilter,
    /// Free inside this window.
    pub window: TimeRange,
    /// For at least this long, at a stretch.
    pub min_duration: Duration,
}

/// Rewrites the materialised open ranges of `ids` from their weekly hours, exceptions
/// and time zone. Runs in the caller's transaction, whose changes it reads; on
/// PostgreSQL it locks the facility rows first, so that writers of the same facility
/// are serialised (SQLite's writers already are).
pub async fn refresh_open_ranges(db: &impl ConnectionTrait, ids: &[FacilityId]) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut zones = facility::Entity::find()
        .select_only()
        .column(facility::Column::Id)
        .column(facility::Column::TimeZone)
        .filter(facility::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .order_by_asc(facility::Column::Id);
    if backend == DbBackend::Postgres {
        zones = zones.lock_exclusive();
    }
    let zones: Vec<(i64, String)> = zones.into_tuple().all(db).await?;
    let ids: Vec<FacilityId> = zones.iter().map(|(id, _)| FacilityId(*id)).collect();
    let mut weekly = opening_hours::weekly_hours_of(db, &ids).await?;
    let mut exceptions = opening_hours::exceptions_of(db, &ids).await?;

    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AppError::internal("midnight"))?
        .and_utc();
    let horizon = TimeRange::new(today - HISTORY, today + SEARCH_HORIZON + SLACK)
        .map_err(AppError::internal)?;
    let mut rows: Vec<(i64, TimeRange)> = Vec::new();
    for (id, zone) in &zones {
        let zone: chrono_tz::Tz = zone
            .parse()
            .map_err(|_| AppError::internal("corrupt facility time zone in the database"))?;
        let facility = FacilityId(*id);
        let weekly = weekly.remove(&facility).unwrap_or_default();
        let exceptions = exceptions.remove(&facility).unwrap_or_default();
        rows.extend(
            open_ranges(&weekly, &exceptions, zone, horizon)
                .into_iter()
                .map(|range| (*id, range)),
        );
    }

    for table in ["facility_open_range", "facility_open_horizon"] {
        let delete = Query::delete()
            .from_table(Alias::new(table))
            .and_where(Expr::col(Alias::new("facility_id")).is_in(ids.iter().map(|i| i.0)))
            .to_owned();
        db.execute(&delete).await?;
    }
    for chunk in rows.chunks(INSERT_BATCH) {
        let mut insert = Query::insert()
            .into_table(Alias::new("facility_open_range"))
            .columns([
                Alias::new("facility_id"),
                Alias::new("starts_at"),
                Alias::new("ends_at"),
            ])
            .to_owned();
        for (id, range) in chunk {
            insert.values_panic([(*id).into(), range.start().into(), range.end().into()]);
        }
        db.execute(&insert).await?;
    }
    for chunk in ids.chunks(INSERT_BATCH) {
        let mut insert = Query::insert()
            .into_table(Alias::new("facility_open_horizon"))
            .columns([Alias::new("facility_id"), Alias::new("materialised_until")])
            .to_owned();
        for id in chunk {
            insert.values_panic([id.0.into(), horizon.end().into()]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The candidate facilities: the facility list's filter and visibility, after the cursor.
fn candidates(
    backend: DbBackend,
    filter: &FacilityFilter,
    visibility: &Visibility,
    after: Option<i64>,
) -> Statement {
    let mut select = facilities::filtered(filter, visibility)
        .select_only()
        .column(facility::Column::Id);
    if let Some(after) = after {
        select = select.filter(facility::Column::Id.gt(after));
    }
    select.build(backend)
}

/// How far the open ranges of every facility were known to reach when this process last
/// looked (Unix seconds; 0 before it has). A search whose window ends before it needs no
/// check: a facility created or changed since gets ranges reaching further still, in any
/// process, so the bound stays true.
#[derive(Debug, Default)]
pub struct KnownHorizon(AtomicI64);

impl KnownHorizon {
    fn covers(&self, until: DateTime<Utc>) -> bool {
        until.timestamp() <= self.0.load(Ordering::Relaxed)
    }

    /// Reads the bound from the database: the earliest horizon of any facility, or
    /// nothing while some facility has none.
    async fn refresh(&self, db: &impl ConnectionTrait) -> AppResult<()> {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM facility f WHERE NOT EXISTS \
                   (SELECT 1 FROM facility_open_horizon h WHERE h.facility_id = f.id)) \
                 THEN NULL ELSE (SELECT MIN(materialised_until) FROM facility_open_horizon) END \
                 AS known",
            ))
            .await?;
        let known: Option<DateTime<Utc>> = match row {
            Some(row) => row.try_get("", "known")?,
            None => None,
        };
        self.0
            .store(known.map_or(0, |k| k.timestamp()), Ordering::Relaxed);
        Ok(())
    }
}

/// Tops up the open ranges of the facilities of `candidates` whose horizon ends before
/// `to` (every facility when `candidates` is none), then refreshes `known`.
async fn top_up(
    db: &DatabaseConnection,
    known: &KnownHorizon,
    candidates: Option<&Statement>,
    to: DateTime<Utc>,
) -> AppResult<()> {
    let mut values = candidates
        .and_then(|c| c.values.as_ref())
        .map(|v| v.0.clone())
        .unwrap_or_default();
    values.push(to.into());
    let source =
        candidates.map_or_else(|| "SELECT id FROM facility".to_string(), |c| c.sql.clone());
    let sql = format!(
        "SELECT c.id FROM ({source}) c WHERE NOT EXISTS (SELECT 1 FROM facility_open_horizon h \
         WHERE h.facility_id = c.id AND h.materialised_until >= ${}) ORDER BY c.id",
        values.len()
    );
    let stale: Vec<FacilityId> = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<i64>(0).map(FacilityId))
        .collect::<Result<_, _>>()?;
    for chunk in stale.chunks(REFRESH_BATCH) {
        let txn = begin_write(db).await?;
        refresh_open_ranges(&txn, chunk).await?;
        txn.commit().await?;
    }
    known.refresh(db).await
}

/// Keeps every facility's open ranges a search horizon ahead (with some slack), so that
/// searches skip the check; the server runs this at start and then daily.
pub async fn keep_open_ranges_ahead(
    db: &DatabaseConnection,
    known: &KnownHorizon,
) -> AppResult<()> {
    top_up(db, known, None, Utc::now() + SEARCH_HORIZON + SLACK / 2).await
}

/// The free-time search as one statement over the candidate facilities `candidates`
/// (whose own placeholders come first), returning the facility's `id` and `updated_at`
/// with `free_from` and `free_until` for every free interval of at least `min_duration`,
/// for the first `limit` facilities that have one; or, with `limit` = `None`, how many
/// facilities have one (`count`).
///
/// The plan, for each part (all per candidate facility, never over all bookings):
///
/// * `units`: the facility and its parts (`facility_parent` index on `parent_id`);
///   booking a whole holds every part and booking a part holds only the part, so a
///   facility's busy time is the holds on these units.
/// * `unit_bound`: per unit, the start of its last hold starting at or before `from`
///   (a backward seek on `booking_occupancy_unit_from_until`): holds of one unit never
///   overlap (the database guard), so only that one can reach into the window.
/// * `holds`: a range scan of the same index, `unit_id = u AND blocked_from >= bound
///   AND blocked_from < to`, covering (`blocked_until` is in the index). The constant
///   bound `from - MAX_BOOKING_LENGTH - 1 day` is redundant at run time but gives the
///   planner a selective estimate, so it keeps the nested-loop index plan.
/// * `range_bound` and `opened`: the same two steps on `facility_open_range`'s
///   primary key `(facility_id, starts_at)`, clipped to the window with `CASE`; a
///   sentinel `(to, to)` per facility closes the window.
/// * `closed`: the gaps between open ranges (`LAG`), as busy time.
/// * `gaps`: holds and closed time together, ordered by start per facility; each
///   row's free time runs from the running `MAX(busy_until)` of the rows before it
///   to its start. Both are window functions over the small per-facility sets.
/// * `fits` keeps gaps at least `min_duration` long; `DENSE_RANK` over facility ids
///   takes the page, joined to the page's facility rows (by primary key) for their
///   `updated_at` only: the rest of a row is read once per version (see [`find_available`]).
///
/// `CROSS JOIN … WHERE` fixes SQLite's join order (candidates outside, index seeks
/// inside); PostgreSQL plans it as any inner join and picks the same nested loops.
/// Every value is bound: the filter's own placeholders (`?` on SQLite, `$1…` on
/// PostgreSQL) come first in the text, and ours continue as `$k+1…`, which SQLite
/// (through sqlx) also binds by number.
fn search_statement(
    backend: DbBackend,
    candidates: &Statement,
    search: &AvailabilitySearch,
    limit: Option<u64>,
) -> Statement {
    let mut values: Vec<Value> = candidates
        .values
        .as_ref()
        .map(|v| v.0.clone())
        .unwrap_or_default();
    let mut param = |value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    let from = param(search.window.start().into());
    let to = param(search.window.end().into());
    let earliest = param((search.window.start() - MAX_BOOKING_LENGTH - Duration::days(1)).into());
    let minutes = param(
        i32::try_from(search.min_duration.num_minutes())
            .unwrap_or(i32::MAX)
            .into(),
    );
    let long_enough = match backend {
        DbBackend::Postgres => {
            format!("free_until - free_from >= {minutes} * INTERVAL '1 minute'")
        }
        _ => format!("unixepoch(free_until) - unixepoch(free_from) >= {minutes} * 60"),
    };
    let tail = match limit {
        Some(limit) => {
            let limit = param(i64::try_from(limit).unwrap_or(i64::MAX).into());
            format!(
                "SELECT f.id, f.updated_at, ranked.free_from, ranked.free_until FROM (\
                   SELECT facility_id, free_from, free_until, \
                     DENSE_RANK() OVER (ORDER BY facility_id) AS page_rank FROM fits\
                 ) ranked CROSS JOIN facility f \
                 WHERE f.id = ranked.facility_id AND ranked.page_rank <= {limit} \
                 ORDER BY ranked.facility_id, ranked.free_from"
            )
        }
        None => "SELECT COUNT(DISTINCT facility_id) AS count FROM fits".to_string(),
    };
    let sql = format!(
        "WITH candidates AS ({candidates}), \
         units AS (\
           SELECT c.id AS facility_id, c.id AS unit_id FROM candidates c \
           UNION ALL \
           SELECT p.parent_id, p.id FROM candidates c CROSS JOIN facility p \
           WHERE p.parent_id = c.id\
         ), \
         unit_bound AS (\
           SELECT u.facility_id, u.unit_id, COALESCE((\
             SELECT o.blocked_from FROM booking_occupancy o \
             WHERE o.unit_id = u.unit_id AND o.blocked_from >= {earliest} \
               AND o.blocked_from <= {from} \
             ORDER BY o.blocked_from DESC LIMIT 1), {from}) AS bound \
           FROM units u\
         ), \
         holds AS (\
           SELECT u.facility_id, o.blocked_from AS busy_from, o.blocked_until AS busy_until \
           FROM unit_bound u CROSS JOIN booking_occupancy o \
           WHERE o.unit_id = u.unit_id \
             AND o.blocked_from >= u.bound AND o.blocked_from >= {earliest} \
             AND o.blocked_from < {to} AND o.blocked_until > {from}\
         ), \
         range_bound AS (\
           SELECT c.id AS facility_id, COALESCE((\
             SELECT r.starts_at FROM facility_open_range r \
             WHERE r.facility_id = c.id AND r.starts_at <= {from} \
             ORDER BY r.starts_at DESC LIMIT 1), {from}) AS bound \
           FROM candidates c\
         ), \
         opened AS (\
           SELECT b.facility_id, \
             CASE WHEN r.starts_at < {from} THEN {from} ELSE r.starts_at END AS open_from, \
             CASE WHEN r.ends_at > {to} THEN {to} ELSE r.ends_at END AS open_until \
           FROM range_bound b CROSS JOIN facility_open_range r \
           WHERE r.facility_id = b.facility_id \
             AND r.starts_at >= b.bound AND r.starts_at < {to} AND r.ends_at > {from} \
           UNION ALL \
           SELECT c.id, {to}, {to} FROM candidates c\
         ), \
         closed AS (\
           SELECT facility_id, \
             COALESCE(LAG(open_until) OVER (PARTITION BY facility_id ORDER BY open_from), \
               {from}) AS busy_from, \
             open_from AS busy_until \
           FROM opened\
         ), \
         busy AS (\
           SELECT facility_id, busy_from, busy_until FROM holds \
           UNION ALL \
           SELECT facility_id, busy_from, busy_until FROM closed\
         ), \
         gaps AS (\
           SELECT facility_id, \
             COALESCE(MAX(busy_until) OVER (PARTITION BY facility_id \
               ORDER BY busy_from, busy_until \
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), {from}) AS free_from, \
             busy_from AS free_until \
           FROM busy\
         ), \
         fits AS (\
           SELECT facility_id, free_from, free_until FROM gaps \
           WHERE free_until > free_from AND {long_enough}\
         ) \
         {tail}",
        candidates = candidates.sql,
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// One page, by id, of the facilities `visibility` allows that match the search's
/// filter and are free for `min_duration` at a stretch inside its window, each with
/// those free intervals, found in one statement. The facilities come from `cache` by
/// the row version that statement saw; only those not kept at that version are read,
/// in one statement more. (Copying and decoding a facility's forty columns costs more
/// than finding its free time.)
pub async fn find_available(
    db: &DatabaseConnection,
    known: &KnownHorizon,
    cache: &FacilityCache,
    search: &AvailabilitySearch,
    visibility: &Visibility,
    page: PageRequest,
) -> AppResult<Page<AvailableFacility>> {
    let backend = db.get_database_backend();
    let all = candidates(backend, &search.filter, visibility, None);
    if !known.covers(search.window.end()) {
        top_up(db, known, Some(&all), search.window.end()).await?;
    }
    let paged = candidates(backend, &search.filter, visibility, page.after);
    let statement = search_statement(backend, &paged, search, Some(page.first + 1));
    // (facility, the row version seen, its free intervals), by facility.
    let mut found: Vec<(FacilityId, DateTime<Utc>, Vec<TimeRange>)> = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let id = FacilityId(row.try_get("", "id")?);
        let range = TimeRange::new(
            row.try_get("", "free_from")?,
            row.try_get("", "free_until")?,
        )
        .map_err(|_| AppError::internal("empty free interval"))?;
        match found.last_mut() {
            Some((last, _, free)) if *last == id => free.push(range),
            _ => found.push((id, row.try_get("", "updated_at")?, vec![range])),
        }
    }
    let has_next_page = found.len() as u64 > page.first;
    found.truncate(page.first as usize);
    let facilities =
        facilities::cached(db, cache, found.iter().map(|(id, at, _)| (*id, *at))).await?;
    let rows = found
        .into_iter()
        .filter_map(|(id, _, free)| {
            let facility = facilities.get(&id)?;
            Some(AvailableFacility {
                facility: Facility::clone(facility),
                free,
            })
        })
        .collect();
    Ok(Page {
        rows,
        has_next_page,
        count: search_statement(backend, &all, search, None),
    })
}
