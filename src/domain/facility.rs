//! Facilities: what they are, what they offer, and who may book them.
use enumflags2::{BitFlags, bitflags};
use strum::{AsRefStr, EnumIter, EnumString};

use super::organisation::OrganisationKind;
use super::validation::ValidationError;

/// What kind of premises a facility is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum FacilityType {
    /// Kokoushuone.
    MeetingRoom,
    /// Sali.
    Hall,
    /// Kerhohuone.
    ClubRoom,
    /// Keittiö.
    Kitchen,
    /// Liikuntasali.
    Gym,
    /// Kenttä.
    SportsField,
    /// Ulkoalue.
    OutdoorArea,
    /// Työtila, paja.
    Workshop,
    /// Anything else.
    Other,
}

/// An accessibility feature. The bit positions are stored: never reorder them.
#[bitflags]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessibilityFeature {
    /// Esteetön kulku.
    StepFreeAccess = 1 << 0,
    /// Esteetön WC.
    AccessibleToilet = 1 << 1,
    /// Induktiosilmukka.
    InductionLoop = 1 << 2,
    /// Hissi.
    Elevator = 1 << 3,
    /// Esteetön pysäköinti.
    AccessibleParking = 1 << 4,
    /// Automaattiovet.
    AutomaticDoors = 1 << 5,
    /// Opasteet näkövammaisille.
    TactileGuidance = 1 << 6,
    /// Hiljainen tila.
    QuietSpace = 1 << 7,
}

/// A piece of equipment. The bit positions are stored: never reorder them.
#[bitflags]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Equipment {
    /// Videotykki.
    Projector = 1 << 0,
    /// Valkokangas tai näyttö.
    Screen = 1 << 1,
    /// Äänentoisto.
    SoundSystem = 1 << 2,
    /// Mikrofoni.
    Microphone = 1 << 3,
    /// Etäyhteys.
    VideoConference = 1 << 4,
    /// Langaton verkko.
    Wifi = 1 << 5,
    /// Valkotaulu.
    Whiteboard = 1 << 6,
    /// Keittiö.
    Kitchen = 1 << 7,
    /// Kahvinkeitin.
    CoffeeMaker = 1 << 8,
    /// Astianpesukone.
    Dishwasher = 1 << 9,
    /// Piano.
    Piano = 1 << 10,
    /// Esiintymislava.
    Stage = 1 << 11,
    /// Liikuntavälineet.
    SportsEquipment = 1 << 12,
    /// Sauna.
    Sauna = 1 << 13,
}

/// A set of accessibility features.
pub type AccessibilityFeatures = BitFlags<AccessibilityFeature>;
/// A set of equipment.
pub type EquipmentSet = BitFlags<Equipment>;

/// Who may book a facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum WhoMayBook {
    /// Any organisation.
    Everyone,
    /// NGOs and public bodies, not companies.
    NgosAndPublic,
    /// Only the owner organisation.
    OwnOrganisation,
    /// The owner and the organisations it has invited.
    InvitedOrganisations,
}

/// The price per hour for one kind of customer, in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HourlyPrice {
    /// Who pays this price.
    #[serde(with = "kind_code")]
    pub customer_kind: OrganisationKind,
    /// Euro cents per hour.
    pub cents: u32,
}

mod kind_code {
    use super::OrganisationKind;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(kind: &OrganisationKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.as_ref())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OrganisationKind, D::Error> {
        let code = String::deserialize(d)?;
        code.parse().map_err(D::Error::custom)
    }
}

/// Checks a list of hourly prices: one price per customer kind.
pub fn validate_prices(prices: &[HourlyPrice]) -> Result<(), ValidationError> {
    for (i, price) in prices.iter().enumerate() {
        if prices[..i]
            .iter()
            .any(|p| p.customer_kind == price.customer_kind)
        {
            return Err(ValidationError::new(
                format!("hourlyPrices.{i}.customerKind"),
                "DUPLICATE_PRICE",
                "give one price per customer kind",
            ));
        }
    }
    Ok(())
}

/// Caps on how much of a facility one booking organisation may hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BookingQuota {
    /// At most this many future blocking bookings.
    pub max_future_bookings: Option<u32>,
    /// At most this many booked minutes in one ISO week (Monday to Sunday, local time).
    pub max_weekly_minutes: Option<u32>,
}

impl BookingQuota {
    /// Checks that the caps, where given, are positive.
    pub fn new(
        max_future_bookings: Option<u32>,
        max_weekly_minutes: Option<u32>,
    ) -> Result<Self, ValidationError> {
        for (field, value) in [
            (
                "rules.maxFutureBookingsPerOrganisation",
                max_future_bookings,
            ),
            ("rules.maxWeeklyMinutesPerOrganisation", max_weekly_minutes),
        ] {
            if value == Some(0) {
                return Err(ValidationError::new(
                    field,
                    "INVALID_QUOTA",
                    "a quota is a positive number; leave it out for none",
                ));
            }
        }
        Ok(Self {
            max_future_bookings,
            max_weekly_minutes,
        })
    }

    /// True when any cap is set.
    pub fn is_limited(&self) -> bool {
        self.max_future_bookings.is_some() || self.max_weekly_minutes.is_some()
    }
}

/// Checks a facility's capacity: a positive number of people.
pub fn validate_capacity(capacity: i32) -> Result<u32, ValidationError> {
    u32::try_from(capacity)
        .ok()
        .filter(|c| (1..=100_000).contains(c))
        .ok_or_else(|| {
            ValidationError::new(
                "capacity",
                "INVALID_CAPACITY",
                "capacity is a number of people from 1 to 100000",
            )
        })
}

