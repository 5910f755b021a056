//! Wall-clock times in a facility's IANA time zone and the UTC instants they stand for.
//!
//! Around daylight saving changes a local time may not exist (the spring gap) or may happen
//! twice (the autumn overlap); the functions here say so instead of guessing.
use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone of a facility that has not chosen another.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::Helsinki;

/// Why a local time could not be turned into an instant.
///
/// The errors do not know which input field held the time; the caller adds that.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    /// The clocks jump over this local time.
    #[error("{local} does not exist in {zone}: the clocks are moved forward over it")]
    NonexistentLocalTime {
        /// The local time asked for.
        local: NaiveDateTime,
        /// The zone it was read in.
        zone: Tz,
    },
    /// This local time happens twice; the client must give an explicit UTC offset.
    #[error(
        "{local} happens twice in {zone}; give the UTC offset: {} or {}",
        earlier.to_rfc3339(),
        later.to_rfc3339()
    )]
    AmbiguousLocalTime {
        /// The local time asked for.
        local: NaiveDateTime,
        /// The zone it was read in.
        zone: Tz,
        /// The first instant with this reading, with its (summer time) offset.
        earlier: DateTime<FixedOffset>,
        /// The second instant with this reading, with its (standard time) offset.
        later: DateTime<FixedOffset>,
    },
    /// The offset given with a local time is not one the zone had at that local time.
    #[error("{zone} was not at UTC offset {given} at {local}")]
    OffsetMismatch {
        /// The local time given.
        local: NaiveDateTime,
        /// The zone it was checked against.
        zone: Tz,
        /// The offset given.
        given: FixedOffset,
        /// The offsets the zone had at that local time (two in the autumn overlap).
        valid: Vec<FixedOffset>,
    },
    /// The name is not an IANA time zone name.
    #[error("unknown time zone {name:?}; use an IANA name such as Europe/Helsinki")]
    UnknownTimeZone {
        /// The name given.
        name: String,
    },
}

impl LocalTimeError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NonexistentLocalTime { .. } => "NONEXISTENT_LOCAL_TIME",
            Self::AmbiguousLocalTime { .. } => "AMBIGUOUS_LOCAL_TIME",
            Self::OffsetMismatch { .. } => "OFFSET_MISMATCH",
            Self::UnknownTimeZone { .. } => "UNKNOWN_TIME_ZONE",
        }
    }
}

/// Parses an IANA zone name such as `Europe/Helsinki` (exact spelling, no surrounding space).
pub fn parse_time_zone(name: &str) -> Result<Tz, LocalTimeError> {
    name.parse::<Tz>()
        .map_err(|_| LocalTimeError::UnknownTimeZone {
            name: name.to_string(),
        })
}

/// The one instant at which the clocks of `zone` show `local`.
///
/// Fails when `local` falls in a spring gap or an autumn overlap.
pub fn resolve_local(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, LocalTimeError> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => Ok(instant.to_utc()),
        LocalResult::Ambiguous(a, b) => {
            let (earlier, later) = if a <= b { (a, b) } else { (b, a) };
            Err(LocalTimeError::AmbiguousLocalTime {
                local,
                zone,
                earlier: earlier.fixed_offset(),
                later: later.fixed_offset(),
            })
        }
        LocalResult::None => Err(LocalTimeError::NonexistentLocalTime { local, zone }),
    }
}

/// The instant of `local` at the explicitly given `offset`, checked against `zone`.
///
/// Use it for a wall-clock time that comes with an offset, such as `2026-10-25T03:30+02:00`
/// for a facility in `zone`: the offset picks one reading in the autumn overlap, and an
/// offset the zone did not have at that local time is rejected.
pub fn resolve_local_with_offset(
    local: NaiveDateTime,
    offset: FixedOffset,
    zone: Tz,
) -> Result<DateTime<Utc>, LocalTimeError> {
    let candidates: Vec<DateTime<Tz>> = match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => vec![instant],
        LocalResult::Ambiguous(a, b) => vec![a, b],
        LocalResult::None => return Err(LocalTimeError::NonexistentLocalTime { local, zone }),
    };
    candidates
        .iter()
        .find(|instant| instant.offset().fix() == offset)
        .map(DateTime::to_utc)
        .ok_or_else(|| LocalTimeError::OffsetMismatch {
            local,
            zone,
            given: offset,
            valid: candidates.iter().map(|c| c.offset().fix()).collect(),
        })
}

/// Which end of an interval a local time bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    /// The interval starts here: an ambiguous time takes its earlier instant.
    Start,
    /// The interval ends here: an ambiguous time takes its later instant.
    End,
}

