//! A recurring item as a client will expand it: one master with `RRULE`, an `EXDATE` for
//! every generated start without a row, and an override for every row that differs from
//! what the client would expand for it. Shared by booking series and recurring events.
use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::calendar::{CalendarItem, Recurrence};
use crate::domain::local_time::resolve_rfc5545;
use crate::error::{AppError, AppResult};

/// The master and overrides of a recurrence.
///
/// `master` holds the first generated start and the exact length (`DURATION`) a client
/// applies to every occurrence; `generated` are the local starts the rule gives (exception
/// dates not removed); `rows` are the occurrences the database holds, by their original
/// local start, each as it is now (with `recurrence_id` and its own time and content).
pub fn recurring_items(
    mut master: CalendarItem,
    rule: String,
    generated: &[NaiveDateTime],
    mut rows: HashMap<NaiveDateTime, CalendarItem>,
) -> AppResult<Vec<CalendarItem>> {
    let length = master.end - master.start;
    let mut exception_dates = Vec::new();
    let mut overrides = Vec::new();
    for &local in generated {
        let Some(row) = rows.remove(&local) else {
            exception_dates.push(local);
            continue;
        };
        let start = resolve_rfc5545(local, master.zone)
            .ok_or_else(|| AppError::internal("an occurrence out of range"))?;
        let as_expanded =
            row.start == start && row.end == start + length && row.content == master.content;
        if !as_expanded {
            overrides.push(row);
        }
    }
    if !rows.is_empty() {
        return Err(AppError::internal(
            "corrupt recurrence in the database: occurrences the rule does not generate",
        ));
    }
    master.recurrence = Some(Recurrence {
        rule,
        exception_dates,
    });
    Ok(std::iter::once(master).chain(overrides).collect())
}
