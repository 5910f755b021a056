//! Space and event cooperation: whom to ask, and the yearly follow-up for the coordinator.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{NaiveDate, Utc};

use super::common::{Municipality, parse_id};
use super::context::{access, actor, authorize, request, state};
use super::enums::{HyteTheme, OrganisationKind, TargetGroup};
use super::facilities::Facility;
use super::loaders::load_error;
use super::organisations::Organisation;
use crate::domain::contact::{EmailAddress, PhoneNumber, required_line};
use crate::domain::cooperation::{self as domain, ReportPeriod};
use crate::domain::event as event_domain;
use crate::domain::ids::OrganisationId;
use crate::error::AppError;
use crate::service::cooperation::{self as service, ContactSearch, ContactSpec};
use crate::service::report::{self, CooperationReport as Report, EventUsage, Usage, hours, share};

/// What a cooperation contact person is to the region.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cooperation::CooperationRole")]
pub enum CooperationRole {
    /// The welfare region's NGO coordinator (järjestökoordinaattori).
    RegionalCoordinator,
    /// A municipality's association contact person (yhdistysyhteyshenkilö).
    MunicipalAssociationContact,
    /// An organisation's own contact for lending premises or hosting events.
    OrganisationContact,
}

/// A form of cooperation.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::cooperation::CooperationArea")]
pub enum CooperationArea {
    /// Tilayhteistyö: lending and finding premises.
    Spaces,
    /// Tapahtumayhteistyö: hosting events together.
    Events,
}

/// A person to ask about space or event cooperation.
pub struct CooperationContact(service::CooperationContact);

#[Object]
impl CooperationContact {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organisation that named the person.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let found = request(ctx)?
            .loader
            .load_one(self.0.organisation_id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| AppError::not_found("organisation", self.0.organisation_id))?;
        Ok(Organisation(found))
    }

    /// What the person is to the region.
    async fn role(&self) -> CooperationRole {
        self.0.spec.role.into()
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.spec.name
    }

    /// Job title.
    async fn job_title(&self) -> Option<&str> {
        self.0.spec.job_title.as_deref()
    }

    /// Email.
    async fn email(&self) -> Option<&str> {
        self.0.spec.email.as_ref().map(EmailAddress::as_str)
    }

    /// Phone.
    async fn phone(&self) -> Option<&str> {
        self.0.spec.phone.as_ref().map(PhoneNumber::as_str)
    }

    /// The forms of cooperation the person helps with.
    async fn areas(&self) -> Vec<CooperationArea> {
        self.0.spec.areas.iter().map(Into::into).collect()
    }

    /// The themes the person answers for; empty for all.
    async fn themes(&self) -> Vec<HyteTheme> {
        self.0.spec.themes.iter().map(Into::into).collect()
    }

    /// The municipalities the person answers for; empty for the whole region.
    async fn municipalities(&self, ctx: &Context<'_>) -> Result<Vec<Municipality>> {
        let directory = &state(ctx)?.municipalities;
        Ok(self
            .0
            .spec
            .municipality_codes
            .iter()
            .filter_map(|code| directory.by_code(code).map(Into::into))
            .collect())
    }
}

/// A cooperation contact to name.
#[derive(InputObject)]
pub struct CooperationContactInput {
    /// What the person is to the region.
    role: CooperationRole,
    /// Full name.
    name: String,
    /// Job title.
    job_title: Option<String>,
    /// Email.
    email: Option<String>,
    /// Phone.
    phone: Option<String>,
    /// The forms of cooperation the person helps with.
    areas: Vec<CooperationArea>,
    /// The themes the person answers for (default: all).
    #[graphql(default)]
    themes: Vec<HyteTheme>,
    /// Municipalities (codes or names) the person answers for (default: the
    /// organisation's own; the regional coordinator covers all).
    #[graphql(default)]
    municipalities: Vec<String>,
}

