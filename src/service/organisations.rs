//! Organisations: creating, changing, finding and listing them.
use chrono::{DateTime, Utc};
use entity::organisation;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Select, Set, SqlErr,
};

use super::database::begin_write;
use super::pagination::{Page, PageRequest, fetch_page};
use crate::domain::business_id::BusinessId;
use crate::domain::contact::{EmailAddress, PhoneNumber, WebAddress};
use crate::domain::ids::OrganisationId;
use crate::domain::localized::{LocalizedText, search_text};
use crate::domain::organisation::OrganisationKind;
use crate::error::{AppError, AppResult};

/// An organisation as the API shows it.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// Id.
    pub id: OrganisationId,
    /// Sector.
    pub kind: OrganisationKind,
    /// Name.
    pub name: LocalizedText,
    /// Y-tunnus, if it has one.
    pub business_id: Option<String>,
    /// Home municipality code.
    pub municipality_code: String,
    /// Description.
    pub description: LocalizedText,
    /// Public contact email.
    pub contact_email: Option<String>,
    /// Public contact phone.
    pub contact_phone: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A validated organisation to create or to replace an existing one with.
#[derive(Debug, Clone)]
pub struct OrganisationSpec {
    /// Sector.
    pub kind: OrganisationKind,
    /// Name, in at least one language.
    pub name: LocalizedText,
    /// Y-tunnus; informal groups have none.
    pub business_id: Option<BusinessId>,
    /// Home municipality code (resolved against the directory).
    pub municipality_code: String,
    /// Description.
    pub description: LocalizedText,
    /// Public contact email.
    pub contact_email: Option<EmailAddress>,
    /// Public contact phone.
    pub contact_phone: Option<PhoneNumber>,
    /// Web site.
    pub website: Option<WebAddress>,
}

/// Filters of the organisation list.
#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    /// Only these sectors.
    pub kinds: Vec<OrganisationKind>,
    /// Only organisations of this municipality code.
    pub municipality_code: Option<String>,
    /// Words that must all occur in a name or description, in any language.
    pub text: Option<String>,
}

pub(super) fn to_organisation(m: organisation::Model) -> AppResult<Organisation> {
    Ok(Organisation {
        id: OrganisationId(m.id),
        kind: m
            .kind
            .parse()
            .map_err(|_| AppError::internal("corrupt organisation kind"))?,
        name: LocalizedText::optional(m.name_fi, m.name_sv, m.name_en),
        business_id: m.business_id,
        municipality_code: m.municipality_code,
        description: LocalizedText::optional(m.description_fi, m.description_sv, m.description_en),
        contact_email: m.contact_email,
        contact_phone: m.contact_phone,
        website: m.website,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// A condition matching rows whose `search_text` column holds every word of `text`.
pub(crate) fn text_condition(column: impl ColumnTrait, text: &str) -> sea_orm::Condition {
    text.to_lowercase()
        .split_whitespace()
        .fold(sea_orm::Condition::all(), |cond, word| {
            let escaped = word
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            cond.add(Expr::col(column).like(LikeExpr::new(format!("%{escaped}%")).escape('\\')))
        })
}

fn apply(spec: OrganisationSpec, model: &mut organisation::ActiveModel) {
    model.search_text = Set(search_text([&spec.name, &spec.description]));
    model.kind = Set(spec.kind.as_ref().to_string());
    let (fi, sv, en) = spec.name.into_parts();
    model.name_fi = Set(fi);
    model.name_sv = Set(sv);
    model.name_en = Set(en);
    let (fi, sv, en) = spec.description.into_parts();
    model.description_fi = Set(fi);
    model.description_sv = Set(sv);
    model.description_en = Set(en);
    model.business_id = Set(spec.business_id.map(|b| b.as_str().to_string()));
    model.municipality_code = Set(spec.municipality_code);
    model.contact_email = Set(spec.contact_email.map(|e| e.as_str().to_string()));
    model.contact_phone = Set(spec.contact_phone.map(|p| p.as_str().to_string()));
    model.website = Set(spec.website.map(|w| w.as_str().to_string()));
    model.updated_at = Set(Utc::now());
}

fn map_unique(err: sea_orm::DbErr) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict {
            message: "another organisation has this business ID".into(),
            field: Some("businessId".into()),
        },
        _ => err.into(),
    }
}

/// Creates an organisation.
pub async fn create(db: &impl ConnectionTrait, spec: OrganisationSpec) -> AppResult<Organisation> {
    let mut model = organisation::ActiveModel {
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    apply(spec, &mut model);
    to_organisation(model.insert(db).await.map_err(map_unique)?)
}

/// Replaces an organisation's details.
pub async fn update(
    db: &DatabaseConnection,
    id: OrganisationId,
    spec: OrganisationSpec,
) -> AppResult<Organisation> {
    let txn = begin_write(db).await?;
    let existing = organisation::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("organisation", id))?;
    let before = to_organisation(existing.clone())?;
    let renamed = before.name != spec.name
        || before.contact_email.as_deref() != spec.contact_email.as_ref().map(|e| e.as_str());
    let mut model: organisation::ActiveModel = existing.into();
    apply(spec, &mut model);
    let updated = model.update(&txn).await.map_err(map_unique)?;
    if renamed {
        super::revisions::organisation_name_changed(&txn, id, updated.updated_at).await?;
    }
    txn.commit().await?;
    to_organisation(updated)
}

/// The organisation with this id.
pub async fn get(db: &impl ConnectionTrait, id: OrganisationId) -> AppResult<Organisation> {
    organisation::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("organisation", id))
        .and_then(to_organisation)
}

/// The organisations with these ids, in no particular order.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[OrganisationId],
) -> AppResult<Vec<Organisation>> {
    organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?
        .into_iter()
        .map(to_organisation)
        .collect()
}

fn filtered(filter: &OrganisationFilter) -> Select<organisation::Entity> {
    let mut select = organisation::Entity::find();
    if !filter.kinds.is_empty() {
        select = select
            .filter(organisation::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_ref())));
    }
    if let Some(code) = &filter.municipality_code {
        select = select.filter(organisation::Column::MunicipalityCode.eq(code.as_str()));
    }
    if let Some(text) = &filter.text {
        select = select.filter(text_condition(organisation::Column::SearchText, text));
    }
    select
}

/// One page of organisations matching `filter`, by id.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &OrganisationFilter,
    page: PageRequest,
) -> AppResult<Page<Organisation>> {
    let page = fetch_page(db, filtered(filter), organisation::Column::Id, page).await?;
    Ok(Page {
        rows: page
            .rows
            .into_iter()
            .map(to_organisation)
            .collect::<AppResult<_>>()?,
        has_next_page: page.has_next_page,
        count: page.count,
    })
}

/// The organisation whose Finnish name is exactly `name_fi`, if any.
pub async fn find_by_finnish_name(
    db: &impl ConnectionTrait,
    name_fi: &str,
) -> AppResult<Option<OrganisationId>> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::NameFi.eq(name_fi))
        .one(db)
        .await?
        .map(|o| OrganisationId(o.id)))
}
