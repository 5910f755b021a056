//! The signed-in user and their API tokens.
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::common::parse_id;
use super::context::{actor, request, state};
use super::enums::{Language, Role};
use super::loaders::load_error;
use super::organisations::Organisation;
use crate::domain::contact::required_line;
use crate::domain::ids::ApiTokenId;
use crate::error::AppError;
use crate::service::users;

/// A person who uses the service.
pub struct User(pub users::User);

#[Object]
impl User {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Email address.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Preferred language of messages.
    async fn language(&self) -> Language {
        self.0.language.into()
    }

    /// The region's NGO coordinator.
    async fn coordinator(&self) -> bool {
        self.0.coordinator
    }
}

/// The signed-in user with their memberships.
pub struct Me(users::User);

/// A membership of the signed-in user.
#[derive(SimpleObject)]
pub struct MyMembership {
    /// The organisation.
    organisation: Organisation,
    /// The role in it.
    role: Role,
}

#[Object]
impl Me {
    /// The user.
    async fn user(&self) -> User {
        User(self.0.clone())
    }

    /// The organisations the user belongs to, with roles.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<MyMembership>> {
        let actor = actor(ctx)?;
        let ids: Vec<_> = actor.memberships.keys().copied().collect();
        let organisations = request(ctx)?
            .loader
            .load_many(ids)
            .await
            .map_err(load_error)?;
        let mut list: Vec<_> = organisations
            .into_iter()
            .filter_map(|(id, organisation)| {
                actor.memberships.get(&id).map(|role| MyMembership {
                    organisation: Organisation(organisation),
                    role: (*role).into(),
                })
            })
            .collect();
        list.sort_by_key(|m| m.organisation.0.id);
        Ok(list)
    }

    /// The user's API tokens (never their secrets).
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        let tokens = users::tokens_of(&state(ctx)?.db, self.0.id).await?;
        Ok(tokens.into_iter().map(ApiToken).collect())
    }
}

/// An API token; its secret is shown only once, when created.
pub struct ApiToken(users::ApiToken);

#[Object]
impl ApiToken {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The name given to it.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last used (to within a few minutes).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// Revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new API token and its secret, shown this once.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// The token.
    token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`. Not stored: keep it now.
    secret: String,
}

/// Reading the signed-in user.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; null for anonymous requests.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Me>> {
        let Ok(actor) = actor(ctx) else {
            return Ok(None);
        };
        let user = request(ctx)?
            .loader
            .load_one(actor.user_id)
            .await
            .map_err(load_error)?
            .ok_or(AppError::Unauthenticated)?;
        Ok(Some(Me(user)))
    }
}

/// Managing one's own API tokens.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates an API token for the signed-in user.
    async fn create_api_token(&self, ctx: &Context<'_>, name: String) -> Result<CreatedApiToken> {
        let actor = actor(ctx)?;
        let name = required_line("name", &name, 100).map_err(AppError::from)?;
        let (token, secret) = users::create_token(&state(ctx)?.db, actor.user_id, &name).await?;
        Ok(CreatedApiToken {
            token: ApiToken(token),
            secret,
        })
    }

    /// Revokes one of the signed-in user's tokens; it stops working at once.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let actor = actor(ctx)?;
        let id = ApiTokenId(parse_id("id", &id).map_err(AppError::from)?);
        Ok(ApiToken(
            users::revoke_token(&state(ctx)?.db, actor.user_id, id).await?,
        ))
    }
}
