//! Members' private calendar feeds: created and revoked here, read over HTTP.
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::common::parse_id;
use super::context::{actor, authorize, request, state};
use super::enums::Language;
use super::loaders::load_error;
use super::organisations::Organisation;
use crate::domain::contact::required_line;
use crate::domain::ids::OrganisationId;
use crate::error::AppError;
use crate::service::calendar::{self, PrivateFeed};

/// A private calendar feed of an organisation's bookings and those of its facilities,
/// with every detail; its address is shown only once, when created.
pub struct CalendarFeed(PrivateFeed);

#[Object]
impl CalendarFeed {
    /// Id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The name given to it, e.g. the device it is on.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The organisation it follows.
    async fn organisation(&self, ctx: &Context<'_>) -> Result<Organisation> {
        let id = self.0.organisation_id;
        let organisation = request(ctx)?
            .loader
            .load_one(id)
            .await
            .map_err(load_error)?
            .ok_or_else(|| AppError::not_found("organisation", id))?;
        Ok(Organisation(organisation))
    }

    /// The language of its texts (`?lang=` in the address overrides it).
    async fn language(&self) -> Language {
        self.0.language.into()
    }

    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Revoked, if it was; a revoked feed's address answers 404.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new private feed and its address, shown this once.
#[derive(SimpleObject)]
pub struct CreatedCalendarFeed {
    /// The feed.
    feed: CalendarFeed,
    /// The address to paste into a calendar client. Not stored: keep it now.
    url: String,
}

/// Reading one's private feeds.
#[derive(Default)]
pub struct FeedQuery;

#[Object]
impl FeedQuery {
    /// The signed-in user's private calendar feeds, newest first (never their addresses).
    async fn my_calendar_feeds(&self, ctx: &Context<'_>) -> Result<Vec<CalendarFeed>> {
        let user = actor(ctx)?.user_id;
        let feeds = calendar::private_feeds_of(&state(ctx)?.db, user).await?;
        Ok(feeds.into_iter().map(CalendarFeed).collect())
    }
}

/// Creating and revoking private feeds.
#[derive(Default)]
pub struct FeedMutation;

#[Object]
impl FeedMutation {
    /// Creates a private calendar feed of an organisation you belong to: its bookings and
    /// those of its facilities, with contacts and notes. Anyone with the address can read it.
    async fn create_calendar_feed(
        &self,
        ctx: &Context<'_>,
        organisation_id: ID,
        name: String,
        language: Option<Language>,
    ) -> Result<CreatedCalendarFeed> {
        let actor = actor(ctx)?;
        let organisation = OrganisationId(parse_id("organisationId", &organisation_id)?);
        let name = required_line("name", &name, 100)?;
        authorize(
            ctx,
            |a| a.can_follow_calendar_of(organisation),
            "only the organisation's members follow its calendar",
        )?;
        let state = state(ctx)?;
        let language = language.map_or(actor.language, Into::into);
        let (feed, token) = calendar::create_private_feed(
            &state.db,
            actor.user_id,
            organisation,
            &name,
            language,
            Utc::now(),
        )
        .await?;
        Ok(CreatedCalendarFeed {
            feed: CalendarFeed(feed),
            url: format!("{}/ical/private/{token}.ics", state.base_url),
        })
    }

    /// Revokes one of your private feeds; its address stops working at once.
    async fn revoke_calendar_feed(&self, ctx: &Context<'_>, id: ID) -> Result<CalendarFeed> {
        let user = actor(ctx)?.user_id;
        let id = parse_id("id", &id)?;
        let feed = calendar::revoke_private_feed(&state(ctx)?.db, user, id, Utc::now()).await?;
        Ok(CalendarFeed(feed))
    }
}
