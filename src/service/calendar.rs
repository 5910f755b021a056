//! The data of calendar feeds, read in a constant number of queries per feed, and the
//! members' private feed tokens.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    app_user, booking, booking_series, calendar_feed, facility, installation, organisation,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::bookings::series::{Series, to_series};
use super::bookings::{Booking, to_booking};
use super::facilities::{Facility, to_facility};
use super::organisations::{Organisation, to_organisation};
use super::users::{self, new_secret};
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{FacilityId, OrganisationId, UserId};
use crate::domain::localized::Language;
use crate::domain::permissions::Actor;
use crate::error::{AppError, AppResult};
use crate::ical::Installation;

/// This installation's calendar id, made once by the migration.
pub async fn installation(db: &impl ConnectionTrait) -> AppResult<Installation> {
    installation::Entity::find_by_id(1)
        .select_only()
        .column(installation::Column::CalendarId)
        .into_tuple::<String>()
        .one(db)
        .await?
        .map(Installation::new)
        .ok_or_else(|| AppError::internal("the installation row is missing"))
}

/// Which bookings a feed holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingScope {
    /// Every booking of a facility (the caller shows private ones as busy time).
    Facility(FacilityId),
    /// The public bookings an organisation made at published facilities.
    PublicOfOrganisation(OrganisationId),
    /// For the organisation's members: the bookings it made and those of its facilities.
    Member(OrganisationId),
}

/// The time a feed covers, and since when cancelled items stay in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedWindow {
    /// Items that end after this.
    pub from: DateTime<Utc>,
    /// Items that start before this.
    pub until: DateTime<Utc>,
    /// Cancelled and rejected items whose status changed after this.
    pub cancelled_since: DateTime<Utc>,
}

/// Bookings of `scope` (the same condition for a series' rows and for a single booking).
fn scope_condition(scope: BookingScope) -> Condition {
    let facilities = |filter: Condition| -> SelectStatement {
        Query::select()
            .column(facility::Column::Id)
            .from(facility::Entity)
            .cond_where(filter)
            .to_owned()
    };
    match scope {
        BookingScope::Facility(id) => Condition::all().add(booking::Column::FacilityId.eq(id.0)),
        BookingScope::PublicOfOrganisation(id) => Condition::all()
            .add(booking::Column::OrganisationId.eq(id.0))
            .add(booking::Column::Public.eq(true))
            .add(booking::Column::FacilityId.in_subquery(facilities(
                Condition::all().add(facility::Column::Published.eq(true)),
            ))),
        BookingScope::Member(id) => Condition::any()
            .add(booking::Column::OrganisationId.eq(id.0))
            .add(booking::Column::FacilityId.in_subquery(facilities(
                Condition::all().add(facility::Column::OwnerId.eq(id.0)),
            ))),
    }
}

/// The feed's bookings: single bookings in the window that hold time or were called off
/// recently, and every row of each series with such a row.
fn feed_condition(scope: BookingScope, window: FeedWindow) -> Condition {
    let visible = Condition::all()
        .add(scope_condition(scope))
        .add(booking::Column::EndsAt.gt(window.from))
        .add(booking::Column::StartsAt.lt(window.until))
        .add(
            Condition::any()
                .add(booking::Column::Status.is_in([
                    BookingStatus::Pending.as_ref(),
                    BookingStatus::Confirmed.as_ref(),
                ]))
                .add(booking::Column::StatusChangedAt.gte(window.cancelled_since)),
        );
    let series = Query::select()
        .column(booking::Column::SeriesId)
        .from(booking::Entity)
        .cond_where(visible.clone().add(booking::Column::SeriesId.is_not_null()))
        .to_owned();
    Condition::any()
        .add(visible.add(booking::Column::SeriesId.is_null()))
        .add(booking::Column::SeriesId.in_subquery(series))
}

