//! Events: what they are about, for whom, where and when, and how they stand.
use enumflags2::{BitFlags, bitflags};
use strum::{AsRefStr, EnumIter, EnumString};

use super::contact::WebAddress;
use super::ids::OrganisationId;
use super::localized::{Language, LocalizedText};
use super::permissions::Access;
use super::validation::ValidationError;

/// Where an event stands, as the public sees it (schema.org's event statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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

impl EventStatus {
    /// Whether an event may go from this status to `next` (a cancelled one stays so).
    pub fn can_become(self, next: Self) -> bool {
        match self {
            Self::Cancelled => false,
            Self::Postponed => next != Self::Postponed && next != Self::Scheduled,
            Self::Scheduled | Self::Rescheduled => next != Self::Scheduled,
        }
    }
}

/// Who may find an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum EventVisibility {
    /// Listed publicly and in the public feeds.
    Public,
    /// Open to anyone with its address, but not listed.
    Unlisted,
    /// Only for the hosts' members.
    Private,
}

/// Whether an event is out yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Publication {
    /// Being prepared; only the hosts see it.
    Draft,
    /// Out.
    Published,
}

/// Where an invited co-host stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum CohostStatus {
    /// Invited, no answer yet.
    Invited,
    /// Hosts the event together with the organiser.
    Accepted,
    /// Said no.
    Declined,
}

/// Who hosts an event, for deciding who may do what with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventHosts {
    /// The organising organisation.
    pub organiser: OrganisationId,
    /// Co-hosts that accepted.
    pub accepted: Vec<OrganisationId>,
    /// Organisations invited that have not answered yet.
    pub invited: Vec<OrganisationId>,
}

impl EventHosts {
    /// Rescheduling, cancelling, publishing and inviting: the organiser's members.
    pub fn can_manage(&self, access: &Access) -> bool {
        access.can_host_for(self.organiser)
    }

    /// Editing what the event is: the organiser's and the accepted co-hosts' members.
    pub fn can_edit(&self, access: &Access) -> bool {
        self.can_manage(access) || self.accepted.iter().any(|o| access.can_host_for(*o))
    }

    /// Seeing drafts, private events and the event's bookings: members of the organiser
    /// and of accepted or invited co-hosts (who must see what they are invited to), and
    /// the coordinator.
    pub fn can_see_private(&self, access: &Access) -> bool {
        let member = |o: &OrganisationId| access.role_in(*o).is_some();
        access.is_coordinator()
            || member(&self.organiser)
            || self.accepted.iter().any(member)
            || self.invited.iter().any(member)
    }
}

/// A welfare priority (HYTE) of the region, valid to 2034. Bit positions are stored.
#[bitflags]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum HyteTheme {
    /// Osallisuus ja yhteisöllisyys.
    ParticipationAndCommunity = 1 << 0,
    /// Mielen hyvinvointi.
    MentalWellbeing = 1 << 1,
    /// Arjen turvallisuus.
    EverydaySafety = 1 << 2,
    /// Päihteettömyys ja terveelliset elintavat.
    SubstanceFreeHealthyLifestyles = 1 << 3,
}

impl HyteTheme {
    /// The theme's name in `language`.
    pub fn label(self, language: Language) -> &'static str {
        use Language::*;
        match (self, language) {
            (Self::ParticipationAndCommunity, Fi) => "Osallisuus ja yhteisöllisyys",
            (Self::ParticipationAndCommunity, Sv) => "Delaktighet och gemenskap",
            (Self::ParticipationAndCommunity, En) => "Participation and community",
            (Self::MentalWellbeing, Fi) => "Mielen hyvinvointi",
            (Self::MentalWellbeing, Sv) => "Psykiskt välbefinnande",
            (Self::MentalWellbeing, En) => "Mental wellbeing",
            (Self::EverydaySafety, Fi) => "Arjen turvallisuus",
            (Self::EverydaySafety, Sv) => "Trygghet i vardagen",
            (Self::EverydaySafety, En) => "Everyday safety",
            (Self::SubstanceFreeHealthyLifestyles, Fi) => {
                "Päihteettömyys ja terveelliset elintavat"
            }
            (Self::SubstanceFreeHealthyLifestyles, Sv) => "Drogfrihet och hälsosamma levnadsvanor",
            (Self::SubstanceFreeHealthyLifestyles, En) => "Substance-free and healthy lifestyles",
        }
    }
}