impl CooperationContactInput {
    fn into_spec(self, ctx: &Context<'_>) -> Result<ContactSpec, AppError> {
        let directory = &state(ctx)?.municipalities;
        Ok(ContactSpec {
            role: self.role.into(),
            name: required_line("name", &self.name, 200)?,
            job_title: super::bookings::optional_text("jobTitle", self.job_title, 200)?,
            email: self
                .email
                .map(|e| EmailAddress::parse("email", &e))
                .transpose()?,
            phone: self
                .phone
                .map(|p| PhoneNumber::parse("phone", &p))
                .transpose()?,
            areas: self
                .areas
                .into_iter()
                .map(domain::CooperationArea::from)
                .collect(),
            themes: self
                .themes
                .into_iter()
                .map(event_domain::HyteTheme::from)
                .collect(),
            municipality_codes: self
                .municipalities
                .iter()
                .map(|m| {
                    directory
                        .resolve("municipalities", m)
                        .map(|m| m.code.clone())
                })
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Bookings in one cell of the follow-up.
#[derive(SimpleObject)]
pub struct BookingUse {
    /// Bookings.
    bookings: i64,
    /// Their total length in minutes (exact).
    booked_minutes: i64,
    /// The same in hours, to hundredths.
    booked_hours: f64,
}

impl From<Usage> for BookingUse {
    fn from(u: Usage) -> Self {
        Self {
            bookings: u.bookings,
            booked_minutes: u.minutes,
            booked_hours: hours(u.minutes),
        }
    }
}

/// How one sector used another's premises.
#[derive(SimpleObject)]
pub struct SectorUse {
    /// The kind of the facilities' owner.
    owner_kind: OrganisationKind,
    /// The kind of the booker.
    booker_kind: OrganisationKind,
    /// Their bookings.
    usage: BookingUse,
}

/// Bookings of the facilities of one municipality.
#[derive(SimpleObject)]
pub struct MunicipalityUse {
    /// The municipality.
    municipality: Option<Municipality>,
    /// Its facilities' bookings.
    usage: BookingUse,
}

/// Events of one theme and their venue bookings.
#[derive(SimpleObject)]
pub struct ThemeUse {
    /// The theme.
    theme: HyteTheme,
    /// Events held.
    events: i64,
    /// Their venue bookings.
    usage: BookingUse,
}

/// Events for one target group and their venue bookings.
#[derive(SimpleObject)]
pub struct TargetGroupUse {
    /// The target group.
    target_group: TargetGroup,
    /// Events held.
    events: i64,
    /// Their venue bookings.
    usage: BookingUse,
}

/// How much of a facility's open time was booked.
#[derive(SimpleObject)]
pub struct FacilityUtilisation {
    /// The facility.
    facility: Facility,
    /// Its bookings.
    usage: BookingUse,
    /// Its open time in the period, in minutes.
    open_minutes: i64,
    /// The same in hours, to hundredths.
    open_hours: f64,
    /// Booked minutes per open minute; null when it was never open.
    utilisation: Option<f64>,
}

/// The yearly follow-up of space and event cooperation (seurantataulukko).
#[derive(SimpleObject)]
pub struct CooperationReport {
    /// The first day covered.
    from: NaiveDate,
    /// The last day covered.
    to: NaiveDate,
    /// The municipality it is narrowed to.
    municipality: Option<Municipality>,
    /// All confirmed bookings that start in the period.
    total: BookingUse,
    /// Of them, free of charge.
    free_bookings: i64,
    /// Of them, with a recorded price (free or not).
    priced_bookings: i64,
    /// Free ones per priced one; null without priced bookings.
    free_share: Option<f64>,
    /// By the kind of the owner and of the booker (e.g. NGOs in municipal premises).
    by_sector: Vec<SectorUse>,
    /// By the facilities' municipality.
    by_municipality: Vec<MunicipalityUse>,
    /// Events and their venue bookings by HYTE theme (an event counts for each of its themes).
    by_theme: Vec<ThemeUse>,
    /// Events and their venue bookings by target group.
    by_target_group: Vec<TargetGroupUse>,
    /// Events held.
    events: i64,
    /// Events held with at least one accepted co-host.
    cohosted_events: i64,
    /// Distinct organisations that organised or co-hosted those events.
    cohosting_organisations: i64,
    /// Booked and open time per facility.
    utilisation: Vec<FacilityUtilisation>,
}

fn event_use(usage: EventUsage) -> (i64, BookingUse) {
    (usage.events, usage.usage.into())
}

impl CooperationReport {
    fn new(report: Report, directory: &crate::domain::municipality::MunicipalityDirectory) -> Self {
        let by_code = |code: &str| directory.by_code(code).map(Municipality::from);
        Self {
            from: report.period.from(),
            to: report.period.through(),
            municipality: report.municipality_code.as_deref().and_then(by_code),
            total: report.total.into(),
            free_bookings: report.free_bookings,
            priced_bookings: report.priced_bookings,
            free_share: share(report.free_bookings, report.priced_bookings),
            by_sector: report
                .sectors()
                .map(|(owner, booker, usage)| SectorUse {
                    owner_kind: owner.into(),
                    booker_kind: booker.into(),
                    usage: usage.into(),
                })
                .collect(),
            by_municipality: report
                .by_municipality
                .iter()
                .map(|(code, usage)| MunicipalityUse {
                    municipality: by_code(code),
                    usage: (*usage).into(),
                })
                .collect(),
            by_theme: report
                .by_theme
                .iter()
                .map(|(theme, usage)| {
                    let (events, usage) = event_use(*usage);
                    ThemeUse {
                        theme: (*theme).into(),
                        events,
                        usage,
                    }
                })
                .collect(),
            by_target_group: report
                .by_target_group
                .iter()
                .map(|(group, usage)| {
                    let (events, usage) = event_use(*usage);
                    TargetGroupUse {
                        target_group: (*group).into(),
                        events,
                        usage,
                    }
                })
                .collect(),
            events: report.events,
            cohosted_events: report.cohosted_events,
            cohosting_organisations: report.cohosting_organisations,
            utilisation: report
                .utilisation
                .into_iter()
                .map(|row| FacilityUtilisation {
                    usage: row.usage.into(),
                    open_minutes: row.open_minutes,
                    open_hours: hours(row.open_minutes),
                    utilisation: share(row.usage.minutes, row.open_minutes),
                    facility: Facility(row.facility),
                })
                .collect(),
        }
    }
}

/// Reading cooperation contacts and the follow-up.
#[derive(Default)]
pub struct CooperationQuery;

#[Object]
impl CooperationQuery {
    /// The people to ask about space and event cooperation: the regional coordinator
    /// first, then the municipality's association contacts, then organisations' own
    /// contacts. Anyone may ask.
    async fn cooperation_contacts(
        &self,
        ctx: &Context<'_>,
        municipality: Option<String>,
        theme: Option<HyteTheme>,
        areas: Option<Vec<CooperationArea>>,
        organisation_id: Option<ID>,
    ) -> Result<Vec<CooperationContact>> {
        let db = &state(ctx)?.db;
        let found = match organisation_id {
            Some(id) => {
                let id = OrganisationId(parse_id("organisationId", &id)?);
                service::of_organisation(db, id).await?
            }
            None => {
                let search = ContactSearch {
                    municipality_code: municipality
                        .map(|m| {
                            state(ctx)?
                                .municipalities
                                .resolve("municipality", &m)
                                .map(|m| m.code.clone())
                                .map_err(AppError::from)
                        })
                        .transpose()?,
                    theme: theme.map(Into::into),
                    areas: areas
                        .unwrap_or_default()
                        .into_iter()
                        .map(domain::CooperationArea::from)
                        .collect(),
                };
                service::find(db, &search).await?
            }
        };
        Ok(found.into_iter().map(CooperationContact).collect())
    }

    /// The follow-up of cooperation from `from` to `to` (local days, both included),
    /// optionally in one municipality: for the coordinator.
    async fn cooperation_report(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        municipality: Option<String>,
    ) -> Result<CooperationReport> {
        authorize(
            ctx,
            |a| a.can_see_cooperation_report(),
            "the follow-up is the coordinator's",
        )?;
        let state = state(ctx)?;
        let period = ReportPeriod::new(from, to)?;
        let code = municipality
            .map(|m| {
                state
                    .municipalities
                    .resolve("municipality", &m)
                    .map(|m| m.code.clone())
            })
            .transpose()?;
        let report =
            report::cooperation_report(&state.db, period, state.default_timezone, code).await?;
        Ok(CooperationReport::new(report, &state.municipalities))
    }
}

/// Naming cooperation contacts.
#[derive(Default)]
pub struct CooperationMutation;

#[Object]
impl CooperationMutation {
    /// Replaces the cooperation contacts of an organisation: its admins.
    async fn set_cooperation_contacts(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        contacts: Vec<CooperationContactInput>,
    ) -> Result<Vec<CooperationContact>> {
        actor(ctx)?;
        let id = OrganisationId(parse_id("organisationId", &organisation_id)?);
        let specs = contacts
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                c.into_spec(ctx).map_err(|e| match e {
                    AppError::Validation(v) => {
                        AppError::Validation(v.within(&format!("contacts.{i}")))
                    }
                    other => other,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let saved =
            service::set_contacts(&state(ctx)?.db, access(ctx)?, id, specs, Utc::now()).await?;
        Ok(saved.into_iter().map(CooperationContact).collect())
    }
}
