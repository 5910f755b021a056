//! Facilities: listing premises and finding suitable ones.
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use enumflags2::BitFlags;

use super::common::{LocalizedTextInput, LocalizedTextOutput, Municipality, best_text, parse_id};
use super::connection::{CountedConnection, connection, page_request};
use super::context::{access, authorize, request, state};
use super::enums::{
    AccessibilityFeature, Equipment, FacilityType, Language, OrganisationKind, WhoMayBook,
};
use super::loaders::{ExceptionsOf, HoursOf, InvitedTo, PartsOf, app_error, load_error};
use super::opening_hours::{DateException, OpeningInterval, date_exception, opening_intervals};
use super::organisations::Organisation;
use crate::domain::booking_rules::{BookingRules, BookingRulesInput};
use crate::domain::contact::{ContactPerson, EmailAddress, PhoneNumber, required_line};
use crate::domain::facility::{
    self as domain, BookingQuota, HourlyPrice as DomainPrice, validate_capacity,
    validate_coordinates, validate_postal_code, validate_prices,
};
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::permissions::Access;
use crate::domain::validation::ValidationError;
use crate::error::AppError;
use crate::service::facilities::{self as service, FacilityFilter, FacilitySpec, Visibility};

/// Premises that an organisation lends.
pub struct Facility(pub service::Facility);

/// Where a facility is.
#[derive(SimpleObject)]
pub struct Address {
    /// Street address.
    street_address: String,
    /// Postal code.
    postal_code: String,
    /// Municipality.
    municipality: Municipality,
}

/// WGS84 coordinates.
#[derive(SimpleObject)]
pub struct Coordinates {
    /// Latitude in decimal degrees.
    pub latitude: f64,
    /// Longitude in decimal degrees.
    pub longitude: f64,
}

/// Whom to ask about a facility. Email and phone are null where they are private.
#[derive(SimpleObject)]
pub struct Contact {
    /// Name.
    name: String,
    /// Email, if public or you belong to the owner.
    email: Option<String>,
    /// Phone, if public or you belong to the owner.
    phone: Option<String>,
    /// Whether email and phone are shown to everyone.
    public: bool,
}

/// The hourly price for one kind of customer.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "HourlyPriceInput")]
pub struct HourlyPrice {
    /// Who pays this price.
    customer_kind: OrganisationKind,
    /// Euro cents per hour.
    cents: i32,
}

/// What using a facility costs.
#[derive(SimpleObject)]
pub struct Pricing {
    /// Free of charge for non-profit, public-good use.
    free_for_non_profit: bool,
    /// Hourly prices by customer kind.
    hourly_prices: Vec<HourlyPrice>,
}

/// The rules every booking of a facility follows. Durations are in minutes.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "BookingRulesInput")]
pub struct BookingRulesView {
    /// Shortest booking.
    min_duration_minutes: Option<i32>,
    /// Longest booking.
    max_duration_minutes: Option<i32>,
    /// Bookings start and end on this grid, counted from local midnight (must divide 24 h).
    slot_granularity_minutes: Option<i32>,
    /// How long before its start a booking must be made.
    min_notice_minutes: Option<i32>,
    /// How many days ahead bookings are taken.
    max_advance_days: Option<i32>,
    /// Kept free before each booking (setting up).
    #[graphql(default)]
    buffer_before_minutes: i32,
    /// Kept free after each booking (cleaning).
    #[graphql(default)]
    buffer_after_minutes: i32,
    /// Whether a manager approves each booking.
    approval_required: bool,
    /// How long before its start a booker may still cancel.
    cancellation_notice_minutes: Option<i32>,
    /// At most this many future bookings per booking organisation.
    max_future_bookings_per_organisation: Option<i32>,
    /// At most this many booked minutes per organisation in one week (Monday to Sunday).
    max_weekly_minutes_per_organisation: Option<i32>,
}

