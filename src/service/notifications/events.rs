//! Who hears about an event: the admins of an organisation invited to co-host it, and
//! the admins of its co-hosts when it changes in a way a calendar shows or is cancelled.
use chrono::{DateTime, Utc};
use entity::event_cohost;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{members_with, municipality};
use crate::domain::event::{CohostStatus, EventStatus};
use crate::domain::ids::OrganisationId;
use crate::domain::localized::Language;
use crate::domain::organisation::Role;
use crate::error::AppResult;
use crate::ical::bookings::{Booker, Place as CalendarPlace};
use crate::mail::message::{BookingItem, MessageKind, Payload};
use crate::service::events::{self, Event};
use crate::service::outbox::{self, NewMessage};
use crate::service::{facilities, organisations};

/// Writes the invitation to co-host `event` to the admins of `organisation`.
pub async fn cohost_invited(
    db: &impl ConnectionTrait,
    event: &Event,
    organisation: OrganisationId,
    now: DateTime<Utc>,
) -> AppResult<()> {
    write(db, event, MessageKind::CohostInvited, &[organisation], now).await
}

/// Writes what changing `before` into `after` tells the co-hosts' admins: nothing when
/// no calendar would show the change (its sequence stayed), that it was cancelled, or
/// that it changed.
pub async fn event_changed(
    db: &impl ConnectionTrait,
    before: &Event,
    after: &Event,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if after.sequence == before.sequence {
        return Ok(());
    }
    let kind = if after.status == EventStatus::Cancelled {
        MessageKind::EventCancelled
    } else {
        MessageKind::EventChanged
    };
    let cohosts: Vec<OrganisationId> = event_cohost::Entity::find()
        .filter(event_cohost::Column::EventId.eq(after.id.0))
        .filter(event_cohost::Column::Status.eq(CohostStatus::Accepted.as_ref()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| OrganisationId(c.organisation_id))
        .collect();
    write(db, after, kind, &cohosts, now).await
}

async fn write(
    db: &impl ConnectionTrait,
    event: &Event,
    kind: MessageKind,
    organisations: &[OrganisationId],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if organisations.is_empty() {
        return Ok(());
    }
    let recipients = members_with(db, organisations, &[Role::Admin]).await?;
    let mut messages = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        messages.push(NewMessage {
            kind,
            payload: payload(db, event, recipient.language).await?,
            recipient,
            booking_id: None,
            series_id: None,
            event_id: Some(event.id.0),
            due_at: now,
            dedup_key: None,
        });
    }
    outbox::enqueue(db, messages, now).await
}

/// What a message about `event` says, in `language`: its times still on, its place (the
/// first venue's facility, or the place it names, or its online address) and organiser.
async fn payload(
    db: &impl ConnectionTrait,
    event: &Event,
    language: Language,
) -> AppResult<Payload> {
    let occurrences = events::occurrences_of(db, &[event.id], None)
        .await?
        .remove(&event.id)
        .unwrap_or_default();
    let mut times: Vec<BookingItem> = occurrences
        .iter()
        .filter(|o| event.status == EventStatus::Cancelled || o.status != EventStatus::Cancelled)
        .map(|o| BookingItem {
            id: o.id,
            start: o.range.start(),
            end: o.range.end(),
            previous: None,
        })
        .collect();
    times.sort_by_key(|t| (t.start, t.id));
    let venue = events::bookings_of(db, &[event.id])
        .await?
        .remove(&event.id)
        .and_then(|v| v.into_iter().next());
    let (place, location) = match (&event.spec.external_place, venue) {
        (Some(place), _) => {
            let town = municipality(db, &place.municipality_code)
                .await?
                .map(|m| match language {
                    Language::Sv => m.name_sv,
                    Language::Fi | Language::En => m.name_fi,
                });
            let location = [Some(place.name.clone()), place.street_address.clone(), town]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            (place.name.clone(), location)
        }
        (None, Some(venue)) => {
            let facility = facilities::get(db, venue.booking.facility_id).await?;
            let town = municipality(db, &facility.spec.municipality_code).await?;
            let name = facility
                .spec
                .name
                .best(language)
                .unwrap_or_default()
                .to_string();
            (
                name,
                CalendarPlace::new(&facility, town.as_ref(), language).location,
            )
        }
        (None, None) => {
            let online = event
                .spec
                .online_url
                .as_ref()
                .map(|u| u.as_str().to_string());
            (
                online.clone().unwrap_or_default(),
                online.unwrap_or_default(),
            )
        }
    };
    let organiser = organisations::get(db, event.organiser_id).await?;
    Ok(Payload {
        title: event.title(language).to_string(),
        facility: place,
        location,
        time_zone: event.schedule.zone.name().to_string(),
        organisation: Booker::new(&organiser, language).name,
        reason: event.status_reason.clone(),
        pending: false,
        bookings: times,
        skipped: Vec::new(),
        invitation: None,
    })
}