/// The instant bounding an interval at `local`, never failing on a DST change.
///
/// An ambiguous time resolves per `edge`, so the interval covers every instant whose clock
/// reading lies inside it; a time in a spring gap resolves to the instant of the jump, which
/// clips the interval to the part that exists. `None` only past chrono's range.
pub(crate) fn resolve_edge(local: NaiveDateTime, zone: Tz, edge: Edge) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => Some(instant.to_utc()),
        LocalResult::Ambiguous(a, b) => Some(match edge {
            Edge::Start => a.min(b).to_utc(),
            Edge::End => a.max(b).to_utc(),
        }),
        LocalResult::None => gap_transition(local, zone),
    }
}

/// The instant of `local` as RFC 5545 reads it: in the autumn overlap the first instant, in a
/// spring gap with the offset from before the gap (so 03:30 in a 03:00→04:00 gap is 04:30).
pub(crate) fn resolve_rfc5545(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => Some(instant.to_utc()),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).to_utc()),
        LocalResult::None => {
            let jump = gap_transition(local, zone)?;
            let before = zone
                .offset_from_utc_datetime(&(jump - Duration::seconds(1)).naive_utc())
                .fix();
            let naive =
                local.checked_sub_signed(Duration::seconds(i64::from(before.local_minus_utc())))?;
            Some(naive.and_utc())
        }
    }
}

