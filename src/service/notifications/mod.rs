//! Who hears about a change of bookings, and what: each change writes its messages to
//! the outbox inside its own transaction, so they exist exactly when the change does.
//! One change gives one message per recipient, however many bookings it touches: a
//! series, or a series cancelled by its facility's manager, is one message.
//!
//! The booker is the user who booked, in their language. The facility's side is its
//! contact person when the facility gives an email for them (in the language of the
//! user with that address, Finnish when there is none), otherwise the owner's facility
//! managers and admins, each in their own language.
//!
//! Confirmed bookings carry an invitation; its calendar object is made when the message
//! is sent ([`invitation`]) with the feeds' mapping of bookings to calendar items.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entity::{app_user, booking, booking_history, membership};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, StreamTrait};

use super::bookings::series::{self, SeriesOccurrence};
use super::bookings::{Booking, Transition, to_booking};
use super::calendar;
use super::facilities::{self, Facility};
use super::municipalities;
use super::organisations::{self, Organisation};
use super::outbox::{self, NewMessage, OutboxMessage};
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{EventId, FacilityId, OrganisationId, UserId};
use crate::domain::localized::Language;
use crate::domain::municipality::Municipality;
use crate::domain::organisation::Role;
use crate::domain::permissions::Actor;
use crate::domain::time_range::TimeRange;
use crate::error::{AppError, AppResult};
use crate::ical::Installation;
use crate::ical::bookings::{Booker, BookingCalendar, Detail, Place as CalendarPlace};
use crate::ical::calendar::{CalendarHeader, CalendarItem, ItemStatus, Method, Party};
use crate::mail::message::{BookingItem, Invitation, MessageKind, Payload, Recipient, SkippedItem};
use crate::mail::transport::CalendarPart;

mod events;
pub use events::{cohost_invited, event_changed};

/// A change of bookings that someone should hear about.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A booking was made (pending or confirmed).
    Created(&'a Booking),
    /// A manager approved pending bookings (one, or several of one booker).
    Approved(&'a [Booking]),
    /// A manager turned pending bookings down.
    Rejected(&'a [Booking]),
    /// Bookings (one, or occurrences of a series) were cancelled; `by_manager` when
    /// one of the facility's managers did it.
    Cancelled {
        /// The cancelled bookings, as they are now.
        bookings: &'a [Booking],
        /// Whether a manager of the facility cancelled.
        by_manager: bool,
    },
    /// A booking was moved from `from` to its present time.
    Moved {
        /// The booking, as it is now.
        booking: &'a Booking,
        /// Its time before.
        from: TimeRange,
    },
    /// A series was booked (in a transaction its caller may still roll back).
    SeriesBooked {
        /// The series.
        series_id: i64,
        /// The bookings made.
        booked: &'a [Booking],
        /// Every occurrence the rule gave and what became of it.
        occurrences: &'a [SeriesOccurrence],
    },
}

impl<'a> Change<'a> {
    /// The change a status transition of `bookings` (as they are now, of one booker) made;
    /// `by_manager` when the facilities' managers made it.
    pub fn of_transition(
        transition: Transition,
        bookings: &'a [Booking],
        by_manager: bool,
    ) -> Self {
        match transition {
            Transition::Approve => Self::Approved(bookings),
            Transition::Reject => Self::Rejected(bookings),
            Transition::Cancel => Self::Cancelled {
                bookings,
                by_manager,
            },
        }
    }
}

/// The bookings a change is about.
fn bookings_of<'a>(change: &Change<'a>) -> Vec<&'a Booking> {
    match *change {
        Change::Created(booking) | Change::Moved { booking, .. } => vec![booking],
        Change::Approved(bookings)
        | Change::Rejected(bookings)
        | Change::Cancelled { bookings, .. } => bookings.iter().collect(),
        Change::SeriesBooked { booked, .. } => booked.iter().collect(),
    }
}

