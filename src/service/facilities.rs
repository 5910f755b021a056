//! Facilities: listing premises, their rules, and finding them.
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{facility, facility_invited_organisation as invited, organisation};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Set,
};

use super::bookings::occupancy;
use super::database::begin_write;
use super::organisations::text_condition;
use super::pagination::{Page, PageRequest, fetch_page};
use super::stamped_cache::StampedCache;
use crate::domain::booking_rules::{BookingRules, BookingRulesInput};
use crate::domain::contact::ContactPerson;
use crate::domain::facility::{
    AccessibilityFeatures, BookingQuota, EquipmentSet, FacilityType, HourlyPrice, WhoMayBook,
};
use crate::domain::ids::{FacilityId, OrganisationId};
use crate::domain::localized::{LocalizedText, search_text};
use crate::domain::organisation::OrganisationKind;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};

/// A facility as the service knows it.
#[derive(Debug, Clone)]
pub struct Facility {
    /// Id.
    pub id: FacilityId,
    /// The organisation that lends it.
    pub owner_id: OrganisationId,
    /// The divisible facility this one is a part of.
    pub parent_id: Option<FacilityId>,
    /// Everything the owner said about it.
    pub spec: FacilitySpec,
    /// Visible to everyone, or a draft only its owner sees.
    pub published: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated description of a facility, to create or replace one with.
#[derive(Debug, Clone)]
pub struct FacilitySpec {
    /// Name, in at least one language.
    pub name: LocalizedText,
    /// Description.
    pub description: LocalizedText,
    /// What kind of premises.
    pub facility_type: FacilityType,
    /// Street address.
    pub street_address: String,
    /// Five-digit postal code.
    pub postal_code: String,
    /// Municipality code.
    pub municipality_code: String,
    /// WGS84 latitude and longitude.
    pub coordinates: Option<(f64, f64)>,
    /// How many people fit in.
    pub capacity: u32,
    /// Accessibility features.
    pub accessibility: AccessibilityFeatures,
    /// Equipment.
    pub equipment: EquipmentSet,
    /// The zone its opening hours and bookings are reckoned in.
    pub time_zone: Tz,
    /// Whom to ask.
    pub contact: ContactPerson,
    /// Who may book.
    pub who_may_book: WhoMayBook,
    /// Free of charge for non-profit public-good use.
    pub free_for_non_profit: bool,
    /// Hourly prices by customer kind.
    pub hourly_prices: Vec<HourlyPrice>,
    /// Booking rules.
    pub rules: BookingRules,
    /// Caps per booking organisation.
    pub quota: BookingQuota,
}

/// Filters of the facility list; all given filters must match.
#[derive(Debug, Clone, Default)]
pub struct FacilityFilter {
    /// Only in this municipality (code).
    pub municipality_code: Option<String>,
    /// Only these types.
    pub types: Vec<FacilityType>,
    /// At least this many people fit in.
    pub min_capacity: Option<u32>,
    /// Has every one of these features.
    pub accessibility: AccessibilityFeatures,
    /// Has every piece of this equipment.
    pub equipment: EquipmentSet,
    /// Free of charge for NGOs' public-good use.
    pub free_for_ngos: Option<bool>,
    /// Owned by organisations of these kinds.
    pub owner_kinds: Vec<OrganisationKind>,
    /// Words that must all occur in a name or description, in any language.
    pub text: Option<String>,
}

/// Which facilities a request may see.
#[derive(Debug, Clone)]
pub enum Visibility {
    /// Published facilities only.
    Published,
    /// Published ones and every facility of these owners.
    PublishedAndOwners(Vec<OrganisationId>),
    /// All facilities.
    All,
}

fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("corrupt facility {what} in the database"))
}

fn minutes(value: Option<i32>) -> Option<chrono::Duration> {
    value.map(|v| chrono::Duration::minutes(i64::from(v)))
}

