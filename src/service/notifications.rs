//! Who hears about a change of bookings, and what: each change writes its messages to
//! the outbox inside its own transaction, so they exist exactly when the change does.
//! One change gives one message per recipient, however many bookings it touches: a
//! series, or a series cancelled by its facility's manager, is one message.
//!
//! The booker is the user who booked, in their language. The facility's side is its
//! contact person when the facility gives an email for them (in the language of the
//! user with that address, Finnish when there is none), otherwise the owner's facility
//! managers and admins, each in their own language.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use entity::{app_user, booking, membership, municipality};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::bookings::series::SeriesOccurrence;
use super::bookings::{Booking, Transition, to_booking};
use super::facilities::{self, Facility};
use super::organisations;
use super::outbox::{self, NewMessage};
use crate::domain::booking::BookingStatus;
use crate::domain::ids::{FacilityId, UserId};
use crate::domain::localized::{Language, LocalizedText};
use crate::domain::organisation::Role;
use crate::domain::time_range::TimeRange;
use crate::error::{AppError, AppResult};
use crate::mail::message::{BookingItem, MessageKind, Payload, Recipient, SkippedItem};

/// A change of bookings that someone should hear about.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A booking was made (pending or confirmed).
    Created(&'a Booking),
    /// A manager approved a pending booking.
    Approved(&'a Booking),
    /// A manager turned a pending booking down.
    Rejected(&'a Booking),
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
    /// A series was booked: its occurrences, booked and not.
    SeriesBooked {
        /// The series.
        series_id: i64,
        /// Every occurrence the rule gave and what became of it.
        occurrences: &'a [SeriesOccurrence],
    },
}

impl<'a> Change<'a> {
    /// The change a status transition of `booking` (as it is now) made; `by_manager` when
    /// one of the facility's managers made it.
    pub fn of_transition(transition: Transition, booking: &'a Booking, by_manager: bool) -> Self {
        match transition {
            Transition::Approve => Self::Approved(booking),
            Transition::Reject => Self::Rejected(booking),
            Transition::Cancel => Self::Cancelled {
                bookings: std::slice::from_ref(booking),
                by_manager,
            },
        }
    }
}

/// Writes the messages `change` calls for, with `db`: the change's own transaction.
pub async fn notify(
    db: &impl ConnectionTrait,
    change: Change<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let bookings: Vec<&Booking> = match change {
        Change::Created(b) | Change::Approved(b) | Change::Rejected(b) => vec![b],
        Change::Moved { booking, .. } => vec![booking],
        Change::Cancelled { bookings, .. } => bookings.iter().collect(),
        Change::SeriesBooked { occurrences, .. } => occurrences
            .iter()
            .filter_map(|o| o.booking.as_ref())
            .collect(),
    };
    let Some(first) = bookings.first() else {
        return Ok(());
    };
    let facility = facilities::get(db, first.facility_id).await?;
    let place = Place::load(db, &facility, first).await?;
    let booker = booker(db, first.booked_by).await?;
    let mut messages = Vec::new();
    let series_id = match change {
        Change::SeriesBooked { series_id, .. } => Some(series_id),
        _ => first.series_id,
    };
    let new = |kind, recipient, payload| NewMessage {
        kind,
        recipient,
        booking_id: Some(first.id),
        series_id,
        due_at: now,
        dedup_key: None,
        payload,
    };
    let mut to_booker = |kind, payload| messages.push(new(kind, booker.clone(), payload));
    match change {
        Change::Created(b) if b.status == BookingStatus::Pending => to_booker(
            MessageKind::BookingReceived,
            place.payload(booker.language, &bookings),
        ),
        Change::Created(_) | Change::Approved(_) => to_booker(
            MessageKind::BookingConfirmed,
            place.payload(booker.language, &bookings),
        ),
        Change::Rejected(_) => to_booker(
            MessageKind::BookingRejected,
            place.payload(booker.language, &bookings),
        ),
        Change::Cancelled { .. } => to_booker(
            MessageKind::BookingCancelled,
            place.payload(booker.language, &bookings),
        ),
        Change::Moved { from, .. } => {
            let mut payload = place.payload(booker.language, &bookings);
            for item in &mut payload.bookings {
                item.previous = Some((from.start(), from.end()));
            }
            to_booker(MessageKind::BookingMoved, payload)
        }
        Change::SeriesBooked { occurrences, .. } => {
            let mut payload = place.payload(booker.language, &bookings);
            payload.skipped = occurrences
                .iter()
                .filter(|o| o.status.is_problem())
                .map(|o| SkippedItem {
                    local_start: o.recurrence_id,
                    reason: o.problems.first().map_or("", |p| p.reason).to_string(),
                })
                .collect();
            to_booker(MessageKind::SeriesBooked, payload)
        }
    }
    let facility_kind = match change {
        Change::Created(b) if b.status == BookingStatus::Pending => {
            Some(MessageKind::ApprovalRequested)
        }
        Change::SeriesBooked { .. } if first.status == BookingStatus::Pending => {
            Some(MessageKind::ApprovalRequested)
        }
        Change::Cancelled {
            by_manager: false, ..
        } => Some(MessageKind::CancellationNotice),
        _ => None,
    };
    if let Some(kind) = facility_kind {
        for recipient in facility_side(db, &facility).await? {
            let payload = place.payload(recipient.language, &bookings);
            messages.push(new(kind, recipient, payload));
        }
    }
    if matches!(change, Change::Cancelled { .. } | Change::Moved { .. }) {
        let ids: Vec<i64> = bookings.iter().map(|b| b.id).collect();
        outbox::supersede(db, MessageKind::BookingReminder, &ids, now).await?;
    }
    outbox::enqueue(db, messages, now).await
}

/// What every message about bookings at one facility says about the place and the booker.
struct Place {
    name: LocalizedText,
    street: String,
    municipality: (String, String),
    time_zone: String,
    organisation: LocalizedText,
    title: String,
    reason: Option<String>,
}

impl Place {
    async fn load(
        db: &impl ConnectionTrait,
        facility: &Facility,
        booking: &Booking,
    ) -> AppResult<Self> {
        let spec = &facility.spec;
        let town = municipality::Entity::find_by_id(spec.municipality_code.clone())
            .one(db)
            .await?
            .ok_or_else(|| AppError::internal("a facility in an unknown municipality"))?;
        let organisation = organisations::get(db, booking.organisation_id).await?;
        Ok(Self {
            name: spec.name.clone(),
            street: format!("{}, {}", spec.street_address, spec.postal_code),
            municipality: (town.name_fi, town.name_sv),
            time_zone: spec.time_zone.name().to_string(),
            organisation: organisation.name,
            title: booking.details.title.clone(),
            reason: booking.status_reason.clone(),
        })
    }

    fn payload(&self, language: Language, bookings: &[&Booking]) -> Payload {
        let town = match language {
            Language::Sv => &self.municipality.1,
            Language::Fi | Language::En => &self.municipality.0,
        };
        let mut items: Vec<BookingItem> = bookings
            .iter()
            .map(|b| BookingItem {
                id: b.id,
                start: b.range.start(),
                end: b.range.end(),
                previous: None,
            })
            .collect();
        items.sort_by_key(|i| (i.start, i.id));
        Payload {
            title: self.title.clone(),
            facility: self.name.best(language).unwrap_or_default().to_string(),
            address: format!("{} {town}", self.street),
            time_zone: self.time_zone.clone(),
            organisation: self
                .organisation
                .best(language)
                .unwrap_or_default()
                .to_string(),
            reason: self.reason.clone(),
            pending: bookings.iter().any(|b| b.status == BookingStatus::Pending),
            bookings: items,
            skipped: Vec::new(),
            invitation: None,
        }
    }
}

fn recipient(user: app_user::Model) -> AppResult<Recipient> {
    Ok(Recipient {
        language: user
            .language
            .parse()
            .map_err(|_| AppError::internal("corrupt language in the database"))?,
        name: Some(user.name).filter(|n| *n != user.email),
        email: user.email,
    })
}

async fn booker(db: &impl ConnectionTrait, user: UserId) -> AppResult<Recipient> {
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
    let managers: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::OrganisationId.eq(facility.owner_id.0))
        .filter(
            membership::Column::Role.is_in([Role::FacilityManager.as_ref(), Role::Admin.as_ref()]),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let users: BTreeMap<i64, app_user::Model> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(managers))
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
    if due.is_empty() {
        return Ok(());
    }
    let ids: Vec<FacilityId> = due.iter().map(|b| b.facility_id).collect();
    let facilities: HashMap<FacilityId, Facility> = facilities::by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut messages = Vec::with_capacity(due.len());
    for booking in &due {
        let facility = facilities
            .get(&booking.facility_id)
            .ok_or_else(|| AppError::internal("a booking of a missing facility"))?;
        let place = Place::load(db, facility, booking).await?;
        let recipient = booker(db, booking.booked_by).await?;
        messages.push(NewMessage {
            kind: MessageKind::BookingReminder,
            payload: place.payload(recipient.language, &[booking]),
            recipient,
            booking_id: Some(booking.id),
            series_id: booking.series_id,
            due_at: now,
            dedup_key: Some(format!("reminder:{}:{}", booking.id, booking.sequence)),
        });
    }
    outbox::enqueue(db, messages, now).await
}