/// Writes the messages `change` calls for, with `db`: the change's own transaction.
pub async fn notify(
    db: &impl ConnectionTrait,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let places = Place::load_all(db, bookings_of(&change)).await?;
    notify_among(db, change, &places, now).await
}

/// The messages a new `booking` at `place` calls for, to its `booker` (read before the
/// caller's write transaction) and, when it awaits approval, to the facility's side.
/// Reads with `db` but writes nothing: the caller writes them with the booking.
pub async fn created(
    db: &impl ConnectionTrait,
    booking: &Booking,
    place: Place,
    booker: Recipient,
    now: DateTime<Utc>,
) -> AppResult<Vec<NewMessage>> {
    messages_among(db, Change::Created(booking), &[place], booker, now).await
}

/// Writes the messages of `change`, whose bookings are at `places` (one per facility).
async fn notify_among(
    db: &impl ConnectionTrait,
    change: Change<'_>,
    places: &[Place],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let bookings = bookings_of(&change);
    let Some(first) = bookings.first() else {
        return Ok(());
    };
    let ids: Vec<i64> = bookings.iter().map(|b| b.id).collect();
    let booker = booker(db, first.booked_by).await?;
    if matches!(change, Change::Cancelled { .. } | Change::Moved { .. }) {
        outbox::supersede(db, MessageKind::BookingReminder, &ids, now).await?;
    }
    let messages = messages_among(db, change, places, booker, now).await?;
    outbox::enqueue(db, messages, now).await
}

/// The messages of `change`, whose bookings are at `places` (one per facility) and were
/// booked by `booker`: one to the booker for all of them, one to each facility's side
/// for its own.
async fn messages_among(
    db: &impl ConnectionTrait,
    change: Change<'_>,
    places: &[Place],
    booker: Recipient,
    now: DateTime<Utc>,
) -> AppResult<Vec<NewMessage>> {
    let bookings = bookings_of(&change);
    let Some(first) = bookings.first() else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> = bookings.iter().map(|b| b.id).collect();
    let confirmed = first.status == BookingStatus::Confirmed;
    let (kind, invitation) = match change {
        Change::Created(_) | Change::Approved(_) if confirmed => {
            (MessageKind::BookingConfirmed, Some(Invitation::Request))
        }
        Change::Created(_) | Change::Approved(_) => (MessageKind::BookingReceived, None),
        Change::Rejected(_) => (MessageKind::BookingRejected, None),
        Change::Cancelled { .. } => {
            let invited = were_confirmed(db, &ids).await?;
            (
                MessageKind::BookingCancelled,
                invited.then_some(Invitation::Cancel),
            )
        }
        Change::Moved { .. } => (
            MessageKind::BookingMoved,
            confirmed.then_some(Invitation::Request),
        ),
        Change::SeriesBooked { .. } => (
            MessageKind::SeriesBooked,
            confirmed.then_some(Invitation::Request),
        ),
    };
    let mut payload = payload_among(places, booker.language, &bookings)?;
    payload.invitation = invitation;
    if let Change::Moved { from, .. } = change {
        for item in &mut payload.bookings {
            item.previous = Some((from.start(), from.end()));
        }
    }
    if let Change::SeriesBooked { occurrences, .. } = change {
        payload.skipped = occurrences
            .iter()
            .filter(|o| o.status.is_problem())
            .map(|o| SkippedItem {
                local_start: o.recurrence_id,
                reason: o.problems.first().map_or("", |p| p.reason).to_string(),
            })
            .collect();
    }
    let series_id = match change {
        Change::SeriesBooked { series_id, .. } => Some(series_id),
        _ => first.series_id,
    };
    let new = |kind, recipient, payload| NewMessage {
        kind,
        recipient,
        booking_id: Some(first.id),
        series_id,
        event_id: None,
        due_at: now,
        dedup_key: None,
        payload,
    };
    let mut messages = vec![new(kind, booker, payload)];
    let facility_kind = match change {
        Change::Created(_) | Change::SeriesBooked { .. } if !confirmed => {
            Some(MessageKind::ApprovalRequested)
        }
        Change::Cancelled {
            by_manager: false, ..
        } => Some(MessageKind::CancellationNotice),
        _ => None,
    };
    if let Some(kind) = facility_kind {
        for place in places {
            let here: Vec<&Booking> = bookings
                .iter()
                .copied()
                .filter(|b| b.facility_id == place.facility.id)
                .collect();
            for recipient in facility_side(db, &place.facility).await? {
                let payload = place.payload(recipient.language, &here);
                messages.push(new(kind, recipient, payload));
            }
        }
    }
    Ok(messages)
}

