//! Co-hosting: the organiser invites organisations, their admins accept or decline, and
//! accepted co-hosts appear as co-organisers (a change calendars show).
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{event, event_cohost};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, Unchanged,
};

use super::changes::managed;
use super::{Event, get};
use crate::domain::event::CohostStatus;
use crate::domain::ids::{EventId, OrganisationId, UserId};
use crate::domain::permissions::Access;
use crate::error::{AppError, AppResult};
use crate::service::database;
use crate::service::notifications::cohost_invited;
use crate::service::organisations;

/// An organisation invited to co-host an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohost {
    /// The event.
    pub event_id: EventId,
    /// The invited organisation.
    pub organisation_id: OrganisationId,
    /// Its answer so far.
    pub status: CohostStatus,
    /// When it was invited.
    pub invited_at: DateTime<Utc>,
    /// When it answered.
    pub responded_at: Option<DateTime<Utc>>,
}

fn to_cohost(m: event_cohost::Model) -> AppResult<Cohost> {
    Ok(Cohost {
        event_id: EventId(m.event_id),
        organisation_id: OrganisationId(m.organisation_id),
        status: m
            .status
            .parse()
            .map_err(|_| AppError::internal("corrupt co-host status in the database"))?,
        invited_at: m.invited_at,
        responded_at: m.responded_at,
    })
}

/// The invitations of these events, in the order they were sent.
pub async fn cohosts_of(
    db: &impl ConnectionTrait,
    events: &[EventId],
) -> AppResult<HashMap<EventId, Vec<Cohost>>> {
    let mut found: HashMap<EventId, Vec<Cohost>> = HashMap::new();
    for row in event_cohost::Entity::find()
        .filter(event_cohost::Column::EventId.is_in(events.iter().map(|e| e.0)))
        .order_by_asc(event_cohost::Column::InvitedAt)
        .order_by_asc(event_cohost::Column::OrganisationId)
        .all(db)
        .await?
    {
        let cohost = to_cohost(row)?;
        found.entry(cohost.event_id).or_default().push(cohost);
    }
    Ok(found)
}

async fn invitation(
    db: &impl ConnectionTrait,
    event: EventId,
    organisation: OrganisationId,
) -> AppResult<Option<Cohost>> {
    event_cohost::Entity::find_by_id((event.0, organisation.0))
        .one(db)
        .await?
        .map(to_cohost)
        .transpose()
}

/// Grows the event's sequence: its co-organisers, which calendars show, changed.
async fn touch(db: &impl ConnectionTrait, event: &Event, now: DateTime<Utc>) -> AppResult<()> {
    event::ActiveModel {
        id: Unchanged(event.id.0),
        sequence: Set(event.sequence + 1),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Invites `organisation` to co-host (again, if it declined before): the organiser's members.
pub async fn invite_cohost(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: EventId,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> AppResult<Cohost> {
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(
        &txn,
        access,
        id,
        "only the organiser's members invite co-hosts",
    )
    .await?;
    organisations::get(&txn, organisation)
        .await
        .map_err(|_| AppError::not_found("organisation", organisation))?;
    if organisation == event.organiser_id {
        return Err(AppError::Conflict {
            message: "the organiser hosts the event already".into(),
            field: Some("organisationId".into()),
        });
    }
    let row = event_cohost::ActiveModel {
        event_id: Set(id.0),
        organisation_id: Set(organisation.0),
        status: Set(CohostStatus::Invited.as_ref().to_string()),
        invited_by: Set(user.0),
        invited_at: Set(now),
        responded_by: Set(None),
        responded_at: Set(None),
    };
    match invitation(&txn, id, organisation).await? {
        None => {
            row.insert(&txn).await?;
        }
        Some(existing) if existing.status == CohostStatus::Declined => {
            row.update(&txn).await?;
        }
        Some(_) => {
            return Err(AppError::Conflict {
                message: "the organisation is already invited".into(),
                field: Some("organisationId".into()),
            });
        }
    }
    let cohost = invitation(&txn, id, organisation)
        .await?
        .ok_or_else(|| AppError::internal("the invitation vanished"))?;
    cohost_invited(&txn, &event, organisation, now).await?;
    txn.commit().await?;
    Ok(cohost)
}

/// Accepts or declines an invitation: the invited organisation's admins. An accepted
/// co-host may also change its mind and decline later.
pub async fn answer_invitation(
    db: &DatabaseConnection,
    access: &Access,
    user: UserId,
    id: EventId,
    organisation: OrganisationId,
    accept: bool,
    now: DateTime<Utc>,
) -> AppResult<Cohost> {
    let txn = database::begin_write(db).await?;
    let event = get(&txn, id).await?;
    let current = invitation(&txn, id, organisation)
        .await?
        .filter(|_| access.role_in(organisation).is_some() || access.is_coordinator())
        .ok_or_else(|| AppError::not_found("invitation", format!("{id}/{organisation}")))?;
    if !access.can_answer_for(organisation) {
        return Err(AppError::Forbidden(
            "only the invited organisation's admins answer an invitation",
        ));
    }
    let next = if accept {
        CohostStatus::Accepted
    } else {
        CohostStatus::Declined
    };
    if current.status == next {
        return Ok(current);
    }
    if current.status == CohostStatus::Declined {
        return Err(AppError::Conflict {
            message: "the invitation was declined; the organiser may invite again".into(),
            field: Some("organisationId".into()),
        });
    }
    event_cohost::ActiveModel {
        event_id: Unchanged(id.0),
        organisation_id: Unchanged(organisation.0),
        status: Set(next.as_ref().to_string()),
        responded_by: Set(Some(user.0)),
        responded_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    if current.status == CohostStatus::Accepted || next == CohostStatus::Accepted {
        touch(&txn, &event, now).await?;
    }
    let answered = invitation(&txn, id, organisation)
        .await?
        .ok_or_else(|| AppError::internal("the invitation vanished"))?;
    txn.commit().await?;
    Ok(answered)
}

/// Withdraws an invitation or ends a co-hosting: the organiser's members.
pub async fn remove_cohost(
    db: &DatabaseConnection,
    access: &Access,
    id: EventId,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let txn = database::begin_write(db).await?;
    let (event, _) = managed(
        &txn,
        access,
        id,
        "only the organiser's members remove co-hosts",
    )
    .await?;
    let current = invitation(&txn, id, organisation)
        .await?
        .ok_or_else(|| AppError::not_found("invitation", format!("{id}/{organisation}")))?;
    event_cohost::Entity::delete_by_id((id.0, organisation.0))
        .exec(&txn)
        .await?;
    if current.status == CohostStatus::Accepted {
        touch(&txn, &event, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