#[Object]
impl Facility {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organisation that lends it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let owner = request(ctx)?
            .loader
            .load_one(self.0.owner_id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| AppError::not_found("organisation", self.0.owner_id))?;
        Ok(Organisation(owner))
    }

    /// Name in each language given.
    async fn name(&self) -> LocalizedTextOutput {
        (&self.0.spec.name).into()
    }

    /// The name in `language`, or in whichever language exists.
    async fn display_name(&self, language: Option<Language>) -> Option<String> {
        best_text(&self.0.spec.name, language)
    }

    /// Description.
    async fn description(&self) -> LocalizedTextOutput {
        (&self.0.spec.description).into()
    }

    /// What kind of premises.
    async fn r#type(&self) -> FacilityType {
        self.0.spec.facility_type.into()
    }

    /// Where it is.
    async fn address(&self, ctx: &Context<'_>) -> Result<Address> {
        let spec = &self.0.spec;
        let municipality = state(ctx)?
            .municipalities
            .by_code(&spec.municipality_code)
            .map(Municipality::from)
            .ok_or_else(|| AppError::internal("unknown municipality"))?;
        Ok(Address {
            street_address: spec.street_address.clone(),
            postal_code: spec.postal_code.clone(),
            municipality,
        })
    }

    /// Coordinates, if known.
    async fn coordinates(&self) -> Option<Coordinates> {
        self.0
            .spec
            .coordinates
            .map(|(latitude, longitude)| Coordinates {
                latitude,
                longitude,
            })
    }

    /// How many people fit in.
    async fn capacity(&self) -> i32 {
        i32::try_from(self.0.spec.capacity).unwrap_or(i32::MAX)
    }

    /// Accessibility features.
    async fn accessibility(&self) -> Vec<AccessibilityFeature> {
        self.0.spec.accessibility.iter().map(Into::into).collect()
    }

    /// Equipment.
    async fn equipment(&self) -> Vec<Equipment> {
        self.0.spec.equipment.iter().map(Into::into).collect()
    }

    /// IANA time zone of its opening hours and bookings.
    async fn time_zone(&self) -> &str {
        self.0.spec.time_zone.name()
    }

    /// Whom to ask.
    async fn contact(&self, ctx: &Context<'_>) -> Result<Contact> {
        let contact = &self.0.spec.contact;
        let visible = contact.public || access(ctx)?.can_see_private_facility_data(self.0.owner_id);
        Ok(Contact {
            name: contact.name.clone(),
            email: visible
                .then(|| contact.email.as_ref().map(|e| e.as_str().to_string()))
                .flatten(),
            phone: visible
                .then(|| contact.phone.as_ref().map(|p| p.as_str().to_string()))
                .flatten(),
            public: contact.public,
        })
    }

    /// Who may book.
    async fn who_may_book(&self) -> WhoMayBook {
        self.0.spec.who_may_book.into()
    }

    /// Organisations invited to book (with `INVITED_ORGANISATIONS`).
    async fn invited_organisations(&self, ctx: &Context<'_>) -> Result<Vec<Organisation>> {
        let loader = &request(ctx)?.loader;
        let ids = loader
            .load_one(InvitedTo(self.0.id))
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        let mut organisations: Vec<_> = loader
            .load_many(ids)
            .await
            .map_err(load_error)?
            .into_values()
            .map(Organisation)
            .collect();
        organisations.sort_by_key(|o| o.0.id);
        Ok(organisations)
    }

    /// Weekly opening hours in local time, by weekday.
    async fn opening_hours(&self, ctx: &Context<'_>) -> Result<Vec<OpeningInterval>> {
        let weekly = request(ctx)?
            .loader
            .load_one(HoursOf(self.0.id))
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        Ok(opening_intervals(&weekly))
    }

    /// Closures and days of special hours, by first day.
    async fn date_exceptions(&self, ctx: &Context<'_>) -> Result<Vec<DateException>> {
        let exceptions = request(ctx)?
            .loader
            .load_one(ExceptionsOf(self.0.id))
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        Ok(exceptions.iter().map(date_exception).collect())
    }

    /// What it costs.
    async fn pricing(&self) -> Pricing {
        Pricing {
            free_for_non_profit: self.0.spec.free_for_non_profit,
            hourly_prices: self
                .0
                .spec
                .hourly_prices
                .iter()
                .map(|p| HourlyPrice {
                    customer_kind: p.customer_kind.into(),
                    cents: i32::try_from(p.cents).unwrap_or(i32::MAX),
                })
                .collect(),
        }
    }

    /// Booking rules.
    async fn rules(&self) -> BookingRulesView {
        let rules = &self.0.spec.rules;
        let quota = self.0.spec.quota;
        let minutes = |d: chrono::Duration| i32::try_from(d.num_minutes()).unwrap_or(i32::MAX);
        BookingRulesView {
            min_duration_minutes: rules.min_duration().map(minutes),
            max_duration_minutes: rules.max_duration().map(minutes),
            slot_granularity_minutes: rules.slot_granularity().map(minutes),
            min_notice_minutes: rules.min_notice().map(minutes),
            max_advance_days: rules
                .max_advance_days()
                .map(|d| i32::try_from(d).unwrap_or(i32::MAX)),
            buffer_before_minutes: minutes(rules.buffer_before()),
            buffer_after_minutes: minutes(rules.buffer_after()),
            approval_required: rules.approval_required(),
            cancellation_notice_minutes: rules.cancellation_notice().map(minutes),
            max_future_bookings_per_organisation: quota
                .max_future_bookings
                .map(|v| i32::try_from(v).unwrap_or(i32::MAX)),
            max_weekly_minutes_per_organisation: quota
                .max_weekly_minutes
                .map(|v| i32::try_from(v).unwrap_or(i32::MAX)),
        }
    }

    /// The divisible facility this is a part of.
    async fn part_of(&self, ctx: &Context<'_>) -> Result<Option<Facility>> {
        match self.0.parent_id {
            Some(parent) => Ok(Some(Facility(visible_facility(ctx, parent).await?))),
            None => Ok(None),
        }
    }

    /// The parts of a divisible facility.
    async fn parts(&self, ctx: &Context<'_>) -> Result<Vec<Facility>> {
        let parts = request(ctx)?
            .loader
            .load_one(PartsOf(self.0.id))
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        let access = access(ctx)?;
        Ok(parts
            .into_iter()
            .filter(|p| p.published || access.can_see_private_facility_data(p.owner_id))
            .map(Facility)
            .collect())
    }

    /// Visible to everyone, or a draft that only its owner sees.
    async fn published(&self) -> bool {
        self.0.published
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A contact person to set.
#[derive(InputObject, Clone)]
pub struct ContactInput {
    /// Name.
    name: String,
    /// Email.
    email: Option<String>,
    /// Phone.
    phone: Option<String>,
    /// Show email and phone to everyone (default: only to the owner's members).
    #[graphql(default)]
    public: bool,
}

/// A facility to create, or the new details of an existing one.
#[derive(InputObject, Clone)]
pub struct FacilityInput {
    /// Name, in at least one language.
    pub name: LocalizedTextInput,
    /// Description.
    pub description: Option<LocalizedTextInput>,
    /// What kind of premises.
    #[graphql(name = "type")]
    pub facility_type: FacilityType,
    /// Street address.
    pub street_address: String,
    /// Five-digit postal code.
    pub postal_code: String,
    /// Municipality: code or Finnish or Swedish name.
    pub municipality: String,
    /// Latitude (WGS84).
    pub latitude: Option<f64>,
    /// Longitude (WGS84).
    pub longitude: Option<f64>,
    /// How many people fit in.
    pub capacity: i32,
    /// Accessibility features.
    #[graphql(default)]
    pub accessibility: Vec<AccessibilityFeature>,
    /// Equipment.
    #[graphql(default)]
    pub equipment: Vec<Equipment>,
    /// IANA time zone (default: the service's default, Europe/Helsinki).
    pub time_zone: Option<String>,
    /// Whom to ask.
    pub contact: ContactInput,
    /// Who may book.
    pub who_may_book: WhoMayBook,
    /// Ids of organisations invited to book (with `INVITED_ORGANISATIONS`).
    #[graphql(default)]
    pub invited_organisation_ids: Vec<ID>,
    /// Free of charge for non-profit, public-good use.
    pub free_for_non_profit: bool,
    /// Hourly prices by customer kind.
    #[graphql(default)]
    pub hourly_prices: Vec<HourlyPrice>,
    /// Booking rules.
    pub rules: BookingRulesView,
}

fn non_negative(field: &str, value: i32) -> Result<u32, ValidationError> {
    u32::try_from(value)
        .map_err(|_| ValidationError::new(field, "NEGATIVE_VALUE", "must not be negative"))
}

fn optional_non_negative(field: &str, value: Option<i32>) -> Result<Option<u32>, ValidationError> {
    value.map(|v| non_negative(field, v)).transpose()
}

impl BookingRulesView {
    fn into_rules(self) -> Result<BookingRules, ValidationError> {
        let minutes = |v: Option<i32>| v.map(|m| chrono::Duration::minutes(i64::from(m)));
        BookingRules::new(BookingRulesInput {
            min_duration: minutes(self.min_duration_minutes),
            max_duration: minutes(self.max_duration_minutes),
            slot_granularity: minutes(self.slot_granularity_minutes),
            min_notice: minutes(self.min_notice_minutes),
            max_advance_days: optional_non_negative("rules.maxAdvanceDays", self.max_advance_days)?,
            buffer_before: minutes(Some(self.buffer_before_minutes)),
            buffer_after: minutes(Some(self.buffer_after_minutes)),
            approval_required: self.approval_required,
            cancellation_notice: minutes(self.cancellation_notice_minutes),
        })
        // The domain names durations (`rules.minDuration`); the API counts them in minutes.
        .map_err(|e| ValidationError::new(format!("{}Minutes", e.field()), e.code(), e.to_string()))
    }
}

impl FacilityInput {
    /// Validates the input into a spec and the invited organisations.
    pub fn into_spec(
        self,
        ctx: &Context<'_>,
    ) -> Result<(FacilitySpec, Vec<OrganisationId>), AppError> {
        let state = state(ctx)?;
        let result = (|| -> Result<_, ValidationError> {
            let time_zone = match self.time_zone.as_deref() {
                None => state.default_timezone,
                Some(name) => name.parse().map_err(|_| {
                    ValidationError::new(
                        "timeZone",
                        "UNKNOWN_TIME_ZONE",
                        format!("{name:?} is not an IANA time zone"),
                    )
                })?,
            };
            let hourly_prices = self
                .hourly_prices
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    Ok(DomainPrice {
                        customer_kind: p.customer_kind.into(),
                        cents: non_negative(&format!("hourlyPrices.{i}.cents"), p.cents)?,
                    })
                })
                .collect::<Result<Vec<_>, ValidationError>>()?;
            validate_prices(&hourly_prices)?;
            let invited = self
                .invited_organisation_ids
                .iter()
                .map(|id| parse_id("invitedOrganisationIds", id).map(OrganisationId))
                .collect::<Result<Vec<_>, _>>()?;
            let spec = FacilitySpec {
                name: self.name.required("name", 200)?,
                description: self.description.unwrap_or_default().optional(),
                facility_type: self.facility_type.into(),
                street_address: required_line("streetAddress", &self.street_address, 200)?,
                postal_code: validate_postal_code(&self.postal_code)?,
                municipality_code: state
                    .municipalities
                    .resolve("municipality", &self.municipality)?
                    .code
                    .clone(),
                coordinates: validate_coordinates(self.latitude, self.longitude)?,
                capacity: validate_capacity(self.capacity)?,
                accessibility: self
                    .accessibility
                    .into_iter()
                    .map(domain::AccessibilityFeature::from)
                    .collect::<BitFlags<_>>(),
                equipment: self
                    .equipment
                    .into_iter()
                    .map(domain::Equipment::from)
                    .collect::<BitFlags<_>>(),
                time_zone,
                contact: ContactPerson {
                    name: required_line("contact.name", &self.contact.name, 200)?,
                    email: self
                        .contact
                        .email
                        .as_deref()
                        .map(|e| EmailAddress::parse("contact.email", e))
                        .transpose()?,
                    phone: self
                        .contact
                        .phone
                        .as_deref()
                        .map(|p| PhoneNumber::parse("contact.phone", p))
                        .transpose()?,
                    public: self.contact.public,
                },
                who_may_book: self.who_may_book.into(),
                free_for_non_profit: self.free_for_non_profit,
                hourly_prices,
                quota: BookingQuota::new(
                    optional_non_negative(
                        "rules.maxFutureBookingsPerOrganisation",
                        self.rules.max_future_bookings_per_organisation,
                    )?,
                    optional_non_negative(
                        "rules.maxWeeklyMinutesPerOrganisation",
                        self.rules.max_weekly_minutes_per_organisation,
                    )?,
                )?,
                rules: self.rules.into_rules()?,
            };
            Ok((spec, invited))
        })();
        result.map_err(|e| AppError::Validation(e.within("input")))
    }
}