pub(super) fn to_facility(m: facility::Model) -> AppResult<Facility> {
    let rules = BookingRules::new(BookingRulesInput {
        min_duration: minutes(m.min_duration_minutes),
        max_duration: minutes(m.max_duration_minutes),
        slot_granularity: minutes(m.slot_granularity_minutes),
        min_notice: minutes(m.min_notice_minutes),
        max_advance_days: m.max_advance_days.and_then(|d| u32::try_from(d).ok()),
        buffer_before: minutes(Some(m.buffer_before_minutes)),
        buffer_after: minutes(Some(m.buffer_after_minutes)),
        approval_required: m.approval_required,
        cancellation_notice: minutes(m.cancellation_notice_minutes),
    })
    .map_err(|_| corrupt("rules"))?;
    let spec = FacilitySpec {
        name: LocalizedText::optional(m.name_fi, m.name_sv, m.name_en),
        description: LocalizedText::optional(m.description_fi, m.description_sv, m.description_en),
        facility_type: m.facility_type.parse().map_err(|_| corrupt("type"))?,
        street_address: m.street_address,
        postal_code: m.postal_code,
        municipality_code: m.municipality_code,
        coordinates: m.latitude.zip(m.longitude),
        capacity: u32::try_from(m.capacity).map_err(|_| corrupt("capacity"))?,
        accessibility: u32::try_from(m.accessibility)
            .ok()
            .and_then(|bits| AccessibilityFeatures::from_bits(bits).ok())
            .ok_or_else(|| corrupt("accessibility"))?,
        equipment: u32::try_from(m.equipment)
            .ok()
            .and_then(|bits| EquipmentSet::from_bits(bits).ok())
            .ok_or_else(|| corrupt("equipment"))?,
        time_zone: m.time_zone.parse().map_err(|_| corrupt("time zone"))?,
        contact: ContactPerson {
            name: m.contact_name,
            email: m
                .contact_email
                .map(|e| crate::domain::contact::EmailAddress::parse("contact.email", &e))
                .transpose()
                .map_err(|_| corrupt("contact email"))?,
            phone: m
                .contact_phone
                .map(|p| crate::domain::contact::PhoneNumber::parse("contact.phone", &p))
                .transpose()
                .map_err(|_| corrupt("contact phone"))?,
            public: m.contact_public,
        },
        who_may_book: m
            .who_may_book
            .parse()
            .map_err(|_| corrupt("booking policy"))?,
        free_for_non_profit: m.free_for_non_profit,
        hourly_prices: serde_json::from_str(&m.hourly_prices).map_err(|_| corrupt("prices"))?,
        rules,
        quota: BookingQuota {
            max_future_bookings: m
                .max_future_bookings_per_organisation
                .and_then(|v| u32::try_from(v).ok()),
            max_weekly_minutes: m
                .max_weekly_minutes_per_organisation
                .and_then(|v| u32::try_from(v).ok()),
        },
    };
    Ok(Facility {
        id: FacilityId(m.id),
        owner_id: OrganisationId(m.owner_id),
        parent_id: m.parent_id.map(FacilityId),
        spec,
        published: m.published,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// Whole minutes of a duration, for storage.
fn to_minutes(value: chrono::Duration) -> i32 {
    i32::try_from(value.num_minutes()).unwrap_or(i32::MAX)
}

impl FacilitySpec {
    /// Whether calendars show `other` in a different place: name, address, position or zone.
    fn place_differs(&self, other: &FacilitySpec) -> bool {
        self.name != other.name
            || self.street_address != other.street_address
            || self.postal_code != other.postal_code
            || self.municipality_code != other.municipality_code
            || self.coordinates != other.coordinates
            || self.time_zone != other.time_zone
    }
}

fn apply(spec: &FacilitySpec, model: &mut facility::ActiveModel) -> AppResult<()> {
    let to_i32 = |v: u32| i32::try_from(v).map_err(AppError::internal);
    model.search_text = Set(search_text([&spec.name, &spec.description]));
    let (fi, sv, en) = spec.name.clone().into_parts();
    model.name_fi = Set(fi);
    model.name_sv = Set(sv);
    model.name_en = Set(en);
    let (fi, sv, en) = spec.description.clone().into_parts();
    model.description_fi = Set(fi);
    model.description_sv = Set(sv);
    model.description_en = Set(en);
    model.facility_type = Set(spec.facility_type.as_ref().to_string());
    model.street_address = Set(spec.street_address.clone());
    model.postal_code = Set(spec.postal_code.clone());
    model.municipality_code = Set(spec.municipality_code.clone());
    model.latitude = Set(spec.coordinates.map(|c| c.0));
    model.longitude = Set(spec.coordinates.map(|c| c.1));
    model.capacity = Set(to_i32(spec.capacity)?);
    model.accessibility = Set(i64::from(spec.accessibility.bits()));
    model.equipment = Set(i64::from(spec.equipment.bits()));
    model.time_zone = Set(spec.time_zone.name().to_string());
    model.contact_name = Set(spec.contact.name.clone());
    model.contact_email = Set(spec.contact.email.as_ref().map(|e| e.as_str().to_string()));
    model.contact_phone = Set(spec.contact.phone.as_ref().map(|p| p.as_str().to_string()));
    model.contact_public = Set(spec.contact.public);
    model.who_may_book = Set(spec.who_may_book.as_ref().to_string());
    model.free_for_non_profit = Set(spec.free_for_non_profit);
    model.hourly_prices =
        Set(serde_json::to_string(&spec.hourly_prices).map_err(AppError::internal)?);
    let rules = &spec.rules;
    model.min_duration_minutes = Set(rules.min_duration().map(to_minutes));
    model.max_duration_minutes = Set(rules.max_duration().map(to_minutes));
    model.slot_granularity_minutes = Set(rules.slot_granularity().map(to_minutes));
    model.min_notice_minutes = Set(rules.min_notice().map(to_minutes));
    model.max_advance_days = Set(rules
        .max_advance_days()
        .map(|d| i32::try_from(d).unwrap_or(i32::MAX)));
    model.buffer_before_minutes = Set(to_minutes(rules.buffer_before()));
    model.buffer_after_minutes = Set(to_minutes(rules.buffer_after()));
    model.approval_required = Set(rules.approval_required());
    model.cancellation_notice_minutes = Set(rules.cancellation_notice().map(to_minutes));
    let cap = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    model.max_future_bookings_per_organisation = Set(cap(spec.quota.max_future_bookings));
    model.max_weekly_minutes_per_organisation = Set(cap(spec.quota.max_weekly_minutes));
    model.updated_at = Set(Utc::now());
    Ok(())
}

async fn replace_invited(
    db: &impl ConnectionTrait,
    facility: FacilityId,
    organisations: &[OrganisationId],
) -> AppResult<()> {
    invited::Entity::delete_many()
        .filter(invited::Column::FacilityId.eq(facility.0))
        .exec(db)
        .await?;
    if organisations.is_empty() {
        return Ok(());
    }
    let found = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(organisations.iter().map(|o| o.0)))
        .all(db)
        .await?;
    if let Some(missing) = organisations
        .iter()
        .find(|o| !found.iter().any(|f| f.id == o.0))
    {
        return Err(AppError::not_found("organisation", missing));
    }
    invited::Entity::insert_many(organisations.iter().map(|o| invited::ActiveModel {
        facility_id: Set(facility.0),
        organisation_id: Set(o.0),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// Creates a facility owned by `owner`, published at once; `invited` may book it
/// when its policy is `INVITED_ORGANISATIONS`. A facility created as a part of
/// `parent` (a half of a gym) takes over the parent's current bookings, since
/// booking the whole holds every part.
pub async fn create(
    db: &DatabaseConnection,
    owner: OrganisationId,
    spec: FacilitySpec,
    invited: &[OrganisationId],
    parent: Option<FacilityId>,
) -> AppResult<Facility> {
    let txn = begin_write(db).await?;
    organisation::Entity::find_by_id(owner.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("organisation", owner))?;
    if let Some(parent) = parent {
        let whole = get(&txn, parent).await?;
        if whole.owner_id != owner {
            return Err(AppError::from(ValidationError::new(
                "partOfId",
                "PART_OF_OTHER_OWNER",
                "a part belongs to the owner of the whole",
            )));
        }
        if whole.parent_id.is_some() {
            return Err(AppError::from(ValidationError::new(
                "partOfId",
                "NESTED_PART",
                "a part cannot itself be divided",
            )));
        }
    }
    let mut model = facility::ActiveModel {
        owner_id: Set(owner.0),
        parent_id: Set(parent.map(|p| p.0)),
        published: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    apply(&spec, &mut model)?;
    let inserted = model.insert(&txn).await?;
    replace_invited(&txn, FacilityId(inserted.id), invited).await?;
    if let Some(parent) = parent {
        occupancy::extend_to_new_part(&txn, parent, FacilityId(inserted.id)).await?;
        // The whole's bookings now hold one more unit.
        touch(&txn, parent).await?;
    }
    super::search::refresh_open_ranges(&txn, &[FacilityId(inserted.id)]).await?;
    txn.commit().await?;
    to_facility(inserted)
}

/// Replaces a facility's description, rules and invitations.
pub async fn update(
    db: &DatabaseConnection,
    id: FacilityId,
    spec: FacilitySpec,
    invited: &[OrganisationId],
) -> AppResult<Facility> {
    let txn = begin_write(db).await?;
    let existing = facility::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("facility", id))?;
    let before = to_facility(existing.clone())?;
    let mut model: facility::ActiveModel = existing.into();
    apply(&spec, &mut model)?;
    let updated = model.update(&txn).await?;
    if before.spec.place_differs(&spec) {
        super::revisions::facility_place_changed(&txn, id, updated.updated_at).await?;
    }
    replace_invited(&txn, id, invited).await?;
    super::search::refresh_open_ranges(&txn, &[id]).await?;
    txn.commit().await?;
    to_facility(updated)
}

/// Publishes or unpublishes a facility.
pub async fn set_published(
    db: &impl ConnectionTrait,
    id: FacilityId,
    published: bool,
) -> AppResult<Facility> {
    let existing = get(db, id).await?;
    facility::Entity::update_many()
        .col_expr(facility::Column::Published, published.into())
        .col_expr(facility::Column::UpdatedAt, Utc::now().into())
        .filter(facility::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    get(db, existing.id).await
}

/// Marks a facility changed: its hours, exceptions or parts changed, so everything kept
/// about it (the booking rules cache) is read again. `NOT_FOUND` if there is none.
pub(super) async fn touch(db: &impl ConnectionTrait, facility: FacilityId) -> AppResult<()> {
    let updated = facility::Entity::update_many()
        .col_expr(facility::Column::UpdatedAt, Utc::now().into())
        .filter(facility::Column::Id.eq(facility.0))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::not_found("facility", facility));
    }
    Ok(())
}

/// The facility with this id, whatever its visibility (callers check access).
pub async fn get(db: &impl ConnectionTrait, id: FacilityId) -> AppResult<Facility> {
    facility::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("facility", id))
        .and_then(to_facility)
}

/// The facilities with these ids, whatever their visibility (callers check access).
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[FacilityId]) -> AppResult<Vec<Facility>> {
    facility::Entity::find()
        .filter(facility::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(db)
        .await?
        .into_iter()
        .map(to_facility)
        .collect()
}

/// Facilities kept by the version (`updated_at`) of their row.
pub type FacilityCache = StampedCache<FacilityId, Facility>;

/// The facilities `wanted` at the row versions given, from `cache` where it keeps that
/// version; the rest are read in one statement (as they are now, which may be newer)
/// and kept. A facility deleted meanwhile is left out.
pub async fn cached(
    db: &impl ConnectionTrait,
    cache: &FacilityCache,
    wanted: impl IntoIterator<Item = (FacilityId, DateTime<Utc>)>,
) -> AppResult<HashMap<FacilityId, Arc<Facility>>> {
    let mut found = HashMap::new();
    let mut missing = Vec::new();
    for (id, stamp) in wanted {
        match cache.get(&id, stamp) {
            Some(facility) => {
                found.insert(id, facility);
            }
            None => missing.push(id),
        }
    }
    if !missing.is_empty() {
        for facility in by_ids(db, &missing).await? {
            let facility = Arc::new(facility);
            cache.put(facility.id, facility.updated_at, facility.clone());
            found.insert(facility.id, facility);
        }
    }
    Ok(found)
}

/// The parts of these divisible facilities, as (whole, part) pairs.
pub async fn parts_of(
    db: &impl ConnectionTrait,
    ids: &[FacilityId],
) -> AppResult<Vec<(FacilityId, Facility)>> {
    facility::Entity::find()
        .filter(facility::Column::ParentId.is_in(ids.iter().map(|i| i.0)))
        .order_by_asc(facility::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let whole = FacilityId(m.parent_id.unwrap_or_default());
            Ok((whole, to_facility(m)?))
        })
        .collect()
}

/// The organisations invited to book these facilities, by facility.
pub async fn invited_by_facility(
    db: &impl ConnectionTrait,
    ids: &[FacilityId],
) -> AppResult<Vec<(FacilityId, OrganisationId)>> {
    Ok(invited::Entity::find()
        .filter(invited::Column::FacilityId.is_in(ids.iter().map(|i| i.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (FacilityId(i.facility_id), OrganisationId(i.organisation_id)))
        .collect())
}

pub(super) fn filtered(
    filter: &FacilityFilter,
    visibility: &Visibility,
) -> Select<facility::Entity> {
    let mut select = facility::Entity::find();
    select = match visibility {
        Visibility::Published => select.filter(facility::Column::Published.eq(true)),
        Visibility::PublishedAndOwners(owners) => select.filter(
            facility::Column::Published
                .eq(true)
                .or(facility::Column::OwnerId.is_in(owners.iter().map(|o| o.0))),
        ),
        Visibility::All => select,
    };
    if let Some(code) = &filter.municipality_code {
        select = select.filter(facility::Column::MunicipalityCode.eq(code.as_str()));
    }
    if !filter.types.is_empty() {
        select = select
            .filter(facility::Column::FacilityType.is_in(filter.types.iter().map(|t| t.as_ref())));
    }
    if let Some(min) = filter.min_capacity {
        select = select.filter(facility::Column::Capacity.gte(min));
    }
    for (column, bits) in [
        (
            facility::Column::Accessibility,
            i64::from(filter.accessibility.bits()),
        ),
        (
            facility::Column::Equipment,
            i64::from(filter.equipment.bits()),
        ),
    ] {
        if bits != 0 {
            select = select.filter(Expr::col(column).bit_and(bits).eq(bits));
        }
    }
    if let Some(free) = filter.free_for_ngos {
        select = select.filter(facility::Column::FreeForNonProfit.eq(free));
    }
    if !filter.owner_kinds.is_empty() {
        select = select.filter(
            facility::Column::OwnerId.in_subquery(
                organisation::Entity::find()
                    .select_only()
                    .column(organisation::Column::Id)
                    .filter(
                        organisation::Column::Kind
                            .is_in(filter.owner_kinds.iter().map(|k| k.as_ref())),
                    )
                    .into_query(),
            ),
        );
    }
    if let Some(text) = &filter.text {
        select = select.filter(text_condition(facility::Column::SearchText, text));
    }
    select
}

/// Every published facility that matches `filter`, by id (for reports, not for pages).
pub async fn all_matching(
    db: &impl ConnectionTrait,
    filter: &FacilityFilter,
) -> AppResult<Vec<Facility>> {
    filtered(filter, &Visibility::Published)
        .order_by_asc(facility::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_facility)
        .collect()
}

/// One page of the facilities `visibility` allows that match `filter`, by id.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &FacilityFilter,
    visibility: &Visibility,
    page: PageRequest,
) -> AppResult<Page<Facility>> {
    let page = fetch_page(db, filtered(filter, visibility), facility::Column::Id, page).await?;
    Ok(Page {
        rows: page
            .rows
            .into_iter()
            .map(to_facility)
            .collect::<AppResult<_>>()?,
        has_next_page: page.has_next_page,
        count: page.count,
    })
}

/// The facility of `owner` whose Finnish name is exactly `name_fi`, if any.
pub async fn find_by_finnish_name(
    db: &impl ConnectionTrait,
    owner: OrganisationId,
    name_fi: &str,
) -> AppResult<Option<FacilityId>> {
    Ok(facility::Entity::find()
        .filter(facility::Column::OwnerId.eq(owner.0))
        .filter(facility::Column::NameFi.eq(name_fi))
        .one(db)
        .await?
        .map(|f| FacilityId(f.id)))
}
