//! Listing events by time: each event once, at its first occurrence in the window, in one
//! statement over the occurrences' start index.
use chrono::{DateTime, Utc};
use entity::{booking, event, event_booking, event_cohost, event_occurrence, facility};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, StatementBuilder};

use super::{Event, by_ids};
use crate::domain::event::{
    CohostStatus, EventLanguages, EventVisibility, HyteThemes, Publication, TargetGroups,
};
use crate::domain::facility::AccessibilityFeatures;
use crate::domain::ids::{EventId, OrganisationId};
use crate::error::{AppError, AppResult};
use crate::service::organisations::text_condition;
use crate::service::pagination::Page;

/// Which events to list. Sets of themes, groups and languages match events with any of
/// them; accessibility features match venues that have all of them.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events with an occurrence ending after this.
    pub from: DateTime<Utc>,
    /// Events with an occurrence starting before this.
    pub to: Option<DateTime<Utc>>,
    /// In this municipality (Statistics Finland code).
    pub municipality_code: Option<String>,
    /// About any of these themes.
    pub themes: HyteThemes,
    /// For any of these groups.
    pub target_groups: TargetGroups,
    /// Organised or co-hosted by this organisation.
    pub host: Option<OrganisationId>,
    /// Free of charge only.
    pub free_only: bool,
    /// Held where every one of these features is offered.
    pub accessibility: AccessibilityFeatures,
    /// Held in any of these languages.
    pub languages: EventLanguages,
    /// Words found in the texts or keywords in any language.
    pub text: Option<String>,
    /// Whose events: the public's, or every event (drafts, private ones) an organisation
    /// hosts, for its members.
    pub hosted_by_members_of: Option<OrganisationId>,
}

/// An event in a listing, with the start it is listed by.
#[derive(Debug, Clone)]
pub struct ListedEvent {
    /// The event.
    pub event: Event,
    /// Its first occurrence's start inside the window.
    pub first_start: DateTime<Utc>,
}

/// Events hosted by `organisation`: organised, or co-hosted with the given statuses.
fn hosted_by(organisation: OrganisationId, cohost: &[CohostStatus]) -> Cond {
    Cond::any()
        .add(Expr::col((event::Entity, event::Column::OrganiserId)).eq(organisation.0))
        .add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(event_cohost::Entity)
                .and_where(
                    Expr::col((event_cohost::Entity, event_cohost::Column::EventId))
                        .equals((event::Entity, event::Column::Id)),
                )
                .and_where(Expr::col(event_cohost::Column::OrganisationId).eq(organisation.0))
                .and_where(
                    Expr::col(event_cohost::Column::Status)
                        .is_in(cohost.iter().map(|s| s.as_ref().to_string())),
                )
                .to_owned(),
        ))
}

/// Held where every feature in `bits` is offered: at an external place that has them,
/// or in booked facilities that all have them.
fn accessible(bits: i64) -> Cond {
    let venue = || {
        Query::select()
            .expr(Expr::val(1))
            .from(event_booking::Entity)
            .inner_join(
                booking::Entity,
                Expr::col((booking::Entity, booking::Column::Id))
                    .equals((event_booking::Entity, event_booking::Column::BookingId)),
            )
            .inner_join(
                facility::Entity,
                Expr::col((facility::Entity, facility::Column::Id))
                    .equals((booking::Entity, booking::Column::FacilityId)),
            )
            .and_where(
                Expr::col((event_booking::Entity, event_booking::Column::EventId))
                    .equals((event::Entity, event::Column::Id)),
            )
            .to_owned()
    };
    let lacking = venue()
        .and_where(
            Expr::col((facility::Entity, facility::Column::Accessibility))
                .bit_and(bits)
                .ne(bits),
        )
        .to_owned();
    Cond::any()
        .add(
            Cond::all()
                .add(Expr::exists(venue()))
                .add(Expr::exists(lacking).not()),
        )
        .add(
            Cond::all().add(Expr::exists(venue()).not()).add(
                Expr::col((event::Entity, event::Column::Accessibility))
                    .bit_and(bits)
                    .eq(bits),
            ),
        )
}

/// Occurrences in the filter's window.
fn in_window(filter: &EventFilter) -> Cond {
    let column = |c: event_occurrence::Column| Expr::col((event_occurrence::Entity, c));
    let mut window = Cond::all().add(column(event_occurrence::Column::EndsAt).gt(filter.from));
    if let Some(to) = filter.to {
        window = window.add(column(event_occurrence::Column::StartsAt).lt(to));
    }
    window
}

