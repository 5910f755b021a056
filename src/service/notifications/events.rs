//! Who hears about an event: the admins of an organisation invited to co-host it, and
//! the admins of its co-hosts when it changes in a way a calendar shows or is cancelled.
use chrono::{DateTime, Utc};
use entity::event_cohost;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, StreamTrait};

use super::{calendar_part, members_with};
use crate::domain::event::{CohostStatus, EventStatus};
use crate::domain::ids::{EventId, OrganisationId};
use crate::domain::localized::Language;
use crate::domain::organisation::Role;
use crate::error::AppResult;
use crate::graphql::events::event_url;
use crate::ical::bookings::{Booker, Place as CalendarPlace};
use crate::ical::calendar::Party;
use crate::ical::events::{EventCalendar, EventSetting};
use crate::mail::message::{BookingItem, Invitation, MessageKind, Payload};
use crate::mail::transport::CalendarPart;
use crate::service::calendar;
use crate::service::events::{self, Event};
use crate::service::municipalities;
use crate::service::outbox::OutboxMessage;
use crate::service::outbox::{self, NewMessage};
use crate::service::{facilities, organisations};

/// Writes the invitation to co-host `event` to the admins of `organisation`.
pub async fn cohost_invited(
    db: &(impl ConnectionTrait + StreamTrait),
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
    db: &(impl ConnectionTrait + StreamTrait),
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
    db: &(impl ConnectionTrait + StreamTrait),
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
        let mut payload = payload(db, event, recipient.language).await?;
        payload.invitation = Some(match kind {
            MessageKind::EventCancelled => Invitation::Cancel,
            _ => Invitation::Request,
        });
        messages.push(NewMessage {
            kind,
            payload,
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
    db: &(impl ConnectionTrait + StreamTrait),
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
            title: None,
            facility: None,
            time_zone: None,
        })
        .collect();
    times.sort_by_key(|t| (t.start, t.id));
    let venue = events::bookings_of(db, &[event.id])
        .await?
        .remove(&event.id)
        .and_then(|v| v.into_iter().next());
    let (place, location) = match (&event.spec.external_place, venue) {
        (Some(place), _) => {
            let town = municipalities::by_code(db, &place.municipality_code)
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
            let town = municipalities::by_code(db, &facility.spec.municipality_code).await?;
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

/// The calendar part of a message about event `id`: its calendar object as it is now (the
/// feeds' items), or for a cancellation the cancelled event itself.
pub(super) async fn invitation(
    db: &(impl ConnectionTrait + StreamTrait),
    id: EventId,
    invitation: Invitation,
    message: &OutboxMessage,
    organizer: &Party,
    base_url: &str,
) -> AppResult<CalendarPart> {
    let event = events::get(db, id).await?;
    let language = message.recipient.language;
    let occurrences = events::occurrences_of(db, &[id], None)
        .await?
        .remove(&id)
        .unwrap_or_default();
    let venue = events::bookings_of(db, &[id])
        .await?
        .remove(&id)
        .and_then(|v| v.into_iter().next());
    let place = match (venue, &event.spec.external_place) {
        (Some(venue), _) => {
            let facility = facilities::get(db, venue.booking.facility_id).await?;
            let town = municipalities::by_code(db, &facility.spec.municipality_code).await?;
            Some(CalendarPlace::new(&facility, town.as_ref(), language))
        }
        (None, Some(external)) => {
            let town = municipalities::by_code(db, &external.municipality_code).await?;
            Some(CalendarPlace::external(
                external,
                town.as_ref(),
                language,
                event.schedule.zone,
            ))
        }
        (None, None) => None,
    };
    let hosts = events::hosts(db, &event).await?;
    let mut names = Vec::new();
    for organisation in std::iter::once(hosts.organiser).chain(hosts.accepted.iter().copied()) {
        names.push(Booker::new(
            &organisations::get(db, organisation).await?,
            language,
        ));
    }
    let organiser = names.remove(0);
    let setting = EventSetting {
        organiser: (organiser.name, organiser.email),
        cohosts: names.into_iter().map(|b| b.name).collect(),
        place,
        url: event_url(base_url, &event.slug),
    };
    let installation = calendar::installation(db).await?;
    let mapping = EventCalendar {
        installation: &installation,
        language,
    };
    let mut items = mapping.items(&event, &occurrences, &setting)?;
    if invitation == Invitation::Cancel {
        items.truncate(1);
    }
    Ok(calendar_part(
        items,
        invitation,
        message,
        organizer,
        event.schedule.zone,
    ))
}