/// Whether any of these bookings was ever confirmed (so its booker got an invitation).
async fn were_confirmed(db: &impl ConnectionTrait, bookings: &[i64]) -> AppResult<bool> {
    Ok(booking_history::Entity::find()
        .filter(booking_history::Column::BookingId.is_in(bookings.iter().copied()))
        .filter(booking_history::Column::ToStatus.eq(BookingStatus::Confirmed.as_ref()))
        .one(db)
        .await?
        .is_some())
}

/// What every message about bookings at one facility says about the place and the booker.
pub struct Place {
    facility: Facility,
    municipality: Option<Municipality>,
    organisation: Organisation,
}

impl Place {
    /// The place of bookings of `facility` (in `municipality`) by `organisation`.
    pub fn new(
        facility: Facility,
        municipality: Option<Municipality>,
        organisation: Organisation,
    ) -> Self {
        Self {
            facility,
            municipality,
            organisation,
        }
    }

    /// The places of `bookings`, one per facility and booking organisation, in the order
    /// they first appear; three statements however many.
    async fn load_all<'b>(
        db: &impl ConnectionTrait,
        bookings: impl IntoIterator<Item = &'b Booking>,
    ) -> AppResult<Vec<Self>> {
        let mut pairs: Vec<(FacilityId, OrganisationId)> = Vec::new();
        for booking in bookings {
            let pair = (booking.facility_id, booking.organisation_id);
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let facility_ids: Vec<FacilityId> = pairs.iter().map(|(f, _)| *f).collect();
        let organisation_ids: Vec<OrganisationId> = pairs.iter().map(|(_, o)| *o).collect();
        let facilities = facilities::by_ids(db, &facility_ids).await?;
        let organisations = organisations::by_ids(db, &organisation_ids).await?;
        let codes: Vec<&str> = facilities
            .iter()
            .map(|f| f.spec.municipality_code.as_str())
            .collect();
        let towns = municipalities::by_codes(db, &codes).await?;
        pairs
            .into_iter()
            .map(|(facility, organisation)| {
                let facility = facilities
                    .iter()
                    .find(|f| f.id == facility)
                    .ok_or_else(|| AppError::not_found("facility", facility))?;
                let organisation = organisations
                    .iter()
                    .find(|o| o.id == organisation)
                    .ok_or_else(|| AppError::not_found("organisation", organisation))?;
                let town = towns
                    .iter()
                    .find(|m| m.code == facility.spec.municipality_code)
                    .cloned();
                Ok(Self::new(facility.clone(), town, organisation.clone()))
            })
            .collect()
    }

    fn is_of(&self, booking: &Booking) -> bool {
        self.facility.id == booking.facility_id && self.organisation.id == booking.organisation_id
    }

    fn calendar_place(&self, language: Language) -> CalendarPlace {
        CalendarPlace::new(&self.facility, self.municipality.as_ref(), language)
    }

    fn payload(&self, language: Language, bookings: &[&Booking]) -> Payload {
        // Bookings of one title are named once; of several, each by its own.
        let mut titles: Vec<&str> = Vec::new();
        for booking in bookings {
            if !titles.contains(&booking.details.title.as_str()) {
                titles.push(&booking.details.title);
            }
        }
        let mut items: Vec<BookingItem> = bookings
            .iter()
            .map(|b| BookingItem {
                id: b.id,
                start: b.range.start(),
                end: b.range.end(),
                previous: None,
                title: (titles.len() > 1).then(|| b.details.title.clone()),
                facility: None,
                time_zone: None,
            })
            .collect();
        items.sort_by_key(|i| (i.start, i.id));
        let first = bookings.first();
        Payload {
            title: titles.join(", "),
            facility: self
                .facility
                .spec
                .name
                .best(language)
                .unwrap_or_default()
                .to_string(),
            location: self.calendar_place(language).location,
            time_zone: self.facility.spec.time_zone.name().to_string(),
            organisation: Booker::new(&self.organisation, language).name,
            reason: first.and_then(|b| b.status_reason.clone()),
            pending: bookings.iter().any(|b| b.status == BookingStatus::Pending),
            bookings: items,
            skipped: Vec::new(),
            invitation: None,
        }
    }
}

