//! The people organisations name for space and event cooperation, and finding them.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{cooperation_contact as contact, cooperation_contact_municipality as served};
use enumflags2::BitFlags;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::database::begin_write;
use super::organisations;
use crate::domain::contact::{EmailAddress, PhoneNumber};
use crate::domain::cooperation::{CooperationAreas, CooperationRole};
use crate::domain::event::{HyteTheme, HyteThemes};
use crate::domain::ids::OrganisationId;
use crate::domain::permissions::Access;
use crate::domain::validation::ValidationError;
use crate::error::{AppError, AppResult};

/// A person to ask about space or event cooperation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperationContact {
    /// Id.
    pub id: i64,
    /// The organisation that named the person.
    pub organisation_id: OrganisationId,
    /// What the organisation tells about the person.
    pub spec: ContactSpec,
}

/// A cooperation contact as an organisation gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSpec {
    /// What the person is to the region.
    pub role: CooperationRole,
    /// Full name.
    pub name: String,
    /// Job title, e.g. "hyvinvointikoordinaattori".
    pub job_title: Option<String>,
    /// Email.
    pub email: Option<EmailAddress>,
    /// Phone.
    pub phone: Option<PhoneNumber>,
    /// The forms of cooperation the person helps with.
    pub areas: CooperationAreas,
    /// The themes the person answers for; empty for all.
    pub themes: HyteThemes,
    /// The municipalities the person answers for (codes); empty for the organisation's
    /// home municipality, and ignored for the regional coordinator, who covers them all.
    pub municipality_codes: Vec<String>,
}

fn corrupt() -> AppError {
    AppError::internal("corrupt cooperation contact in the database")
}

fn to_contact(m: contact::Model, municipalities: Vec<String>) -> AppResult<CooperationContact> {
    let role: CooperationRole = m.role.parse().map_err(|_| corrupt())?;
    Ok(CooperationContact {
        id: m.id,
        organisation_id: OrganisationId(m.organisation_id),
        spec: ContactSpec {
            role,
            name: m.name,
            job_title: m.job_title,
            email: m
                .email
                .map(|e| EmailAddress::parse("email", &e).map_err(|_| corrupt()))
                .transpose()?,
            phone: m
                .phone
                .map(|p| PhoneNumber::parse("phone", &p).map_err(|_| corrupt()))
                .transpose()?,
            areas: BitFlags::from_bits_truncate(u8::try_from(m.areas).map_err(|_| corrupt())?),
            themes: BitFlags::from_bits_truncate(u32::try_from(m.themes).map_err(|_| corrupt())?),
            municipality_codes: municipalities,
        },
    })
}

async fn with_municipalities(
    db: &impl ConnectionTrait,
    rows: Vec<contact::Model>,
) -> AppResult<Vec<CooperationContact>> {
    let mut served_by: HashMap<i64, Vec<String>> = HashMap::new();
    for row in served::Entity::find()
        .filter(served::Column::ContactId.is_in(rows.iter().map(|r| r.id)))
        .order_by_asc(served::Column::MunicipalityCode)
        .all(db)
        .await?
    {
        served_by
            .entry(row.contact_id)
            .or_default()
            .push(row.municipality_code);
    }
    rows.into_iter()
        .map(|row| {
            let municipalities = served_by.remove(&row.id).unwrap_or_default();
            to_contact(row, municipalities)
        })
        .collect()
}