/// Checks a Finnish postal code: five digits.
pub fn validate_postal_code(code: &str) -> Result<String, ValidationError> {
    let code = code.trim();
    if code.len() == 5 && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code.to_string())
    } else {
        Err(ValidationError::new(
            "postalCode",
            "INVALID_POSTAL_CODE",
            "a Finnish postal code has five digits",
        ))
    }
}

/// Checks WGS84 coordinates: both or neither, within range.
pub fn validate_coordinates(
    latitude: Option<f64>,
    longitude: Option<f64>,
) -> Result<Option<(f64, f64)>, ValidationError> {
    match (latitude, longitude) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Ok(Some((lat, lon)))
        }
        (Some(_), Some(_)) => Err(ValidationError::new(
            "latitude",
            "INVALID_COORDINATES",
            "latitude is -90..90 and longitude -180..180",
        )),
        (None, Some(_)) => Err(ValidationError::new(
            "latitude",
            "INVALID_COORDINATES",
            "give both latitude and longitude",
        )),
        (Some(_), None) => Err(ValidationError::new(
            "longitude",
            "INVALID_COORDINATES",
            "give both latitude and longitude",
        )),
    }
}

/// Whether an organisation of `kind` passes a facility's "who may book" policy.
/// Membership of the owner and invitations are checked by the caller, which knows them.
pub fn policy_admits(
    policy: WhoMayBook,
    kind: OrganisationKind,
    is_owner: bool,
    invited: bool,
) -> bool {
    is_owner
        || match policy {
            WhoMayBook::Everyone => true,
            WhoMayBook::NgosAndPublic => kind.is_ngo_or_public(),
            WhoMayBook::OwnOrganisation => false,
            WhoMayBook::InvitedOrganisations => invited,
        }
}

/// What a booking of `minutes` costs an organisation of `kind`, in euro cents: nothing
/// for the owner itself, nothing for non-profit and public bookers where the facility is
/// free for non-profit use, otherwise the hourly price for the kind (none listed: free),
/// pro rata and rounded to the nearest cent.
pub fn booking_price_cents(
    free_for_non_profit: bool,
    prices: &[HourlyPrice],
    kind: OrganisationKind,
    is_owner: bool,
    minutes: i64,
) -> i64 {
    if is_owner || (free_for_non_profit && kind.is_ngo_or_public()) {
        return 0;
    }
    prices
        .iter()
        .find(|p| p.customer_kind == kind)
        .map_or(0, |p| (i64::from(p.cents) * minutes + 30) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_follows_the_booker_kind() {
        use OrganisationKind::*;
        let prices = [HourlyPrice {
            customer_kind: Company,
            cents: 4000,
        }];
        assert_eq!(booking_price_cents(true, &prices, Ngo, false, 120), 0);
        assert_eq!(booking_price_cents(true, &prices, Company, false, 90), 6000);
        assert_eq!(booking_price_cents(true, &prices, Company, true, 90), 0);
        assert_eq!(booking_price_cents(false, &prices, Ngo, false, 90), 0);
        assert_eq!(booking_price_cents(false, &prices, Company, false, 1), 67);
    }

    #[test]
    fn capacity_must_be_positive() {
        assert_eq!(validate_capacity(-5).unwrap_err().field, "capacity");
        assert_eq!(validate_capacity(0).unwrap_err().reason, "INVALID_CAPACITY");
        assert_eq!(validate_capacity(40), Ok(40));
    }

    #[test]
    fn feature_bits_are_stable() {
        // Stored in the database: a changed bit would silently change data.
        let set = AccessibilityFeature::StepFreeAccess | AccessibilityFeature::InductionLoop;
        assert_eq!(set.bits(), 0b101);
        assert_eq!(
            (Equipment::Piano | Equipment::Sauna).bits(),
            (1 << 10) | (1 << 13)
        );
    }

    #[test]
    fn booking_policy_admits_the_right_kinds() {
        use OrganisationKind::*;
        assert!(policy_admits(WhoMayBook::NgosAndPublic, Ngo, false, false));
        assert!(!policy_admits(
            WhoMayBook::NgosAndPublic,
            Company,
            false,
            false
        ));
        assert!(!policy_admits(
            WhoMayBook::OwnOrganisation,
            Ngo,
            false,
            true
        ));
        assert!(policy_admits(
            WhoMayBook::OwnOrganisation,
            Company,
            true,
            false
        ));
        assert!(policy_admits(
            WhoMayBook::InvitedOrganisations,
            Ngo,
            false,
            true
        ));
        assert!(!policy_admits(
            WhoMayBook::InvitedOrganisations,
            Ngo,
            false,
            false
        ));
    }

    #[test]
    fn postal_codes_have_five_digits() {
        assert!(validate_postal_code("15870").is_ok());
        assert_eq!(
            validate_postal_code("1587").unwrap_err().reason,
            "INVALID_POSTAL_CODE"
        );
    }

    #[test]
    fn duplicate_prices_are_rejected() {
        let p = HourlyPrice {
            customer_kind: OrganisationKind::Company,
            cents: 5000,
        };
        assert_eq!(
            validate_prices(&[p, p]).unwrap_err().field,
            "hourlyPrices.1.customerKind"
        );
    }
}
