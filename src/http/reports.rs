//! `GET /reports/cooperation.csv`: the follow-up report for the coordinator as CSV, one
//! figure group per row, to paste into the yearly follow-up table.
use std::sync::Arc;

use chrono::NaiveDate;
use poem::http::HeaderMap;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use super::{error_response, signed_in};
use crate::domain::cooperation::ReportPeriod;
use crate::domain::localized::Language;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::graphql::context::AppState;
use crate::service::report::{CooperationReport, Usage, cooperation_report, hours, share};

/// The query string: `from` and `to` (local days, both included), and optionally a
/// municipality (code or name) and `delimiter=semicolon` with decimal commas, as
/// spreadsheets set to Finnish expect.
#[derive(Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    municipality: Option<String>,
    delimiter: Option<String>,
}

fn day(field: &str, value: Option<&str>) -> Result<NaiveDate, ValidationError> {
    let value = value
        .ok_or_else(|| ValidationError::new(field, "REQUIRED", "give the day as YYYY-MM-DD"))?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| ValidationError::new(field, "INVALID_DATE", "give the day as YYYY-MM-DD"))
}

/// The report as CSV for the coordinator (`Authorization: Bearer <token>`).
#[handler]
pub async fn cooperation_csv(
    state: Data<&Arc<AppState>>,
    headers: &HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Response {
    match csv_report(&state, headers, query).await {
        Ok((name, body)) => body
            .with_content_type("text/csv; charset=utf-8")
            .with_header(
                "content-disposition",
                format!("attachment; filename=\"{name}\""),
            )
            .into_response(),
        Err(err) => error_response(err),
    }
}

async fn csv_report(
    state: &AppState,
    headers: &HeaderMap,
    query: ReportQuery,
) -> Result<(String, Vec<u8>), AppError> {
    let access = signed_in(state, headers).await?;
    if !access.can_see_cooperation_report() {
        return Err(AppError::Forbidden("the follow-up is the coordinator's"));
    }
    let period = ReportPeriod::new(
        day("from", query.from.as_deref())?,
        day("to", query.to.as_deref())?,
    )?;
    let code = query
        .municipality
        .as_deref()
        .map(|m| {
            state
                .municipalities
                .resolve("municipality", m)
                .map(|m| m.code.clone())
        })
        .transpose()?;
    let finnish = match query.delimiter.as_deref() {
        None | Some("comma") => false,
        Some("semicolon") => true,
        Some(_) => {
            return Err(ValidationError::new(
                "delimiter",
                "INVALID_DELIMITER",
                "delimiter is comma or semicolon",
            )
            .into());
        }
    };
    let report = cooperation_report(&state.db, period, state.default_timezone, code).await?;
    let body = render(&report, state, finnish).map_err(AppError::internal)?;
    let name = format!(
        "yhteistila-seuranta-{}-{}.csv",
        period.from(),
        period.through()
    );
    Ok((name, body))
}

/// One row of the CSV.
struct Row<'a> {
    section: &'a str,
    group: String,
    subgroup: String,
    bookings: Option<i64>,
    minutes: Option<i64>,
    events: Option<i64>,
    open_minutes: Option<i64>,
    ratio: Option<f64>,
}

impl<'a> Row<'a> {
    fn new(section: &'a str, group: impl Into<String>, subgroup: impl Into<String>) -> Self {
        Self {
            section,
            group: group.into(),
            subgroup: subgroup.into(),
            bookings: None,
            minutes: None,
            events: None,
            open_minutes: None,
            ratio: None,
        }
    }

    fn with_usage(self, usage: Usage) -> Self {
        Self {
            bookings: Some(usage.bookings),
            minutes: Some(usage.minutes),
            ..self
        }
    }
}

const HEADER: [&str; 10] = [
    "section",
    "group",
    "subgroup",
    "bookings",
    "booked_minutes",
    "booked_hours",
    "events",
    "open_hours",
    "ratio",
    "period",
];

fn render(
    report: &CooperationReport,
    state: &AppState,
    finnish: bool,
) -> Result<Vec<u8>, csv::Error> {
    let municipality = |code: &str| {
        state
            .municipalities
            .by_code(code)
            .map_or_else(|| code.to_string(), |m| m.name_fi.clone())
    };
    let mut rows = vec![Row {
        events: Some(report.events),
        ..Row::new("total", "", "").with_usage(report.total)
    }];
    rows.push(Row {
        bookings: Some(report.free_bookings),
        ratio: share(report.free_bookings, report.priced_bookings),
        ..Row::new("free_of_charge", "", "")
    });
    for (owner, booker, usage) in report.sectors() {
        rows.push(Row::new("sector", owner.as_ref(), booker.as_ref()).with_usage(usage));
    }
    for (code, usage) in &report.by_municipality {
        rows.push(Row::new("municipality", municipality(code), code.as_str()).with_usage(*usage));
    }
    for (theme, usage) in &report.by_theme {
        rows.push(Row {
            events: Some(usage.events),
            ..Row::new("theme", theme.as_ref(), theme.label(Language::Fi)).with_usage(usage.usage)
        });
    }
    for (group, usage) in &report.by_target_group {
        rows.push(Row {
            events: Some(usage.events),
            ..Row::new("target_group", group.as_ref(), group.label(Language::Fi))
                .with_usage(usage.usage)
        });
    }
    rows.push(Row {
        events: Some(report.cohosted_events),
        ..Row::new("cohosting", "events", "")
    });
    rows.push(Row {
        events: Some(report.cohosting_organisations),
        ..Row::new("cohosting", "organisations", "")
    });
    for row in &report.utilisation {
        rows.push(Row {
            open_minutes: Some(row.open_minutes),
            ratio: share(row.usage.minutes, row.open_minutes),
            ..Row::new(
                "utilisation",
                row.facility
                    .spec
                    .name
                    .best(Language::Fi)
                    .unwrap_or_default()
                    .to_string(),
                municipality(&row.facility.spec.municipality_code),
            )
            .with_usage(row.usage)
        });
    }
    let number = |value: f64| {
        let text = format!("{value}");
        if finnish {
            text.replace('.', ",")
        } else {
            text
        }
    };
    let period = format!("{}..{}", report.period.from(), report.period.through());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(if finnish { b';' } else { b',' })
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for row in rows {
        let optional = |value: Option<String>| value.unwrap_or_default();
        writer.write_record([
            row.section.to_string(),
            row.group,
            row.subgroup,
            optional(row.bookings.map(|b| b.to_string())),
            optional(row.minutes.map(|m| m.to_string())),
            optional(row.minutes.map(|m| number(hours(m)))),
            optional(row.events.map(|e| e.to_string())),
            optional(row.open_minutes.map(|m| number(hours(m)))),
            optional(row.ratio.map(|r| number((r * 10_000.0).round() / 10_000.0))),
            period.clone(),
        ])?;
    }
    writer.into_inner().map_err(|e| e.into_error().into())
}