/// The instant at which the clocks jump over the nonexistent `local`.
///
/// Offsets stay within a day of UTC, so the jump lies within a day of `local` read as UTC;
/// a binary search finds the first second with the offset from after the jump.
fn gap_transition(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    let offset_at = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0)
            .map(|t| zone.offset_from_utc_datetime(&t.naive_utc()).fix())
    };
    let centre = local.and_utc().timestamp();
    let mut low = centre.checked_sub(86_400)?;
    let mut high = centre.checked_add(86_400)?;
    let after = offset_at(high)?;
    if offset_at(low)? == after {
        return None;
    }
    // Invariant: the offset at `low` differs from `after`, the offset at `high` is `after`.
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if offset_at(middle)? == after {
            high = middle;
        } else {
            low = middle;
        }
    }
    DateTime::from_timestamp(high, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time_range::TimeRange;
    use chrono::NaiveDate;

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn offset(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).unwrap()
    }

    #[test]
    fn parses_iana_names() {
        assert_eq!(parse_time_zone("Europe/Helsinki").unwrap(), HELSINKI);
        assert_eq!(DEFAULT_TIME_ZONE, HELSINKI);
        for bad in ["Europe/Lahti", "", "EET+2", " Europe/Helsinki"] {
            let err = parse_time_zone(bad).unwrap_err();
            assert_eq!(err.code(), "UNKNOWN_TIME_ZONE", "{bad}");
        }
    }

    #[test]
    fn ordinary_times_resolve_with_winter_and_summer_offsets() {
        assert_eq!(
            resolve_local(local(2026, 1, 15, 12, 0), HELSINKI).unwrap(),
            utc("2026-01-15T10:00:00Z")
        );
        assert_eq!(
            resolve_local(local(2026, 7, 15, 12, 0), HELSINKI).unwrap(),
            utc("2026-07-15T09:00:00Z")
        );
    }

    #[test]
    fn spring_gap_times_do_not_exist() {
        for (y, m, d) in [(2026, 3, 29), (2027, 3, 28)] {
            for (h, mi) in [(3, 0), (3, 30), (3, 59)] {
                let err = resolve_local(local(y, m, d, h, mi), HELSINKI).unwrap_err();
                assert_eq!(err.code(), "NONEXISTENT_LOCAL_TIME", "{y}-{m}-{d} {h}:{mi}");
            }
            // Either side of the gap exists.
            assert!(resolve_local(local(y, m, d, 2, 59), HELSINKI).is_ok());
            assert!(resolve_local(local(y, m, d, 4, 0), HELSINKI).is_ok());
        }
        assert_eq!(
            resolve_local(local(2026, 3, 29, 4, 0), HELSINKI).unwrap(),
            utc("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn autumn_overlap_times_are_ambiguous_with_both_candidates() {
        let err = resolve_local(local(2026, 10, 25, 3, 30), HELSINKI).unwrap_err();
        assert_eq!(err.code(), "AMBIGUOUS_LOCAL_TIME");
        let LocalTimeError::AmbiguousLocalTime { earlier, later, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(earlier.to_rfc3339(), "2026-10-25T03:30:00+03:00");
        assert_eq!(later.to_rfc3339(), "2026-10-25T03:30:00+02:00");
        assert_eq!(earlier.to_utc(), utc("2026-10-25T00:30:00Z"));
        assert_eq!(later.to_utc(), utc("2026-10-25T01:30:00Z"));
        assert!(err.to_string().contains("2026-10-25T03:30:00+03:00"));

        let err = resolve_local(local(2027, 10, 31, 3, 0), HELSINKI).unwrap_err();
        assert_eq!(err.code(), "AMBIGUOUS_LOCAL_TIME");
        assert!(resolve_local(local(2027, 10, 31, 4, 0), HELSINKI).is_ok());
        assert!(resolve_local(local(2027, 10, 31, 2, 59), HELSINKI).is_ok());
    }

    #[test]
    fn explicit_offset_picks_one_reading_of_the_overlap() {
        let t = local(2026, 10, 25, 3, 30);
        assert_eq!(
            resolve_local_with_offset(t, offset(3), HELSINKI).unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            resolve_local_with_offset(t, offset(2), HELSINKI).unwrap(),
            utc("2026-10-25T01:30:00Z")
        );
    }

    #[test]
    fn offset_the_zone_did_not_have_is_rejected() {
        // Summer time offset in January.
        let err =
            resolve_local_with_offset(local(2027, 1, 10, 12, 0), offset(3), HELSINKI).unwrap_err();
        assert_eq!(err.code(), "OFFSET_MISMATCH");
        let LocalTimeError::OffsetMismatch { valid, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(valid, &vec![offset(2)]);
        // UTC given for a Helsinki wall-clock time.
        let err =
            resolve_local_with_offset(local(2026, 10, 25, 3, 30), offset(0), HELSINKI).unwrap_err();
        let LocalTimeError::OffsetMismatch { valid, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(valid.len(), 2);
        // A time in the gap does not exist whatever the offset.
        let err =
            resolve_local_with_offset(local(2026, 3, 29, 3, 30), offset(2), HELSINKI).unwrap_err();
        assert_eq!(err.code(), "NONEXISTENT_LOCAL_TIME");
    }

    #[test]
    fn overnight_booking_across_autumn_change_lasts_seven_hours() {
        let start = resolve_local(local(2026, 10, 24, 22, 0), HELSINKI).unwrap();
        let end = resolve_local(local(2026, 10, 25, 4, 0), HELSINKI).unwrap();
        assert_eq!(start, utc("2026-10-24T19:00:00Z"));
        assert_eq!(end, utc("2026-10-25T02:00:00Z"));
        let range = TimeRange::new(start, end).unwrap();
        assert_eq!(range.duration(), Duration::hours(7));
    }

    #[test]
    fn overnight_booking_across_spring_change_lasts_five_hours() {
        let start = resolve_local(local(2026, 3, 28, 22, 0), HELSINKI).unwrap();
        let end = resolve_local(local(2026, 3, 29, 4, 0), HELSINKI).unwrap();
        assert_eq!(start, utc("2026-03-28T20:00:00Z"));
        assert_eq!(end, utc("2026-03-29T01:00:00Z"));
        assert_eq!(
            TimeRange::new(start, end).unwrap().duration(),
            Duration::hours(5)
        );
    }

    #[test]
    fn edges_clip_to_the_gap_and_widen_over_the_overlap() {
        let gap = local(2027, 3, 28, 3, 30);
        assert_eq!(
            resolve_edge(gap, HELSINKI, Edge::Start),
            Some(utc("2027-03-28T01:00:00Z"))
        );
        assert_eq!(
            resolve_edge(gap, HELSINKI, Edge::End),
            Some(utc("2027-03-28T01:00:00Z"))
        );
        let overlap = local(2027, 10, 31, 3, 30);
        assert_eq!(
            resolve_edge(overlap, HELSINKI, Edge::Start),
            Some(utc("2027-10-31T00:30:00Z"))
        );
        assert_eq!(
            resolve_edge(overlap, HELSINKI, Edge::End),
            Some(utc("2027-10-31T01:30:00Z"))
        );
    }

    #[test]
    fn rfc5545_reading_uses_the_offset_before_the_gap() {
        assert_eq!(
            resolve_rfc5545(local(2026, 3, 29, 3, 30), HELSINKI),
            Some(utc("2026-03-29T01:30:00Z"))
        );
        assert_eq!(
            resolve_rfc5545(local(2026, 10, 25, 3, 30), HELSINKI),
            Some(utc("2026-10-25T00:30:00Z"))
        );
    }
}
