//! GraphQL mirrors of the domain enums; `remote` derives the conversions both ways.
use async_graphql::Enum;

use crate::domain;

/// The sector an organisation belongs to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::organisation::OrganisationKind")]
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

/// A member's role; each includes the ones below it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::organisation::Role")]
pub enum Role {
    /// Books premises for the organisation.
    Booker,
    /// Also manages the organisation's facilities.
    FacilityManager,
    /// Also manages the organisation and its members.
    Admin,
}

/// A language of the service.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::localized::Language")]
pub enum Language {
    /// Suomi.
    Fi,
    /// Svenska.
    Sv,
    /// English.
    En,
}

/// What kind of premises a facility is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::facility::FacilityType")]
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

/// An accessibility feature.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::facility::AccessibilityFeature")]
pub enum AccessibilityFeature {
    /// Esteetön kulku.
    StepFreeAccess,
    /// Esteetön WC.
    AccessibleToilet,
    /// Induktiosilmukka.
    InductionLoop,
    /// Hissi.
    Elevator,
    /// Esteetön pysäköinti.
    AccessibleParking,
    /// Automaattiovet.
    AutomaticDoors,
    /// Opasteet näkövammaisille.
    TactileGuidance,
    /// Hiljainen tila.
    QuietSpace,
}

/// A piece of equipment.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::facility::Equipment")]
pub enum Equipment {
    /// Videotykki.
    Projector,
    /// Valkokangas tai näyttö.
    Screen,
    /// Äänentoisto.
    SoundSystem,
    /// Mikrofoni.
    Microphone,
    /// Etäyhteys.
    VideoConference,
    /// Langaton verkko.
    Wifi,
    /// Valkotaulu.
    Whiteboard,
    /// Keittiö.
    Kitchen,
    /// Kahvinkeitin.
    CoffeeMaker,
    /// Astianpesukone.
    Dishwasher,
    /// Piano.
    Piano,
    /// Esiintymislava.
    Stage,
    /// Liikuntavälineet.
    SportsEquipment,
    /// Sauna.
    Sauna,
}

/// Who may book a facility.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::facility::WhoMayBook")]
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

/// A day of the week.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chrono::Weekday")]
pub enum Weekday {
    /// Maanantai.
    Mon,
    /// Tiistai.
    Tue,
    /// Keskiviikko.
    Wed,
    /// Torstai.
    Thu,
    /// Perjantai.
    Fri,
    /// Lauantai.
    Sat,
    /// Sunnuntai.
    Sun,
}

/// Where an event stands, as the public sees it.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::event::EventStatus")]
pub enum EventStatus {
    /// Takes place as announced.
    Scheduled,
    /// Put off to a time not yet known.
    Postponed,
    /// Moved to a new time.
    Rescheduled,
    /// Will not take place.
    Cancelled,
}

/// Who may find an event.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::event::EventVisibility")]
pub enum EventVisibility {
    /// Listed publicly and in the public feeds.
    Public,
    /// Open to anyone with its address, but not listed.
    Unlisted,
    /// Only for the hosts' members.
    Private,
}

/// Whether an event is out yet.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::event::Publication")]
pub enum Publication {
    /// Being prepared; only the hosts see it.
    Draft,
    /// Out.
    Published,
}

/// Where an invited co-host stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::event::CohostStatus")]
pub enum CohostStatus {
    /// Invited, no answer yet.
    Invited,
    /// Hosts the event together with the organiser.
    Accepted,
    /// Said no.
    Declined,
}

/// A welfare priority (HYTE) of the Päijät-Häme region.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::event::HyteTheme")]
pub enum HyteTheme {
    /// Osallisuus ja yhteisöllisyys.
    ParticipationAndCommunity,
    /// Mielen hyvinvointi.
    MentalWellbeing,
    /// Arjen turvallisuus.
    EverydaySafety,
    /// Päihteettömyys ja terveelliset elintavat.
    SubstanceFreeHealthyLifestyles,
}

/// A target group, after the networks of the region's NGOs.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::event::TargetGroup")]
pub enum TargetGroup {
    /// Lapset ja perheet.
    ChildrenAndFamilies,
    /// Nuoret.
    Youth,
    /// Ikääntyvät ja omaishoitajat.
    OlderPeopleAndFamilyCarers,
    /// Mielen hyvinvointi ja päihdetyö.
    MentalWellbeingAndSubstanceWork,
    /// Potilasjärjestöt.
    PatientOrganisations,
    /// Vammaisjärjestöt.
    DisabilityOrganisations,
    /// Liikunta ja urheiluseurat.
    SportAndSportsClubs,
    /// Kylät.
    Villages,
    /// Martta-yhdistykset.
    MarthaAssociations,
    /// Kulttuuri.
    Culture,
    /// Työllisyys ja maahanmuutto.
    EmploymentAndImmigration,
}