/// The payload of a message about `bookings` at `places` (one per facility, the first
/// first): with several places each booking names its facility (and its zone, where that
/// differs from the first's).
fn payload_among(
    places: &[Place],
    language: Language,
    bookings: &[&Booking],
) -> AppResult<Payload> {
    let Some((first, others)) = places.split_first() else {
        return Err(AppError::internal("a message about bookings at no place"));
    };
    let mut payload = first.payload(language, bookings);
    if others.is_empty() {
        return Ok(payload);
    }
    let name = |p: &Place| {
        p.facility
            .spec
            .name
            .best(language)
            .unwrap_or_default()
            .to_string()
    };
    payload.facility = places.iter().map(name).collect::<Vec<_>>().join(", ");
    payload.location = places
        .iter()
        .map(|p| p.calendar_place(language).location)
        .collect::<Vec<_>>()
        .join("; ");
    for item in &mut payload.bookings {
        let place = bookings
            .iter()
            .find(|b| b.id == item.id)
            .and_then(|b| places.iter().find(|p| p.facility.id == b.facility_id));
        item.facility = place.map(name);
        item.time_zone = place
            .map(|p| p.facility.spec.time_zone.name().to_string())
            .filter(|zone| *zone != payload.time_zone);
    }
    Ok(payload)
}

fn recipient(user: app_user::Model) -> AppResult<Recipient> {
    let language = user
        .language
        .parse()
        .map_err(|_| AppError::internal("corrupt language in the database"))?;
    Ok(addressed(user.email, user.name, language))
}

/// A user's address; the name only where it says more than the address.
fn addressed(email: String, name: String, language: Language) -> Recipient {
    Recipient {
        name: Some(name).filter(|n| *n != email),
        email,
        language,
    }
}

/// The address, name and language of the user acting, who books: known from their
/// sign-in, so nothing is read for it.
pub fn acting(actor: &Actor) -> Recipient {
    addressed(actor.email.clone(), actor.name.clone(), actor.language)
}

/// The address, name and language of `user`, who booked.
pub async fn booker(db: &impl ConnectionTrait, user: UserId) -> AppResult<Recipient> {
    let user = app_user::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("a booking by a missing user"))?;
    recipient(user)
}

/// The facility's contact person, or its owner's managers when it names no address.
async fn facility_side(
    db: &impl ConnectionTrait,
    facility: &Facility,
) -> AppResult<Vec<Recipient>> {
    let contact = &facility.spec.contact;
    if let Some(email) = &contact.email {
        let user = app_user::Entity::find()
            .filter(app_user::Column::Email.eq(email.as_str()))
            .one(db)
            .await?;
        return Ok(vec![Recipient {
            email: email.as_str().to_string(),
            name: Some(contact.name.clone()),
            language: match user {
                Some(user) => recipient(user)?.language,
                None => Language::Fi,
            },
        }]);
    }
    members_with(
        db,
        &[facility.owner_id],
        &[Role::FacilityManager, Role::Admin],
    )
    .await
}

