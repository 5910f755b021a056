//! Space and event cooperation: who to ask, and the period a follow-up covers.
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use enumflags2::{BitFlags, bitflags};
use strum::{AsRefStr, EnumString};

use super::organisation::OrganisationKind;
use super::time_range::TimeRange;
use super::validation::ValidationError;

/// What a cooperation contact person is to the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum CooperationRole {
    /// The welfare region's NGO coordinator (järjestökoordinaattori), for the whole region.
    RegionalCoordinator,
    /// A municipality's association contact person (yhdistysyhteyshenkilö).
    MunicipalAssociationContact,
    /// An organisation's own contact person for lending premises or hosting events.
    OrganisationContact,
}

impl CooperationRole {
    /// Whether an organisation of `kind` may name a person to this role.
    pub fn fits(self, kind: OrganisationKind) -> bool {
        match self {
            Self::RegionalCoordinator => kind == OrganisationKind::WelfareRegion,
            Self::MunicipalAssociationContact => kind == OrganisationKind::Municipality,
            Self::OrganisationContact => true,
        }
    }
}

/// A form of cooperation a contact person helps with. Bit positions are stored.
#[bitflags]
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum CooperationArea {
    /// Tilayhteistyö: lending and finding premises.
    Spaces = 1 << 0,
    /// Tapahtumayhteistyö: hosting events together.
    Events = 1 << 1,
}

/// The forms of cooperation a person helps with.
pub type CooperationAreas = BitFlags<CooperationArea>;

/// The longest period one follow-up report covers.
pub const MAX_REPORT_YEARS: i32 = 5;

/// The days a follow-up covers, `from` to `through` inclusive, as local calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    from: NaiveDate,
    through: NaiveDate,
}

impl ReportPeriod {
    /// Checks the days: `through` not before `from`, at most [`MAX_REPORT_YEARS`] years.
    pub fn new(from: NaiveDate, through: NaiveDate) -> Result<Self, ValidationError> {
        if through < from {
            return Err(ValidationError::new(
                "to",
                "END_BEFORE_START",
                "the last day is on or after the first",
            ));
        }
        let limit = from
            .with_year(from.year() + MAX_REPORT_YEARS)
            .unwrap_or(NaiveDate::MAX);
        if through >= limit {
            return Err(ValidationError::new(
                "to",
                "PERIOD_TOO_LONG",
                format!("a report covers at most {MAX_REPORT_YEARS} years"),
            ));
        }
        Ok(Self { from, through })
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The last day.
    pub fn through(&self) -> NaiveDate {
        self.through
    }

    /// The period as instants: from the local midnight that starts `from` to the one that
    /// ends `through`, in `zone` (where a midnight falls in a gap, the day starts when the
    /// clocks resume).
    pub fn range(&self, zone: Tz) -> Result<TimeRange, ValidationError> {
        let start_of = |day: NaiveDate| {
            let midnight = day.and_time(NaiveTime::MIN);
            zone.from_local_datetime(&midnight)
                .earliest()
                .or_else(|| {
                    zone.from_local_datetime(&(midnight + Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
        };
        let end_day = self.through.succ_opt();
        match (start_of(self.from), end_day.and_then(start_of)) {
            (Some(start), Some(end)) => TimeRange::new(start, end)
                .map_err(|e| ValidationError::new("to", e.code(), e.to_string())),
            _ => Err(ValidationError::new(
                "to",
                "INVALID_PERIOD",
                "the period's days cannot be placed in the region's time zone",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELSINKI: Tz = chrono_tz::Europe::Helsinki;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_year_is_its_local_days() {
        let year = ReportPeriod::new(day(2027, 1, 1), day(2027, 12, 31)).unwrap();
        let range = year.range(HELSINKI).unwrap();
        // 2026-12-31 22:00 UTC is midnight in Helsinki (EET, +02:00).
        assert_eq!(
            range.start(),
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 31, 22, 0, 0)
                .unwrap()
        );
        assert_eq!(
            range.end(),
            chrono::Utc
                .with_ymd_and_hms(2027, 12, 31, 22, 0, 0)
                .unwrap()
        );
        assert_eq!(range.duration().num_hours(), 365 * 24);
    }

    #[test]
    fn the_day_of_the_spring_change_has_23_hours() {
        let day = ReportPeriod::new(day(2027, 3, 28), day(2027, 3, 28)).unwrap();
        assert_eq!(day.range(HELSINKI).unwrap().duration().num_hours(), 23);
    }

    #[test]
    fn periods_are_checked() {
        assert_eq!(
            ReportPeriod::new(day(2027, 2, 1), day(2027, 1, 1))
                .unwrap_err()
                .reason,
            "END_BEFORE_START"
        );
        assert_eq!(
            ReportPeriod::new(day(2020, 1, 1), day(2025, 1, 1))
                .unwrap_err()
                .reason,
            "PERIOD_TOO_LONG"
        );
        assert!(ReportPeriod::new(day(2020, 1, 1), day(2024, 12, 31)).is_ok());
    }

    #[test]
    fn roles_fit_organisation_kinds() {
        use OrganisationKind::*;
        assert!(CooperationRole::RegionalCoordinator.fits(WelfareRegion));
        assert!(!CooperationRole::RegionalCoordinator.fits(Ngo));
        assert!(CooperationRole::MunicipalAssociationContact.fits(Municipality));
        assert!(!CooperationRole::MunicipalAssociationContact.fits(Ngo));
        assert!(CooperationRole::OrganisationContact.fits(Company));
    }
}