/// What a feed's bookings are, in one aggregate row: enough to tell whether the feed
/// changed without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fingerprint {
    /// How many rows.
    pub count: i64,
    /// The sum of their ids (the set changes, the sum almost surely does too).
    pub id_sum: i64,
    /// The sum of their sequences (grows with every change).
    pub sequence_sum: i64,
    /// The last change of a row, its facility or its booker.
    pub last_change: Option<DateTime<Utc>>,
    /// The latest start before the window's end: the newest item to enter the window.
    pub newest_start: Option<DateTime<Utc>>,
}

/// The fingerprint of the feed of `scope` in `window`.
pub async fn fingerprint(
    db: &impl ConnectionTrait,
    scope: BookingScope,
    window: FeedWindow,
) -> AppResult<Fingerprint> {
    let statement = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "row_count")
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(booking.id), 0) AS BIGINT)"),
            "id_sum",
        )
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(booking.sequence), 0) AS BIGINT)"),
            "sequence_sum",
        )
        .expr_as(Expr::cust("MAX(booking.updated_at)"), "booking_change")
        .expr_as(Expr::cust("MAX(facility.updated_at)"), "facility_change")
        .expr_as(
            Expr::cust("MAX(organisation.updated_at)"),
            "organisation_change",
        )
        .expr_as(
            Expr::cust_with_values(
                "MAX(CASE WHEN booking.starts_at < $1 THEN booking.starts_at END)",
                [window.until],
            ),
            "newest_start",
        )
        .from(booking::Entity)
        .inner_join(
            facility::Entity,
            Expr::col((facility::Entity, facility::Column::Id))
                .equals((booking::Entity, booking::Column::FacilityId)),
        )
        .inner_join(
            organisation::Entity,
            Expr::col((organisation::Entity, organisation::Column::Id))
                .equals((booking::Entity, booking::Column::OrganisationId)),
        )
        .cond_where(feed_condition(scope, window))
        .to_owned();
    let row = db
        .query_one(&statement)
        .await?
        .ok_or_else(|| AppError::internal("an aggregate without a row"))?;
    let time = |column: &str| row.try_get::<Option<DateTime<Utc>>>("", column);
    let last_change = [
        time("booking_change")?,
        time("facility_change")?,
        time("organisation_change")?,
    ]
    .into_iter()
    .flatten()
    .max();
    Ok(Fingerprint {
        count: row.try_get("", "row_count")?,
        id_sum: row.try_get("", "id_sum")?,
        sequence_sum: row.try_get("", "sequence_sum")?,
        last_change,
        newest_start: time("newest_start")?,
    })
}

/// The bookings of a feed with everything needed to show them.
#[derive(Debug, Default)]
pub struct FeedBookings {
    /// Bookings that are not occurrences of a series, by id.
    pub singles: Vec<Booking>,
    /// Series with all their rows (by id).
    pub series: Vec<(Series, Vec<Booking>)>,
    /// The facilities of the bookings.
    pub facilities: HashMap<FacilityId, Facility>,
    /// The booking organisations.
    pub organisations: HashMap<OrganisationId, Organisation>,
}