/// A target group, after the networks of the region's NGOs. Bit positions are stored.
#[bitflags]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsRefStr, EnumString, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetGroup {
    /// Lapset ja perheet.
    ChildrenAndFamilies = 1 << 0,
    /// Nuoret.
    Youth = 1 << 1,
    /// Ikääntyvät ja omaishoitajat.
    OlderPeopleAndFamilyCarers = 1 << 2,
    /// Mielen hyvinvointi ja päihdetyö.
    MentalWellbeingAndSubstanceWork = 1 << 3,
    /// Potilasjärjestöt.
    PatientOrganisations = 1 << 4,
    /// Vammaisjärjestöt.
    DisabilityOrganisations = 1 << 5,
    /// Liikunta ja urheiluseurat.
    SportAndSportsClubs = 1 << 6,
    /// Kylät.
    Villages = 1 << 7,
    /// Martta-yhdistykset.
    MarthaAssociations = 1 << 8,
    /// Kulttuuri.
    Culture = 1 << 9,
    /// Työllisyys ja maahanmuutto.
    EmploymentAndImmigration = 1 << 10,
}

impl TargetGroup {
    /// The group's name in `language`.
    pub fn label(self, language: Language) -> &'static str {
        use Language::*;
        match (self, language) {
            (Self::ChildrenAndFamilies, Fi) => "Lapset ja perheet",
            (Self::ChildrenAndFamilies, Sv) => "Barn och familjer",
            (Self::ChildrenAndFamilies, En) => "Children and families",
            (Self::Youth, Fi) => "Nuoret",
            (Self::Youth, Sv) => "Unga",
            (Self::Youth, En) => "Youth",
            (Self::OlderPeopleAndFamilyCarers, Fi) => "Ikääntyvät ja omaishoitajat",
            (Self::OlderPeopleAndFamilyCarers, Sv) => "Äldre och närståendevårdare",
            (Self::OlderPeopleAndFamilyCarers, En) => "Older people and family carers",
            (Self::MentalWellbeingAndSubstanceWork, Fi) => "Mielen hyvinvointi ja päihdetyö",
            (Self::MentalWellbeingAndSubstanceWork, Sv) => {
                "Psykiskt välbefinnande och missbruksarbete"
            }
            (Self::MentalWellbeingAndSubstanceWork, En) => {
                "Mental wellbeing and substance abuse work"
            }
            (Self::PatientOrganisations, Fi) => "Potilasjärjestöt",
            (Self::PatientOrganisations, Sv) => "Patientorganisationer",
            (Self::PatientOrganisations, En) => "Patient organisations",
            (Self::DisabilityOrganisations, Fi) => "Vammaisjärjestöt",
            (Self::DisabilityOrganisations, Sv) => "Funktionshinderorganisationer",
            (Self::DisabilityOrganisations, En) => "Disability organisations",
            (Self::SportAndSportsClubs, Fi) => "Liikunta ja urheiluseurat",
            (Self::SportAndSportsClubs, Sv) => "Idrott och idrottsföreningar",
            (Self::SportAndSportsClubs, En) => "Sport and sports clubs",
            (Self::Villages, Fi) => "Kylät",
            (Self::Villages, Sv) => "Byar",
            (Self::Villages, En) => "Villages",
            (Self::MarthaAssociations, Fi) => "Martta-yhdistykset",
            (Self::MarthaAssociations, Sv) => "Marthaföreningar",
            (Self::MarthaAssociations, En) => "Martha associations",
            (Self::Culture, Fi) => "Kulttuuri",
            (Self::Culture, Sv) => "Kultur",
            (Self::Culture, En) => "Culture",
            (Self::EmploymentAndImmigration, Fi) => "Työllisyys ja maahanmuutto",
            (Self::EmploymentAndImmigration, Sv) => "Sysselsättning och invandring",
            (Self::EmploymentAndImmigration, En) => "Employment and immigration",
        }
    }
}

