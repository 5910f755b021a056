//! The data of calendar feeds, read in a constant number of queries per feed, and the
//! members' private feed tokens.
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::{
    app_user, booking, booking_series, calendar_feed, event, event_booking, facility, installation,
    organisation,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, Set, StreamTrait,
};

use super::bookings::series::{Series, to_series};
use super::bookings::{Booking, to_booking};
use super::events::{
    Event, EventFilter, Occurrence, held_at, hosts_of, matching, occurrences_of, to_event,
};
use super::facilities::{self, Facility, to_facility};
use super::organisations::{self, Organisation, to_organisation};
use super::packed;
use super::users::{self, new_secret};
use crate::domain::booking::BookingStatus;
use crate::domain::event::EventStatus;
use crate::domain::ids::{EventId, FacilityId, OrganisationId, UserId};
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
/// recently, and every row of each series with such a row; none that is the venue of an
/// event in the feed (the event stands for it).
fn feed_condition(query: &FeedQuery, scope: BookingScope, window: FeedWindow) -> Condition {
    let mut scoped = Condition::all().add(scope_condition(scope));
    if let Some(events) = &query.events {
        let venues = Query::select()
            .column(event_booking::Column::BookingId)
            .from(event_booking::Entity)
            .and_where(event_booking::Column::EventId.in_subquery(event_ids(events, window)))
            .to_owned();
        scoped = scoped.add(booking::Column::Id.not_in_subquery(venues));
    }
    let visible = Condition::all()
        .add(scoped)
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

/// The aggregates of a fingerprint over `table` (ours, never user input): the count, the
/// sums of ids and sequences, the last change.
fn aggregates(table: &str) -> SelectStatement {
    Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "row_count")
        .expr_as(
            Expr::cust(format!("CAST(COALESCE(SUM({table}.id), 0) AS BIGINT)")),
            "id_sum",
        )
        .expr_as(
            Expr::cust(format!(
                "CAST(COALESCE(SUM({table}.sequence), 0) AS BIGINT)"
            )),
            "sequence_sum",
        )
        .expr_as(Expr::cust(format!("MAX({table}.updated_at)")), "row_change")
        .to_owned()
}

/// The fingerprint of the bookings of `scope` in the feed.
async fn booking_fingerprint(
    db: &impl ConnectionTrait,
    query: &FeedQuery,
    scope: BookingScope,
    window: FeedWindow,
) -> AppResult<Fingerprint> {
    let statement = aggregates("booking")
        .expr_as(Expr::cust("MAX(facility.updated_at)"), "place_change")
        .expr_as(Expr::cust("MAX(organisation.updated_at)"), "host_change")
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
        .cond_where(feed_condition(query, scope, window))
        .to_owned();
    read_fingerprint(db, &statement).await
}

/// The fingerprint of the events of the feed (the newest start is a first occurrence's).
async fn event_fingerprint(
    db: &impl ConnectionTrait,
    events: &EventSelection,
    window: FeedWindow,
) -> AppResult<Fingerprint> {
    let statement = aggregates("event")
        .expr_as(Expr::cust("MAX(organisation.updated_at)"), "host_change")
        .expr_as(Expr::cust("NULL"), "place_change")
        .expr_as(
            Expr::cust_with_values(
                "MAX(CASE WHEN event.starts_at < $1 THEN event.starts_at END)",
                [window.until],
            ),
            "newest_start",
        )
        .from(event::Entity)
        .inner_join(
            organisation::Entity,
            Expr::col((organisation::Entity, organisation::Column::Id))
                .equals((event::Entity, event::Column::OrganiserId)),
        )
        .cond_where(selected(events, window))
        .to_owned();
    read_fingerprint(db, &statement).await
}