/// Filters of the facility list; all given filters must match.
#[derive(InputObject, Default)]
pub struct FacilityFilterInput {
    /// Municipality: code or Finnish or Swedish name.
    pub municipality: Option<String>,
    /// Only these types.
    pub types: Option<Vec<FacilityType>>,
    /// At least this many people fit in.
    pub min_capacity: Option<i32>,
    /// Has all of these accessibility features.
    pub accessibility: Option<Vec<AccessibilityFeature>>,
    /// Has all of this equipment.
    pub equipment: Option<Vec<Equipment>>,
    /// Free of charge for NGOs' public-good use.
    pub free_for_ngos: Option<bool>,
    /// Owned by organisations of these kinds.
    pub owner_kinds: Option<Vec<OrganisationKind>>,
    /// Words to find in names and descriptions, in any language.
    pub text: Option<String>,
}

impl FacilityFilterInput {
    /// Validates the filter.
    pub fn into_filter(self, ctx: &Context<'_>) -> Result<FacilityFilter, AppError> {
        let state = state(ctx)?;
        let result = (|| -> Result<_, ValidationError> {
            Ok(FacilityFilter {
                municipality_code: self
                    .municipality
                    .map(|m| {
                        state
                            .municipalities
                            .resolve("municipality", &m)
                            .map(|m| m.code.clone())
                    })
                    .transpose()?,
                types: self
                    .types
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                min_capacity: optional_non_negative("minCapacity", self.min_capacity)?,
                accessibility: self
                    .accessibility
                    .unwrap_or_default()
                    .into_iter()
                    .map(domain::AccessibilityFeature::from)
                    .collect(),
                equipment: self
                    .equipment
                    .unwrap_or_default()
                    .into_iter()
                    .map(domain::Equipment::from)
                    .collect(),
                free_for_ngos: self.free_for_ngos,
                owner_kinds: self
                    .owner_kinds
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                text: self.text.filter(|t| !t.trim().is_empty()),
            })
        })();
        result.map_err(|e| AppError::Validation(e.within("filter")))
    }
}