/// A set of HYTE themes.
pub type HyteThemes = BitFlags<HyteTheme>;
/// A set of target groups.
pub type TargetGroups = BitFlags<TargetGroup>;

/// A language an event is held in. Bit positions are stored.
#[bitflags]
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventLanguage {
    /// Finnish.
    Fi = 1 << 0,
    /// Swedish.
    Sv = 1 << 1,
    /// English.
    En = 1 << 2,
}

impl From<Language> for EventLanguage {
    fn from(language: Language) -> Self {
        match language {
            Language::Fi => Self::Fi,
            Language::Sv => Self::Sv,
            Language::En => Self::En,
        }
    }
}

impl From<EventLanguage> for Language {
    fn from(language: EventLanguage) -> Self {
        match language {
            EventLanguage::Fi => Self::Fi,
            EventLanguage::Sv => Self::Sv,
            EventLanguage::En => Self::En,
        }
    }
}

/// The languages an event is held in.
pub type EventLanguages = BitFlags<EventLanguage>;

/// The ages an event is meant for; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgeRange {
    min: Option<u8>,
    max: Option<u8>,
}

impl AgeRange {
    /// Checks the ages: 0 to 120, and the youngest no older than the oldest.
    pub fn new(min: Option<i32>, max: Option<i32>) -> Result<Self, ValidationError> {
        let age = |field: &str, value: Option<i32>| {
            value
                .map(|v| {
                    u8::try_from(v).ok().filter(|v| *v <= 120).ok_or_else(|| {
                        ValidationError::new(field, "INVALID_AGE", "an age is from 0 to 120")
                    })
                })
                .transpose()
        };
        let (min, max) = (age("minAge", min)?, age("maxAge", max)?);
        if let (Some(low), Some(high)) = (min, max)
            && low > high
        {
            return Err(ValidationError::new(
                "maxAge",
                "INVALID_AGE_RANGE",
                "the oldest age is at least the youngest",
            ));
        }
        Ok(Self { min, max })
    }

    /// The youngest age, if limited.
    pub fn min(&self) -> Option<u8> {
        self.min
    }

    /// The oldest age, if limited.
    pub fn max(&self) -> Option<u8> {
        self.max
    }
}

/// A place outside the service's facilities where an event is held.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalPlace {
    /// Name of the place, e.g. "Kauppatori".
    pub name: String,
    /// Street address.
    pub street_address: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Statistics Finland code of the municipality.
    pub municipality_code: String,
    /// WGS84 latitude and longitude.
    pub coordinates: Option<(f64, f64)>,
}

/// The most keywords an event may have.
pub const MAX_KEYWORDS: usize = 20;

/// Checks keywords: trimmed, at most 50 characters each, at most [`MAX_KEYWORDS`], and
/// no repeats (ignoring case).
pub fn validate_keywords(keywords: Vec<String>) -> Result<Vec<String>, ValidationError> {
    let mut kept: Vec<String> = Vec::new();
    for (i, keyword) in keywords.into_iter().enumerate() {
        let keyword = keyword.trim().to_string();
        if keyword.is_empty() || keyword.chars().count() > 50 {
            return Err(ValidationError::new(
                format!("keywords.{i}"),
                "INVALID_KEYWORD",
                "a keyword has 1 to 50 characters",
            ));
        }
        if !kept
            .iter()
            .any(|k| k.to_lowercase() == keyword.to_lowercase())
        {
            kept.push(keyword);
        }
    }
    if kept.len() > MAX_KEYWORDS {
        return Err(ValidationError::new(
            "keywords",
            "TOO_MANY_KEYWORDS",
            format!("at most {MAX_KEYWORDS} keywords"),
        ));
    }
    Ok(kept)
}