/// The bookings of the feed of `scope` in `window`, in four queries.
pub async fn feed_bookings(
    db: &impl ConnectionTrait,
    scope: BookingScope,
    window: FeedWindow,
) -> AppResult<FeedBookings> {
    let condition = feed_condition(scope, window);
    let rows_of = |column: booking::Column| {
        Query::select()
            .column(column)
            .from(booking::Entity)
            .cond_where(condition.clone())
            .to_owned()
    };
    let series_models = booking_series::Entity::find()
        .filter(booking_series::Column::Id.in_subquery(rows_of(booking::Column::SeriesId)))
        .order_by_asc(booking_series::Column::Id)
        .all(db)
        .await?;
    let facilities = facility::Entity::find()
        .filter(facility::Column::Id.in_subquery(rows_of(booking::Column::FacilityId)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_facility(m).map(|f| (f.id, f)))
        .collect::<AppResult<_>>()?;
    let organisations = organisation::Entity::find()
        .filter(organisation::Column::Id.in_subquery(rows_of(booking::Column::OrganisationId)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| to_organisation(m).map(|o| (o.id, o)))
        .collect::<AppResult<_>>()?;
    let mut singles = Vec::new();
    let mut by_series: HashMap<i64, Vec<Booking>> = HashMap::new();
    for model in booking::Entity::find()
        .filter(condition.clone())
        .order_by_asc(booking::Column::Id)
        .all(db)
        .await?
    {
        let row = to_booking(model)?;
        match row.series_id {
            Some(series) => by_series.entry(series).or_default().push(row),
            None => singles.push(row),
        }
    }
    let series = series_models
        .into_iter()
        .map(|m| {
            let rows = by_series.remove(&m.id).unwrap_or_default();
            to_series(m).map(|s| (s, rows))
        })
        .collect::<AppResult<_>>()?;
    Ok(FeedBookings {
        singles,
        series,
        facilities,
        organisations,
    })
}

/// A member's private feed of an organisation.
#[derive(Debug, Clone)]
pub struct PrivateFeed {
    /// Id.
    pub id: i64,
    /// Whose it is.
    pub user_id: UserId,
    /// The organisation whose bookings it holds.
    pub organisation_id: OrganisationId,
    /// The name its owner gave it.
    pub name: String,
    /// The language of its texts.
    pub language: Language,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Revoked, if it was; a revoked feed answers 404.
    pub revoked_at: Option<DateTime<Utc>>,
}

fn to_private_feed(m: calendar_feed::Model) -> AppResult<PrivateFeed> {
    Ok(PrivateFeed {
        id: m.id,
        user_id: UserId(m.user_id),
        organisation_id: OrganisationId(m.organisation_id),
        name: m.name,
        language: m
            .language
            .parse()
            .map_err(|_| AppError::internal("corrupt feed language in the database"))?,
        created_at: m.created_at,
        revoked_at: m.revoked_at,
    })
}

/// Creates a private feed of `organisation` for `user`; the token is returned once and
/// only its hash is stored. The caller checks that the user may follow the organisation.
pub async fn create_private_feed(
    db: &impl ConnectionTrait,
    user: UserId,
    organisation: OrganisationId,
    name: &str,
    language: Language,
    now: DateTime<Utc>,
) -> AppResult<(PrivateFeed, String)> {
    let (token, hash) = new_secret("ycal_");
    let model = calendar_feed::ActiveModel {
        user_id: Set(user.0),
        organisation_id: Set(organisation.0),
        name: Set(name.to_string()),
        language: Set(language.as_ref().to_string()),
        token_hash: Set(hash),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((to_private_feed(model)?, token))
}

/// The user's private feeds, newest first.
pub async fn private_feeds_of(
    db: &impl ConnectionTrait,
    user: UserId,
) -> AppResult<Vec<PrivateFeed>> {
    calendar_feed::Entity::find()
        .filter(calendar_feed::Column::UserId.eq(user.0))
        .order_by_desc(calendar_feed::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_private_feed)
        .collect()
}

/// Revokes one of the user's own private feeds; its address answers 404 from now on.
pub async fn revoke_private_feed(
    db: &impl ConnectionTrait,
    user: UserId,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<PrivateFeed> {
    let model = calendar_feed::Entity::find_by_id(id)
        .filter(calendar_feed::Column::UserId.eq(user.0))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("calendarFeed", id))?;
    if model.revoked_at.is_some() {
        return to_private_feed(model);
    }
    let mut active: calendar_feed::ActiveModel = model.into();
    active.revoked_at = Set(Some(now));
    to_private_feed(active.update(db).await?)
}

/// The live feed with this token and its owner as they are now (memberships reloaded on
/// every fetch); `None` for an unknown or revoked token.
pub async fn private_feed_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Option<(PrivateFeed, Actor)>> {
    let found = calendar_feed::Entity::find()
        .filter(calendar_feed::Column::TokenHash.eq(users::hash_secret(token)))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .find_also_related(app_user::Entity)
        .one(db)
        .await?;
    let Some((feed, Some(user))) = found else {
        return Ok(None);
    };
    let actor = users::actor_of(db, user).await?;
    Ok(Some((to_private_feed(feed)?, actor)))
}