pub(super) fn visibility(access: &Access) -> Visibility {
    match access.actor() {
        _ if access.is_coordinator() => Visibility::All,
        Some(actor) => Visibility::PublishedAndOwners(actor.memberships.keys().copied().collect()),
        None => Visibility::Published,
    }
}

/// The facility `id` if the request may see it (drafts only to the owner's members).
pub async fn visible_facility(
    ctx: &Context<'_>,
    id: FacilityId,
) -> Result<service::Facility, AppError> {
    let facility = request(ctx)?
        .loader
        .load_one(id)
        .await
        .map_err(app_error)?
        .ok_or_else(|| AppError::not_found("facility", id))?;
    visible(ctx, facility)
}

/// `facility` if the request may see it, else `NOT_FOUND`, as if it did not exist.
pub fn visible(
    ctx: &Context<'_>,
    facility: service::Facility,
) -> Result<service::Facility, AppError> {
    if facility.published || access(ctx)?.can_see_private_facility_data(facility.owner_id) {
        Ok(facility)
    } else {
        Err(AppError::not_found("facility", facility.id))
    }
}

/// Reading facilities.
#[derive(Default)]
pub struct FacilityQuery;

#[Object]
impl FacilityQuery {
    /// One facility.
    async fn facility(&self, ctx: &Context<'_>, id: ID) -> Result<Facility> {
        let id = FacilityId(parse_id("id", &id).map_err(AppError::from)?);
        Ok(Facility(visible_facility(ctx, id).await?))
    }