/// What an event is: everything about it but its time, venue bookings and hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSpec {
    /// Title, in at least one language.
    pub title: LocalizedText,
    /// A sentence or two.
    pub summary: LocalizedText,
    /// The full description.
    pub description: LocalizedText,
    /// A place outside the service's facilities, if held in one.
    pub external_place: Option<ExternalPlace>,
    /// Where to join online, if it can be joined online.
    pub online_url: Option<WebAddress>,
    /// HYTE themes.
    pub themes: HyteThemes,
    /// Target groups.
    pub target_groups: TargetGroups,
    /// Languages it is held in.
    pub languages: EventLanguages,
    /// Free of charge.
    pub is_free: bool,
    /// What it costs, in words.
    pub price: LocalizedText,
    /// Where to register.
    pub registration_url: Option<WebAddress>,
    /// How many may register.
    pub registration_capacity: Option<u32>,
    /// Accessibility features of an external place.
    pub accessibility: super::facility::AccessibilityFeatures,
    /// Accessibility, in words.
    pub accessibility_info: LocalizedText,
    /// For whom by age.
    pub age: AgeRange,
    /// Keywords.
    pub keywords: Vec<String>,
    /// A picture.
    pub image_url: Option<WebAddress>,
    /// More information.
    pub info_url: Option<WebAddress>,
}

impl EventSpec {
    /// Checks what the spec says in relation to itself: a free event has no price, and an
    /// event without a place or bookings can be joined online.
    pub fn validate(&self, has_bookings: bool) -> Result<(), ValidationError> {
        if self.is_free && !self.price.is_empty() {
            return Err(ValidationError::new(
                "price",
                "PRICE_OF_FREE_EVENT",
                "a free event has no price; leave isFree out or the price empty",
            ));
        }
        if has_bookings && self.external_place.is_some() {
            return Err(ValidationError::new(
                "externalPlace",
                "TWO_VENUES",
                "an event is held either in booked facilities or at an external place",
            ));
        }
        if !has_bookings && self.external_place.is_none() && self.online_url.is_none() {
            return Err(ValidationError::new(
                "venue",
                "VENUE_REQUIRED",
                "give bookings of facilities, an external place or an online address",
            ));
        }
        Ok(())
    }

    /// Whether changing the spec from `self` to `next` changes what a calendar shows
    /// (texts, place, themes, price, links), so the event's sequence must grow.
    pub fn calendar_differs(&self, next: &Self) -> bool {
        // What calendars do not show: capacity, ages, keywords, picture, languages and
        // the accessibility flags (the words about accessibility are shown).
        let shown = |s: &Self| Self {
            registration_capacity: None,
            accessibility: BitFlags::empty(),
            age: AgeRange::default(),
            keywords: Vec::new(),
            image_url: None,
            languages: BitFlags::empty(),
            ..s.clone()
        };
        shown(self) != shown(next)
    }
}

/// The stable part of an event's public address: its title in plain letters, then its id,
/// e.g. `kevatkonsertti-lahdessa-42`. The id keeps it unique.
pub fn slug(title: &str, id: i64) -> String {
    let mut words = String::new();
    let mut dash = false;
    for c in title.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'ä' | 'å' | 'á' | 'à' | 'â' => 'a',
            'ö' | 'ø' | 'ó' | 'ò' | 'ô' => 'o',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'ü' | 'ú' | 'ù' => 'u',
            'í' | 'ì' => 'i',
            'š' => 's',
            'ž' => 'z',
            c => c,
        };
        if plain.is_ascii_alphanumeric() {
            if dash && !words.is_empty() {
                words.push('-');
            }
            words.push(plain);
            dash = false;
        } else {
            dash = true;
        }
        if words.len() >= 60 {
            break;
        }
    }
    if words.is_empty() {
        format!("event-{id}")
    } else {
        format!("{words}-{id}")
    }
}