/// The members of `organisations` with one of `roles`, each once, in their languages.
async fn members_with(
    db: &impl ConnectionTrait,
    organisations: &[OrganisationId],
    roles: &[Role],
) -> AppResult<Vec<Recipient>> {
    let members: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::OrganisationId.is_in(organisations.iter().map(|o| o.0)))
        .filter(membership::Column::Role.is_in(roles.iter().map(|r| r.as_ref())))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let users: BTreeMap<i64, app_user::Model> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(members))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    users.into_values().map(recipient).collect()
}

/// Writes a reminder for each confirmed booking that begins within `lead` and has had
/// none for its present time (a move grows its sequence, so a moved booking is reminded
/// of again). Bookings made or changed within `lead` of their start get none: their own
/// message was the reminder. Safe to run from several processes at once: a reminder's
/// dedup key is its booking and sequence.
pub async fn schedule_reminders(
    db: &impl ConnectionTrait,
    lead: Duration,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let due = booking::Entity::find()
        .filter(booking::Column::Status.eq(BookingStatus::Confirmed.as_ref()))
        .filter(booking::Column::StartsAt.gt(now))
        .filter(booking::Column::StartsAt.lte(now + lead))
        .filter(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.dedup_key = 'reminder:' \
             || CAST(booking.id AS TEXT) || ':' || CAST(booking.sequence AS TEXT))",
        ))
        .all(db)
        .await?
        .into_iter()
        .filter(|b| b.updated_at + lead <= b.starts_at)
        .map(to_booking)
        .collect::<AppResult<Vec<_>>>()?;
    let places = Place::load_all(db, &due).await?;
    let mut messages = Vec::with_capacity(due.len());
    for booking in &due {
        let place = places
            .iter()
            .find(|p| p.is_of(booking))
            .ok_or_else(|| AppError::internal("a booking whose place was not loaded"))?;
        let recipient = booker(db, booking.booked_by).await?;
        messages.push(NewMessage {
            kind: MessageKind::BookingReminder,
            payload: place.payload(recipient.language, &[booking]),
            recipient,
            booking_id: Some(booking.id),
            series_id: booking.series_id,
            event_id: None,
            due_at: now,
            dedup_key: Some(format!("reminder:{}:{}", booking.id, booking.sequence)),
        });
    }
    outbox::enqueue(db, messages, now).await
}

/// What the invitations of a batch of messages are made from, read once for the batch:
/// the bookings as they are now, their places and the installation's id. Five statements
/// for a batch where each message took as many alone; the cost is that a booking changed
/// while the batch is being sent goes out as it was when the batch began (its change
/// brings a message of its own).
pub struct InvitationSources {
    bookings: Vec<Booking>,
    places: Vec<Place>,
    installation: Installation,
}