    /// Facilities matching the filter, by id; at most 100 a page.
    async fn facilities(
        &self,
        ctx: &Context<'_>,
        filter: Option<FacilityFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<CountedConnection<Facility>> {
        let page = page_request(first, after).map_err(AppError::from)?;
        let filter = filter.unwrap_or_default().into_filter(ctx)?;
        let visibility = visibility(access(ctx)?);
        let rows = service::list(&state(ctx)?.db, &filter, &visibility, page).await?;
        if ctx
            .look_ahead()
            .field("edges")
            .field("node")
            .field("owner")
            .exists()
        {
            // One batch for the whole page, whatever the runtime's timing; the
            // nodes' `owner` resolvers then hit the request's cache.
            let owners: Vec<_> = rows.rows.iter().map(|f| f.owner_id).collect();
            request(ctx)?
                .loader
                .load_many(owners)
                .await
                .map_err(load_error)?;
        }
        Ok(connection(page, rows, |f| f.id.0, Facility))
    }
}

/// Changing facilities: the owner's admins and facility managers, and the coordinator.
#[derive(Default)]
pub struct FacilityMutation;

/// The facility `id` if the request may change it.
pub async fn managed_facility(ctx: &Context<'_>, id: &ID) -> Result<service::Facility, AppError> {
    let id = FacilityId(parse_id("id", id)?);
    let facility = visible_facility(ctx, id).await?;
    authorize(
        ctx,
        |a| a.can_manage_facilities_of(facility.owner_id),
        "only the owner's admins and facility managers change a facility",
    )?;
    Ok(facility)
}

#[Object]
impl FacilityMutation {
    /// Lists a new facility of `ownerId`, published at once. With `partOfId` it is a
    /// part of a divisible facility (a half of a gym): booking the whole then holds
    /// every part, and booking a part holds the whole.
    async fn create_facility(
        &self,
        ctx: &Context<'_>,
        owner_id: ID,
        input: FacilityInput,
        part_of_id: Option<ID>,
    ) -> Result<Facility> {
        let owner = OrganisationId(parse_id("ownerId", &owner_id).map_err(AppError::from)?);
        let parent = part_of_id
            .map(|id| parse_id("partOfId", &id).map(FacilityId))
            .transpose()
            .map_err(AppError::from)?;
        authorize(
            ctx,
            |a| a.can_manage_facilities_of(owner),
            "only the owner's admins and facility managers list its facilities",
        )?;
        let (spec, invited) = input.into_spec(ctx)?;
        Ok(Facility(
            service::create(&state(ctx)?.db, owner, spec, &invited, parent).await?,
        ))
    }

    /// Replaces a facility's details and rules.
    async fn update_facility(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: FacilityInput,
    ) -> Result<Facility> {
        let facility = managed_facility(ctx, &id).await?;
        let (spec, invited) = input.into_spec(ctx)?;
        Ok(Facility(
            service::update(&state(ctx)?.db, facility.id, spec, &invited).await?,
        ))
    }

    /// Hides a facility from everyone but its owner's members.
    async fn unpublish_facility(&self, ctx: &Context<'_>, id: ID) -> Result<Facility> {
        let facility = managed_facility(ctx, &id).await?;
        Ok(Facility(
            service::set_published(&state(ctx)?.db, facility.id, false).await?,
        ))
    }

    /// Makes a facility visible to everyone again.
    async fn publish_facility(&self, ctx: &Context<'_>, id: ID) -> Result<Facility> {
        let facility = managed_facility(ctx, &id).await?;
        Ok(Facility(
            service::set_published(&state(ctx)?.db, facility.id, true).await?,
        ))
    }
}