/// What `filter` asks of an event besides its time: audience, place, themes, hosts, text.
fn matches(filter: &EventFilter) -> Cond {
    let column = |c: event::Column| Expr::col((event::Entity, c));
    let mut matches = match filter.hosted_by_members_of {
        Some(organisation) => Cond::all().add(hosted_by(
            organisation,
            &[CohostStatus::Accepted, CohostStatus::Invited],
        )),
        None => Cond::all()
            .add(column(event::Column::Visibility).eq(EventVisibility::Public.as_ref()))
            .add(column(event::Column::Publication).eq(Publication::Published.as_ref())),
    };
    if let Some(code) = &filter.municipality_code {
        matches = matches.add(column(event::Column::MunicipalityCode).eq(code.as_str()));
    }
    for (c, bits) in [
        (event::Column::Themes, i64::from(filter.themes.bits())),
        (
            event::Column::TargetGroups,
            i64::from(filter.target_groups.bits()),
        ),
        (event::Column::Languages, i64::from(filter.languages.bits())),
    ] {
        if bits != 0 {
            matches = matches.add(column(c).bit_and(bits).ne(0));
        }
    }
    if let Some(host) = filter.host {
        matches = matches.add(hosted_by(host, &[CohostStatus::Accepted]));
    }
    if filter.free_only {
        matches = matches.add(column(event::Column::IsFree).eq(true));
    }
    let bits = i64::from(filter.accessibility.bits());
    if bits != 0 {
        matches = matches.add(accessible(bits));
    }
    if let Some(text) = &filter.text {
        matches = matches.add(text_condition(event::Column::SearchText, text));
    }
    matches
}

/// The grouped statement: matching events with their first start in the window.
fn grouped(filter: &EventFilter) -> SelectStatement {
    let first_start = Func::min(Expr::col((
        event_occurrence::Entity,
        event_occurrence::Column::StartsAt,
    )));
    Query::select()
        .column((event::Entity, event::Column::Id))
        .expr_as(first_start, Alias::new("first_start"))
        .from(event::Entity)
        .inner_join(
            event_occurrence::Entity,
            Expr::col((event_occurrence::Entity, event_occurrence::Column::EventId))
                .equals((event::Entity, event::Column::Id)),
        )
        .cond_where(in_window(filter))
        .cond_where(matches(filter))
        .group_by_col((event::Entity, event::Column::Id))
        .to_owned()
}

/// The condition that an event matches `filter` (the same events [`list`] gives): its own
/// columns checked once, then one probe of its occurrences for one in the window.
pub(in crate::service) fn matching(filter: &EventFilter) -> Cond {
    matches(filter).add(Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(event_occurrence::Entity)
            .and_where(
                Expr::col((event_occurrence::Entity, event_occurrence::Column::EventId))
                    .equals((event::Entity, event::Column::Id)),
            )
            .cond_where(in_window(filter))
            .to_owned(),
    ))
}

/// One page of events matching `filter`, by their first start in the window then id,
/// after the cursor `after` (a first start and an id).
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    first: u64,
    after: Option<(DateTime<Utc>, EventId)>,
) -> AppResult<Page<ListedEvent>> {
    let backend = db.get_database_backend();
    let base = grouped(filter);
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("count"))
        .from_subquery(base.clone(), Alias::new("matching"))
        .to_owned();
    let first_start = || Expr::col(Alias::new("first_start"));
    let mut page = Query::select()
        .column(Alias::new("id"))
        .column(Alias::new("first_start"))
        .from_subquery(base, Alias::new("matching"))
        .order_by_expr(first_start(), Order::Asc)
        .order_by(Alias::new("id"), Order::Asc)
        .limit(first + 1)
        .to_owned();
    if let Some((start, id)) = after {
        page.cond_where(
            Cond::any().add(first_start().gt(start)).add(
                Cond::all()
                    .add(first_start().eq(start))
                    .add(Expr::col(Alias::new("id")).gt(id.0)),
            ),
        );
    }
    let rows = db.query_all(&page).await?;
    let mut listed: Vec<(EventId, DateTime<Utc>)> = rows
        .iter()
        .map(|row| {
            Ok::<_, sea_orm::DbErr>((
                EventId(row.try_get::<i64>("", "id")?),
                row.try_get::<DateTime<Utc>>("", "first_start")?,
            ))
        })
        .collect::<Result<_, _>>()?;
    let has_next_page = listed.len() as u64 > first;
    listed.truncate(first as usize);
    let ids: Vec<EventId> = listed.iter().map(|(id, _)| *id).collect();
    let mut events: std::collections::HashMap<EventId, Event> = by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let rows = listed
        .into_iter()
        .map(|(id, first_start)| {
            events
                .remove(&id)
                .map(|event| ListedEvent { event, first_start })
                .ok_or_else(|| AppError::internal("a listed event vanished"))
        })
        .collect::<AppResult<_>>()?;
    Ok(Page {
        rows,
        has_next_page,
        count: StatementBuilder::build(&count, &backend),
    })
}