/// Reads the id back from a slug made by [`slug`] (its last dash-separated part).
pub fn id_of_slug(slug: &str) -> Option<i64> {
    slug.rsplit('-').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_and_end_in_the_id() {
        assert_eq!(
            slug("Kevätkonsertti Lahdessa!", 42),
            "kevatkonsertti-lahdessa-42"
        );
        assert_eq!(slug("Åbo – Öppet hus", 7), "abo-oppet-hus-7");
        assert_eq!(slug("!!!", 3), "event-3");
        assert_eq!(id_of_slug("kevatkonsertti-lahdessa-42"), Some(42));
        assert_eq!(id_of_slug("event-3"), Some(3));
        assert!(slug(&"pitkä ".repeat(40), 1).len() <= 70);
    }

    #[test]
    fn theme_and_group_bits_are_stable() {
        // Stored in the database: a changed bit would silently change data.
        assert_eq!(
            (HyteTheme::ParticipationAndCommunity | HyteTheme::SubstanceFreeHealthyLifestyles)
                .bits(),
            0b1001
        );
        assert_eq!(
            (TargetGroup::Youth | TargetGroup::EmploymentAndImmigration).bits(),
            (1 << 1) | (1 << 10)
        );
        assert_eq!((EventLanguage::Fi | EventLanguage::En).bits(), 0b101);
    }

    #[test]
    fn hosts_share_the_work_by_role() {
        use super::super::organisation::Role;
        use super::super::permissions::Actor;
        use std::collections::HashMap;
        let member_of = |org: i64, role: Role| {
            Access::user(Actor {
                user_id: super::super::ids::UserId(1),
                email: "a@example.org".into(),
                name: "A".into(),
                language: Language::Fi,
                coordinator: false,
                memberships: HashMap::from([(OrganisationId(org), role)]),
            })
        };
        let hosts = EventHosts {
            organiser: OrganisationId(1),
            accepted: vec![OrganisationId(2)],
            invited: vec![OrganisationId(3)],
        };
        let organiser = member_of(1, Role::Booker);
        let cohost = member_of(2, Role::Booker);
        let invited = member_of(3, Role::Admin);
        let outsider = member_of(4, Role::Admin);
        assert!(hosts.can_manage(&organiser) && hosts.can_edit(&organiser));
        assert!(!hosts.can_manage(&cohost) && hosts.can_edit(&cohost));
        assert!(!hosts.can_edit(&invited) && hosts.can_see_private(&invited));
        assert!(!hosts.can_see_private(&outsider) && !hosts.can_edit(&outsider));
        assert!(!hosts.can_see_private(&Access::anonymous()));
    }

    #[test]
    fn ages_are_checked() {
        assert!(AgeRange::new(Some(7), Some(12)).is_ok());
        assert_eq!(
            AgeRange::new(Some(12), Some(7)).unwrap_err().reason,
            "INVALID_AGE_RANGE"
        );
        assert_eq!(AgeRange::new(Some(-1), None).unwrap_err().field, "minAge");
        assert_eq!(AgeRange::new(None, Some(130)).unwrap_err().field, "maxAge");
    }

    #[test]
    fn keywords_are_trimmed_and_deduplicated() {
        let kept = validate_keywords(vec![" Kuoro ".into(), "kuoro".into(), "laulu".into()])
            .expect("valid");
        assert_eq!(kept, vec!["Kuoro", "laulu"]);
        assert_eq!(
            validate_keywords(vec!["ok".into(), " ".into()])
                .unwrap_err()
                .field,
            "keywords.1"
        );
        assert_eq!(
            validate_keywords((0..21).map(|i| format!("k{i}")).collect())
                .unwrap_err()
                .reason,
            "TOO_MANY_KEYWORDS"
        );
    }
}
