//! Organisations and the roles people have in them.
use strum::{AsRefStr, EnumString};

/// The sector an organisation belongs to (the follow-up table's columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganisationKind {
    /// Hyvinvointialue.
    WelfareRegion,
    /// Kunta.
    Municipality,
    /// Järjestö, yhdistys.
    Ngo,
    /// Maakuntaliitto.
    RegionalCouncil,
    /// Oppilaitos.
    EducationalInstitution,
    /// Yritys.
    Company,
    /// Uskonnollinen yhteisö, e.g. a parish.
    ReligiousCommunity,
}

impl OrganisationKind {
    /// Public bodies and non-profits: the "NGOs and public" booking policy admits them.
    pub fn is_ngo_or_public(self) -> bool {
        !matches!(self, Self::Company)
    }
}

/// A member's role in an organisation; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Books the organisation's own and others' premises.
    Booker,
    /// Also manages the organisation's facilities and their bookings.
    FacilityManager,
    /// Also manages the organisation and its members.
    Admin,
}