async fn read_fingerprint(
    db: &impl ConnectionTrait,
    statement: &SelectStatement,
) -> AppResult<Fingerprint> {
    let row = db
        .query_one(statement)
        .await?
        .ok_or_else(|| AppError::internal("an aggregate without a row"))?;
    let time = |column: &str| row.try_get::<Option<DateTime<Utc>>>("", column);
    let last_change = [
        time("row_change")?,
        time("place_change")?,
        time("host_change")?,
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

/// What a feed holds: bookings of a scope, events of a selection, or both.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    /// The bookings.
    pub bookings: Option<BookingScope>,
    /// The events.
    pub events: Option<EventSelection>,
}

impl FeedQuery {
    /// A facility's feed: its bookings and the public events held there.
    pub fn facility(id: FacilityId) -> Self {
        Self {
            bookings: Some(BookingScope::Facility(id)),
            events: Some(EventSelection {
                filter: EventFilter::default(),
                venue: Some(id),
            }),
        }
    }

    /// An organisation's public feed: its public bookings and the public events it hosts.
    pub fn organisation(id: OrganisationId) -> Self {
        Self {
            bookings: Some(BookingScope::PublicOfOrganisation(id)),
            events: Some(EventSelection {
                filter: EventFilter {
                    host: Some(id),
                    ..EventFilter::default()
                },
                venue: None,
            }),
        }
    }

    /// A member's feed of an organisation: its and its facilities' bookings, every event
    /// it hosts or is invited to host.
    pub fn member(id: OrganisationId) -> Self {
        Self {
            bookings: Some(BookingScope::Member(id)),
            events: Some(EventSelection {
                filter: EventFilter {
                    hosted_by_members_of: Some(id),
                    ..EventFilter::default()
                },
                venue: None,
            }),
        }
    }

    /// The public events that `filter` lists.
    pub fn events(filter: EventFilter) -> Self {
        Self {
            bookings: None,
            events: Some(EventSelection {
                filter,
                venue: None,
            }),
        }
    }
}

/// Which events a feed holds.
#[derive(Debug, Clone)]
pub struct EventSelection {
    /// The events listing's filter (its window is the feed's).
    pub filter: EventFilter,
    /// Only events held at this facility.
    pub venue: Option<FacilityId>,
}

/// The selected events: listed by the filter in the window, cancelled ones only while
/// they are recent, held at the venue if one is given.
fn selected(events: &EventSelection, window: FeedWindow) -> Condition {
    let mut filter = events.filter.clone();
    filter.from = window.from;
    filter.to = Some(window.until);
    let mut selected = Condition::all().add(matching(&filter)).add(
        Condition::any()
            .add(event::Column::Status.ne(EventStatus::Cancelled.as_ref()))
            .add(event::Column::UpdatedAt.gte(window.cancelled_since)),
    );
    if let Some(venue) = events.venue {
        selected = selected.add(event::Column::Id.in_subquery(held_at(venue)));
    }
    selected
}

/// The ids of the [`selected`] events.
fn event_ids(events: &EventSelection, window: FeedWindow) -> SelectStatement {
    Query::select()
        .column((event::Entity, event::Column::Id))
        .from(event::Entity)
        .cond_where(selected(events, window))
        .to_owned()
}

/// The fingerprints of the feed's bookings and events.
pub async fn fingerprint(
    db: &impl ConnectionTrait,
    query: &FeedQuery,
    window: FeedWindow,
) -> AppResult<(Fingerprint, Fingerprint)> {
    let bookings = match query.bookings {
        Some(scope) => booking_fingerprint(db, query, scope, window).await?,
        None => Fingerprint::default(),
    };
    let events = match &query.events {
        Some(events) => event_fingerprint(db, events, window).await?,
        None => Fingerprint::default(),
    };
    Ok((bookings, events))
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

/// The bookings of the feed in `window`, in four queries.
async fn feed_bookings(
    db: &impl ConnectionTrait,
    query: &FeedQuery,
    scope: BookingScope,
    window: FeedWindow,
) -> AppResult<FeedBookings> {
    let condition = feed_condition(query, scope, window);
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

/// The events of a feed with everything needed to show them.
#[derive(Debug, Default)]
pub struct FeedEvents {
    /// The events, by id.
    pub events: Vec<Event>,
    /// All occurrences of each recurring event, by start.
    pub occurrences: HashMap<EventId, Vec<Occurrence>>,
    /// The co-hosts that accepted, by event, in the order they were invited.
    pub cohosts: HashMap<EventId, Vec<OrganisationId>>,
    /// The facility each event is held in (its first venue booking's).
    pub venues: HashMap<EventId, FacilityId>,
    /// The organisers and co-hosts.
    pub organisations: HashMap<OrganisationId, Organisation>,
    /// The venue facilities.
    pub facilities: HashMap<FacilityId, Facility>,
}

/// The events of the feed in `window`, in six queries: the selection is evaluated once,
/// the rest is read by the events' ids.
async fn feed_events(
    db: &(impl ConnectionTrait + StreamTrait),
    events: &EventSelection,
    window: FeedWindow,
) -> AppResult<FeedEvents> {
    let mut rows = packed::read(
        db,
        event::Entity::find().filter(selected(events, window)),
        to_event,
    )
    .await?;
    rows.sort_by_key(|e| e.id);
    let ids: Vec<EventId> = rows.iter().map(|e| e.id).collect();
    // A single event's row is its one occurrence; only series need theirs.
    let series: Vec<EventId> = rows
        .iter()
        .filter(|e| e.schedule.recurrence.is_some())
        .map(|e| e.id)
        .collect();
    let occurrences = occurrences_of(db, &series, None).await?;
    let cohosts: HashMap<EventId, Vec<OrganisationId>> =
        hosts_of(db, &rows.iter().collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|(id, hosts)| (id, hosts.accepted))
            .collect();
    let hosts: BTreeSet<OrganisationId> = rows
        .iter()
        .map(|e| e.organiser_id)
        .chain(cohosts.values().flatten().copied())
        .collect();
    let organisations = organisations::by_ids(db, &hosts.into_iter().collect::<Vec<_>>())
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let venue_rows: Vec<(i64, i64)> = event_booking::Entity::find()
        .select_only()
        .column(event_booking::Column::EventId)
        .column_as(booking::Column::FacilityId, "facility_id")
        .join(
            JoinType::InnerJoin,
            event_booking::Entity::belongs_to(booking::Entity)
                .from(event_booking::Column::BookingId)
                .to(booking::Column::Id)
                .into(),
        )
        .filter(event_booking::Column::EventId.is_in(ids.iter().map(|e| e.0)))
        .order_by_asc(booking::Column::StartsAt)
        .order_by_asc(booking::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut venues = HashMap::new();
    for (event, facility) in venue_rows {
        venues.entry(EventId(event)).or_insert(FacilityId(facility));
    }
    let places: BTreeSet<FacilityId> = venues.values().copied().collect();
    let facilities = facilities::by_ids(db, &places.into_iter().collect::<Vec<_>>())
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    Ok(FeedEvents {
        events: rows,
        occurrences,
        cohosts,
        venues,
        organisations,
        facilities,
    })
}

/// Everything a feed shows.
#[derive(Debug, Default)]
pub struct FeedData {
    /// The bookings.
    pub bookings: FeedBookings,
    /// The events.
    pub events: FeedEvents,
}

/// The data of the feed in `window`, in a constant number of queries (at most ten).
pub async fn feed_data(
    db: &(impl ConnectionTrait + StreamTrait),
    query: &FeedQuery,
    window: FeedWindow,
) -> AppResult<FeedData> {
    let bookings = match query.bookings {
        Some(scope) => feed_bookings(db, query, scope, window).await?,
        None => FeedBookings::default(),
    };
    let events = match &query.events {
        Some(events) => feed_events(db, events, window).await?,
        None => FeedEvents::default(),
    };
    Ok(FeedData { bookings, events })
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
