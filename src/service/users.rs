//! Users, memberships and API tokens.
use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use entity::{api_token, app_user, membership};
use rand::RngCore;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use super::database::begin_write;
use crate::domain::contact::EmailAddress;
use crate::domain::ids::{ApiTokenId, OrganisationId, UserId};
use crate::domain::localized::Language;
use crate::domain::organisation::Role;
use crate::domain::permissions::Actor;
use crate::error::{AppError, AppResult};

/// A user as the API shows them.
#[derive(Debug, Clone)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Email address (also the sign-in name).
    pub email: String,
    /// Full name.
    pub name: String,
    /// Preferred language.
    pub language: Language,
    /// The region's NGO coordinator.
    pub coordinator: bool,
}

/// A member of an organisation.
#[derive(Debug, Clone)]
pub struct Member {
    /// The organisation.
    pub organisation_id: OrganisationId,
    /// The user.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
}

/// An API token without its secret.
#[derive(Debug, Clone)]
pub struct ApiToken {
    /// Id.
    pub id: ApiTokenId,
    /// The name its owner gave it.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (updated at most every few minutes).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How stale `last_used_at` may get before a request writes it again.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(5);

fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("corrupt {what} in the database"))
}

fn to_user(model: app_user::Model) -> AppResult<User> {
    Ok(User {
        id: UserId(model.id),
        language: model.language.parse().map_err(|_| corrupt("language"))?,
        email: model.email,
        name: model.name,
        coordinator: model.is_coordinator,
    })
}

fn to_token(model: api_token::Model) -> ApiToken {
    ApiToken {
        id: ApiTokenId(model.id),
        name: model.name,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        revoked_at: model.revoked_at,
    }
}

/// The stored form of a secret: its SHA-256 in hexadecimal.
pub(super) fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random secret starting with `prefix`, and its hash.
pub(super) fn new_secret(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// The details of a user to create when an email address is new.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address.
    pub email: EmailAddress,
    /// Full name (defaults to the email address).
    pub name: Option<String>,
    /// Preferred language.
    pub language: Language,
    /// Whether the user is the region's coordinator.
    pub coordinator: bool,
}

/// Finds the user with this email address, creating them if new.
pub async fn find_or_create_user(db: &impl ConnectionTrait, new: NewUser) -> AppResult<User> {
    if let Some(existing) = app_user::Entity::find()
        .filter(app_user::Column::Email.eq(new.email.as_str()))
        .one(db)
        .await?
    {
        return to_user(existing);
    }
    let model = app_user::ActiveModel {
        email: Set(new.email.as_str().to_string()),
        name: Set(new.name.unwrap_or_else(|| new.email.as_str().to_string())),
        language: Set(new.language.as_ref().to_string()),
        is_coordinator: Set(new.coordinator),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    to_user(model)
}

/// The users with these ids.
pub async fn users_by_ids(db: &impl ConnectionTrait, ids: &[UserId]) -> AppResult<Vec<User>> {
    app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(db)
        .await?
        .into_iter()
        .map(to_user)
        .collect()
}

/// Creates an API token for `user`; the secret is returned once and never stored.
pub async fn create_token(
    db: &impl ConnectionTrait,
    user: UserId,
    name: &str,
) -> AppResult<(ApiToken, String)> {
    let (secret, hash) = new_secret("yt_");
    let model = api_token::ActiveModel {
        user_id: Set(user.0),
        name: Set(name.to_string()),
        token_hash: Set(hash),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((to_token(model), secret))
}

/// The user's tokens, newest first.
pub async fn tokens_of(db: &impl ConnectionTrait, user: UserId) -> AppResult<Vec<ApiToken>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user.0))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_token)
        .collect())
}

/// Revokes one of the user's own tokens.
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    user: UserId,
    token: ApiTokenId,
) -> AppResult<ApiToken> {
    let model = api_token::Entity::find_by_id(token.0)
        .filter(api_token::Column::UserId.eq(user.0))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("apiToken", token))?;
    if model.revoked_at.is_some() {
        return Ok(to_token(model));
    }
    let mut active: api_token::ActiveModel = model.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(to_token(active.update(db).await?))
}