impl InvitationSources {
    /// Reads what the invitations among `messages` about bookings need.
    pub async fn load(db: &impl ConnectionTrait, messages: &[OutboxMessage]) -> AppResult<Self> {
        let ids: Vec<i64> = messages
            .iter()
            .filter(|m| m.payload.invitation.is_some() && m.event_id.is_none())
            .flat_map(|m| m.payload.bookings.iter().map(|b| b.id))
            .collect();
        let bookings = if ids.is_empty() {
            Vec::new()
        } else {
            booking::Entity::find()
                .filter(booking::Column::Id.is_in(ids))
                .order_by_asc(booking::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(to_booking)
                .collect::<AppResult<Vec<_>>>()?
        };
        Ok(Self {
            places: Place::load_all(db, &bookings).await?,
            bookings,
            installation: calendar::installation(db).await?,
        })
    }
}

/// The calendar part of `message`, if it carries an invitation: the calendar objects of its
/// bookings (each single booking, and the whole series an occurrence belongs to) as
/// `sources` hold them, sent by `organizer` to the recipient as `ATTENDEE`. A cancellation
/// carries only what is called off: the whole series, or the cancelled occurrences by
/// their `RECURRENCE-ID`.
/// An invitation whose bookings have all been called off meanwhile becomes a cancellation.
pub async fn invitation(
    db: &(impl ConnectionTrait + StreamTrait),
    sources: &InvitationSources,
    message: &OutboxMessage,
    organizer: &Party,
    base_url: &str,
) -> AppResult<Option<CalendarPart>> {
    let Some(invitation) = message.payload.invitation else {
        return Ok(None);
    };
    if let Some(event) = message.event_id {
        return events::invitation(db, EventId(event), invitation, message, organizer, base_url)
            .await
            .map(Some);
    }
    let rows: Vec<Booking> = sources
        .bookings
        .iter()
        .filter(|b| message.payload.bookings.iter().any(|item| item.id == b.id))
        .cloned()
        .collect();
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let place_of = |booking: &Booking| {
        sources
            .places
            .iter()
            .find(|p| p.is_of(booking))
            .ok_or_else(|| AppError::internal("a booking whose place was not loaded"))
    };
    let zone = place_of(first)?.facility.spec.time_zone;
    let language = message.recipient.language;
    let installation = &sources.installation;
    let mapping = BookingCalendar {
        installation,
        language,
        detail: Detail::Full,
    };
    let shown = |booking: &Booking| {
        place_of(booking).map(|p| {
            (
                p.calendar_place(language),
                Booker::new(&p.organisation, language),
            )
        })
    };
    // Single bookings are one item each; each series is one calendar object.
    let mut items = Vec::new();
    for booking in rows.iter().filter(|b| b.series_id.is_none()) {
        let (place, booker) = shown(booking)?;
        items.push(mapping.single(booking, &place, &booker));
    }
    let series_rows: BTreeMap<i64, &Booking> = rows
        .iter()
        .filter_map(|b| Some((b.series_id?, b)))
        .collect();
    for (series_id, row) in series_rows {
        let (place, booker) = shown(row)?;
        let series = series::get(db, series_id).await?;
        let all = series::bookings_of(db, series_id).await?;
        let series_items = mapping.series(&series, &all, &place, &booker)?;
        let whole = all.iter().all(|b| !b.status.blocks());
        let named = |item: &CalendarItem| {
            rows.iter().any(|b| {
                b.series_id == Some(series_id)
                    && (b.range.start(), b.range.end()) == (item.start, item.end)
            })
        };
        match invitation {
            // The overrides of the cancelled occurrences hold their times.
            Invitation::Cancel if !whole => items.extend(
                series_items
                    .into_iter()
                    .filter(|i| i.recurrence_id.is_some() && named(i)),
            ),
            Invitation::Cancel => items.extend(series_items.into_iter().take(1)),
            Invitation::Request => items.extend(series_items),
        }
    }
    Ok(Some(calendar_part(
        items, invitation, message, organizer, zone,
    )))
}

/// The calendar part of `items` for the recipient of `message`, sent by `organizer`; a
/// request whose items are all called off goes out as a cancellation.
fn calendar_part(
    mut items: Vec<CalendarItem>,
    invitation: Invitation,
    message: &OutboxMessage,
    organizer: &Party,
    zone: Tz,
) -> CalendarPart {
    let off = items
        .iter()
        .all(|i| i.content.status == ItemStatus::Cancelled);
    let method = match invitation {
        Invitation::Request if !off => Method::Request,
        _ => Method::Cancel,
    };
    let attendee = Party {
        name: message
            .recipient
            .name
            .clone()
            .unwrap_or_else(|| message.recipient.email.clone()),
        email: message.recipient.email.clone(),
    };
    for item in &mut items {
        item.content.organizer = Some(organizer.clone());
        item.content.attendees = vec![attendee.clone()];
    }
    let header = CalendarHeader {
        method,
        name: None,
        zone,
        refresh: None,
    };
    CalendarPart {
        method: match method {
            Method::Request => "REQUEST",
            _ => "CANCEL",
        },
        body: header.render(&items),
    }
}