/// Replaces the cooperation contacts of `organisation` (its admins and the coordinator).
/// Roles must fit the organisation: the regional coordinator is named by the welfare
/// region, municipal association contacts by municipalities.
pub async fn set_contacts(
    db: &DatabaseConnection,
    access: &Access,
    organisation: OrganisationId,
    contacts: Vec<ContactSpec>,
    now: DateTime<Utc>,
) -> AppResult<Vec<CooperationContact>> {
    if !access.can_manage_organisation(organisation) {
        return Err(AppError::Forbidden(
            "only the organisation's admins name its cooperation contacts",
        ));
    }
    let txn = begin_write(db).await?;
    let owner = organisations::get(&txn, organisation).await?;
    for (i, spec) in contacts.iter().enumerate() {
        if !spec.role.fits(owner.kind) {
            return Err(ValidationError::new(
                format!("contacts.{i}.role"),
                "ROLE_NOT_FOR_ORGANISATION",
                "the regional coordinator is named by the welfare region, and municipal \
                 association contacts by municipalities",
            )
            .into());
        }
        if spec.areas.is_empty() {
            return Err(ValidationError::new(
                format!("contacts.{i}.areas"),
                "AREA_REQUIRED",
                "say whether the person helps with spaces, events or both",
            )
            .into());
        }
    }
    contact::Entity::delete_many()
        .filter(contact::Column::OrganisationId.eq(organisation.0))
        .exec(&txn)
        .await?;
    for (position, spec) in contacts.into_iter().enumerate() {
        let inserted = contact::ActiveModel {
            organisation_id: Set(organisation.0),
            role: Set(spec.role.as_ref().to_string()),
            name: Set(spec.name),
            job_title: Set(spec.job_title),
            email: Set(spec.email.map(|e| e.as_str().to_string())),
            phone: Set(spec.phone.map(|p| p.as_str().to_string())),
            areas: Set(i32::from(spec.areas.bits())),
            themes: Set(i64::from(spec.themes.bits())),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut codes = match spec.role {
            CooperationRole::RegionalCoordinator => Vec::new(),
            _ if spec.municipality_codes.is_empty() => vec![owner.municipality_code.clone()],
            _ => spec.municipality_codes,
        };
        codes.sort_unstable();
        codes.dedup();
        if !codes.is_empty() {
            served::Entity::insert_many(codes.into_iter().map(|code| served::ActiveModel {
                contact_id: Set(inserted.id),
                municipality_code: Set(code),
            }))
            .exec_without_returning(&txn)
            .await?;
        }
    }
    let saved = of_organisation(&txn, organisation).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The cooperation contacts an organisation has named, in its order.
pub async fn of_organisation(
    db: &impl ConnectionTrait,
    organisation: OrganisationId,
) -> AppResult<Vec<CooperationContact>> {
    let rows = contact::Entity::find()
        .filter(contact::Column::OrganisationId.eq(organisation.0))
        .order_by_asc(contact::Column::Position)
        .all(db)
        .await?;
    with_municipalities(db, rows).await
}

/// What to look for among cooperation contacts.
#[derive(Debug, Clone, Default)]
pub struct ContactSearch {
    /// People who answer for this municipality (the regional coordinator always does).
    pub municipality_code: Option<String>,
    /// People who answer for this theme (or for all themes).
    pub theme: Option<HyteTheme>,
    /// People who help with any of these forms of cooperation.
    pub areas: CooperationAreas,
}

/// The people to ask, the regional coordinator first, then municipal association
/// contacts, then the organisations' own contacts (each by organisation, in its order).
pub async fn find(
    db: &impl ConnectionTrait,
    search: &ContactSearch,
) -> AppResult<Vec<CooperationContact>> {
    let mut select = contact::Entity::find();
    if let Some(code) = &search.municipality_code {
        select = select.filter(
            sea_orm::Condition::any()
                .add(contact::Column::Role.eq(CooperationRole::RegionalCoordinator.as_ref()))
                .add(
                    contact::Column::Id.in_subquery(
                        Query::select()
                            .column(served::Column::ContactId)
                            .from(served::Entity)
                            .and_where(
                                Expr::col(served::Column::MunicipalityCode).eq(code.as_str()),
                            )
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(theme) = search.theme {
        let bit = i64::from(BitFlags::from(theme).bits());
        select = select.filter(
            sea_orm::Condition::any()
                .add(contact::Column::Themes.eq(0))
                .add(Expr::col(contact::Column::Themes).bit_and(bit).ne(0)),
        );
    }
    if !search.areas.is_empty() {
        let bits = i32::from(search.areas.bits());
        select = select.filter(Expr::col(contact::Column::Areas).bit_and(bits).ne(0));
    }
    let mut found = with_municipalities(
        db,
        select
            .order_by_asc(contact::Column::OrganisationId)
            .order_by_asc(contact::Column::Position)
            .all(db)
            .await?,
    )
    .await?;
    found.sort_by_key(|c| c.spec.role);
    Ok(found)
}