/// The actor behind a bearer token, or `UNAUTHENTICATED` for unknown and revoked tokens:
/// the token, its user and their memberships in one statement (a row per membership).
pub async fn authenticate(db: &impl ConnectionTrait, secret: &str) -> AppResult<Actor> {
    let query = Query::select()
        .expr_as(
            Expr::col((api_token::Entity, api_token::Column::Id)),
            Alias::new("token_id"),
        )
        .column((api_token::Entity, api_token::Column::LastUsedAt))
        .columns([
            (app_user::Entity, app_user::Column::Id),
            (app_user::Entity, app_user::Column::Email),
            (app_user::Entity, app_user::Column::Name),
            (app_user::Entity, app_user::Column::Language),
            (app_user::Entity, app_user::Column::IsCoordinator),
        ])
        .columns([
            (membership::Entity, membership::Column::OrganisationId),
            (membership::Entity, membership::Column::Role),
        ])
        .from(api_token::Entity)
        .inner_join(
            app_user::Entity,
            Expr::col((app_user::Entity, app_user::Column::Id))
                .equals((api_token::Entity, api_token::Column::UserId)),
        )
        .left_join(
            membership::Entity,
            Expr::col((membership::Entity, membership::Column::UserId))
                .equals((app_user::Entity, app_user::Column::Id)),
        )
        .and_where(
            Expr::col((api_token::Entity, api_token::Column::TokenHash)).eq(hash_secret(secret)),
        )
        .and_where(Expr::col((api_token::Entity, api_token::Column::RevokedAt)).is_null())
        .to_owned();
    let rows = db.query_all(&query).await?;
    let first = rows.first().ok_or(AppError::Unauthenticated)?;
    let token: i64 = first.try_get("", "token_id")?;
    let last_used: Option<DateTime<Utc>> = first.try_get("", "last_used_at")?;
    let mut memberships = HashMap::new();
    for row in &rows {
        if let Some(organisation) = row.try_get::<Option<i64>>("", "organisation_id")? {
            let role: String = row.try_get("", "role")?;
            memberships.insert(
                OrganisationId(organisation),
                role.parse().map_err(|_| corrupt("role"))?,
            );
        }
    }
    let language: String = first.try_get("", "language")?;
    let actor = Actor {
        user_id: UserId(first.try_get("", "id")?),
        email: first.try_get("", "email")?,
        name: first.try_get("", "name")?,
        language: language.parse().map_err(|_| corrupt("language"))?,
        coordinator: first.try_get("", "is_coordinator")?,
        memberships,
    };
    let now = Utc::now();
    if last_used.is_none_or(|used| now - used > LAST_USED_RESOLUTION) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, now.into())
            .filter(api_token::Column::Id.eq(token))
            .exec(db)
            .await?;
    }
    Ok(actor)
}

/// The actor `user` is now, with their memberships.
pub(super) async fn actor_of(db: &impl ConnectionTrait, user: app_user::Model) -> AppResult<Actor> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            Ok((
                OrganisationId(m.organisation_id),
                m.role.parse().map_err(|_| corrupt("role"))?,
            ))
        })
        .collect::<AppResult<HashMap<_, _>>>()?;
    let user = to_user(user)?;
    Ok(Actor {
        user_id: user.id,
        email: user.email,
        name: user.name,
        language: user.language,
        coordinator: user.coordinator,
        memberships,
    })
}

/// The members of these organisations.
pub async fn members_of(
    db: &impl ConnectionTrait,
    organisations: &[OrganisationId],
) -> AppResult<Vec<Member>> {
    membership::Entity::find()
        .filter(membership::Column::OrganisationId.is_in(organisations.iter().map(|o| o.0)))
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            Ok(Member {
                organisation_id: OrganisationId(m.organisation_id),
                user_id: UserId(m.user_id),
                role: m.role.parse().map_err(|_| corrupt("role"))?,
            })
        })
        .collect()
}

/// Adds a user (created if new) to an organisation, or changes their role.
pub async fn set_member(
    db: &DatabaseConnection,
    organisation: OrganisationId,
    new_user: NewUser,
    role: Role,
) -> AppResult<Member> {
    let txn = begin_write(db).await?;
    let user = find_or_create_user(&txn, new_user).await?;
    let existing = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation.0))
        .filter(membership::Column::UserId.eq(user.id.0))
        .one(&txn)
        .await?;
    match existing {
        Some(model) => {
            if model.role == Role::Admin.as_ref() && role != Role::Admin {
                ensure_other_admin(&txn, organisation, user.id).await?;
            }
            let mut active: membership::ActiveModel = model.into();
            active.role = Set(role.as_ref().to_string());
            active.update(&txn).await?;
        }
        None => {
            membership::ActiveModel {
                organisation_id: Set(organisation.0),
                user_id: Set(user.id.0),
                role: Set(role.as_ref().to_string()),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(Member {
        organisation_id: organisation,
        user_id: user.id,
        role,
    })
}

/// Removes a user from an organisation; the last admin cannot be removed.
pub async fn remove_member(
    db: &DatabaseConnection,
    organisation: OrganisationId,
    user: UserId,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let model = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation.0))
        .filter(membership::Column::UserId.eq(user.0))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("member", user))?;
    if model.role == Role::Admin.as_ref() {
        ensure_other_admin(&txn, organisation, user).await?;
    }
    membership::Entity::delete_by_id(model.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn ensure_other_admin(
    db: &impl ConnectionTrait,
    organisation: OrganisationId,
    leaving: UserId,
) -> AppResult<()> {
    let others = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(organisation.0))
        .filter(membership::Column::Role.eq(Role::Admin.as_ref()))
        .filter(membership::Column::UserId.ne(leaving.0))
        .one(db)
        .await?;
    match others {
        Some(_) => Ok(()),
        None => Err(AppError::Conflict {
            message: "an organisation that has an admin keeps at least one".into(),
            field: Some("userId".into()),
        }),
    }
}
