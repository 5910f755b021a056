//! Times as people read them: on the wall clock of a zone, in their language
//! (`ti 24.11.2026 klo 18.00–20.00`, `tis 24.11.2026 kl. 18.00–20.00`,
//! `Tue 24 Nov 2026 18:00–20:00`).
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::domain::localized::Language;

const WEEKDAYS_FI: [&str; 7] = ["ma", "ti", "ke", "to", "pe", "la", "su"];
const WEEKDAYS_SV: [&str; 7] = ["mån", "tis", "ons", "tor", "fre", "lör", "sön"];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn date(local: &NaiveDateTime, language: Language) -> String {
    let weekday = local.weekday().num_days_from_monday() as usize;
    let (d, m, y) = (local.day(), local.month(), local.year());
    match language {
        Language::Fi => format!("{} {d}.{m}.{y}", WEEKDAYS_FI[weekday]),
        Language::Sv => format!("{} {d}.{m}.{y}", WEEKDAYS_SV[weekday]),
        Language::En => format!(
            "{} {d} {} {y}",
            WEEKDAYS_EN[weekday],
            MONTHS_EN[m as usize - 1]
        ),
    }
}

fn clock(local: &NaiveDateTime, language: Language) -> String {
    match language {
        Language::Fi | Language::Sv => local.format("%H.%M").to_string(),
        Language::En => local.format("%H:%M").to_string(),
    }
}

fn at(language: Language) -> &'static str {
    match language {
        Language::Fi => " klo ",
        Language::Sv => " kl. ",
        Language::En => " ",
    }
}

/// A local date and time, e.g. `ti 24.11.2026 klo 18.00`.
pub fn local_time(local: &NaiveDateTime, language: Language) -> String {
    format!(
        "{}{}{}",
        date(local, language),
        at(language),
        clock(local, language)
    )
}

/// A stretch of time on `zone`'s wall clock; the end's date is shown only when it differs.
pub fn time_range(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    zone: Tz,
    language: Language,
) -> String {
    let (start, end) = (
        start.with_timezone(&zone).naive_local(),
        end.with_timezone(&zone).naive_local(),
    );
    if start.date() == end.date() {
        format!("{}–{}", local_time(&start, language), clock(&end, language))
    } else {
        format!(
            "{} – {}",
            local_time(&start, language),
            local_time(&end, language)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn times_are_on_the_helsinki_wall_clock_across_the_autumn_change() {
        let zone = chrono_tz::Europe::Helsinki;
        // 18:00 local is 15:00Z in October before the change and 16:00Z after it.
        let before = time_range(
            utc("2026-10-20T15:00:00Z"),
            utc("2026-10-20T17:00:00Z"),
            zone,
            Language::Fi,
        );
        let after = time_range(
            utc("2026-10-27T16:00:00Z"),
            utc("2026-10-27T18:00:00Z"),
            zone,
            Language::Fi,
        );
        assert_eq!(before, "ti 20.10.2026 klo 18.00–20.00");
        assert_eq!(after, "ti 27.10.2026 klo 18.00–20.00");
    }

    #[test]
    fn each_language_writes_dates_its_own_way() {
        let zone = chrono_tz::Europe::Helsinki;
        let (start, end) = (utc("2026-11-24T16:00:00Z"), utc("2026-11-24T18:00:00Z"));
        assert_eq!(
            time_range(start, end, zone, Language::Sv),
            "tis 24.11.2026 kl. 18.00–20.00"
        );
        assert_eq!(
            time_range(start, end, zone, Language::En),
            "Tue 24 Nov 2026 18:00–20:00"
        );
        let overnight = time_range(start, utc("2026-11-25T01:00:00Z"), zone, Language::Fi);
        assert_eq!(
            overnight,
            "ti 24.11.2026 klo 18.00 – ke 25.11.2026 klo 03.00"
        );
    }
}
