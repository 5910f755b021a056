//! The outbox table: writing messages inside the caller's transaction, and the worker's
//! claim, success and failure bookkeeping. Rows are claimed with a lease, so a crashed
//! worker's rows are taken again once the lease ends; on PostgreSQL the claim skips rows
//! another process is claiming (`FOR UPDATE SKIP LOCKED`), SQLite serialises writers.
use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::outbox;
use sea_orm::sea_query::{
    CaseStatement, Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set, Statement,
};

use super::pagination::{Page, PageRequest, fetch_page};
use crate::error::{AppError, AppResult};
use crate::mail::message::{MessageKind, MessageStatus, Payload, Recipient};

/// A message to write to the outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// What it tells.
    pub kind: MessageKind,
    /// Who gets it.
    pub recipient: Recipient,
    /// The booking it is about (the first one, for several).
    pub booking_id: Option<i64>,
    /// The series it is about.
    pub series_id: Option<i64>,
    /// The event it is about.
    pub event_id: Option<i64>,
    /// Not sent before this.
    pub due_at: DateTime<Utc>,
    /// A key no other message has, for messages that must be written at most once
    /// (a reminder per booking and sequence); a duplicate is silently not written.
    pub dedup_key: Option<String>,
    /// What it tells, as of now.
    pub payload: Payload,
}

/// A message in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// Id; also the stable part of its `Message-ID`.
    pub id: i64,
    /// What it tells.
    pub kind: MessageKind,
    /// Who gets it.
    pub recipient: Recipient,
    /// The booking it is about.
    pub booking_id: Option<i64>,
    /// The series it is about.
    pub series_id: Option<i64>,
    /// The event it is about.
    pub event_id: Option<i64>,
    /// Where it stands.
    pub status: MessageStatus,
    /// Attempts to send it so far.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Its subject, once composed.
    pub subject: Option<String>,
    /// Not sent before this.
    pub due_at: DateTime<Utc>,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Accepted by the mail server.
    pub sent_at: Option<DateTime<Utc>>,
    /// What it tells.
    pub payload: Payload,
}

fn corrupt() -> AppError {
    AppError::internal("corrupt outbox row in the database")
}

fn to_message(m: outbox::Model) -> AppResult<OutboxMessage> {
    Ok(OutboxMessage {
        id: m.id,
        kind: m.kind.parse().map_err(|_| corrupt())?,
        recipient: Recipient {
            email: m.recipient_email,
            name: m.recipient_name,
            language: m.language.parse().map_err(|_| corrupt())?,
        },
        booking_id: m.booking_id,
        series_id: m.series_id,
        event_id: m.event_id,
        status: m.status.parse().map_err(|_| corrupt())?,
        attempts: m.attempts,
        last_error: m.last_error,
        subject: m.subject,
        due_at: m.due_at,
        created_at: m.created_at,
        sent_at: m.sent_at,
        payload: serde_json::from_str(&m.payload).map_err(|_| corrupt())?,
    })
}

/// Writes `messages` with the caller's connection: pass the transaction of the change
/// that causes them, so that they exist exactly when the change does.
///
/// A message about occurrences of a series joins the one of the same kind to the same
/// recipient about the same series that this change (the same `now`) already wrote: a
/// change that touches a series booking by booking (an event cancelled with its venue
/// bookings) still gives one message, with one calendar object.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    messages: Vec<NewMessage>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if let Some(insert) = enqueue_statement(db, messages, now).await? {
        db.execute_raw(insert).await?;
    }
    Ok(())
}

/// Like [`enqueue`], but returns the insert (None when there is nothing to insert) for
/// the caller to run with its other writes.
pub async fn enqueue_statement(
    db: &impl ConnectionTrait,
    messages: Vec<NewMessage>,
    now: DateTime<Utc>,
) -> AppResult<Option<Statement>> {
    let mut rows = Vec::with_capacity(messages.len());
    for m in messages {
        if let Some(series) = m.series_id
            && join(db, &m, series, now).await?
        {
            continue;
        }
        rows.push(outbox::ActiveModel {
            kind: Set(m.kind.as_ref().to_string()),
            recipient_email: Set(m.recipient.email),
            recipient_name: Set(m.recipient.name),
            language: Set(m.recipient.language.as_ref().to_string()),
            payload: Set(serde_json::to_string(&m.payload).map_err(AppError::internal)?),
            booking_id: Set(m.booking_id),
            series_id: Set(m.series_id),
            event_id: Set(m.event_id),
            status: Set(MessageStatus::Pending.as_ref().to_string()),
            attempts: Set(0),
            due_at: Set(m.due_at),
            dedup_key: Set(m.dedup_key),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let mut insert = outbox::Entity::insert_many(rows).into_query();
    insert.on_conflict(
        OnConflict::column(outbox::Column::DedupKey)
            .do_nothing()
            .to_owned(),
    );
    Ok(Some(db.get_database_backend().build(&insert)))
}

/// Adds the bookings of `message` to the message about `series` that the same change
/// wrote; false when there is none.
async fn join(
    db: &impl ConnectionTrait,
    message: &NewMessage,
    series: i64,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Some(existing) = outbox::Entity::find()
        .filter(outbox::Column::SeriesId.eq(series))
        .filter(outbox::Column::Kind.eq(message.kind.as_ref()))
        .filter(outbox::Column::RecipientEmail.eq(message.recipient.email.as_str()))
        .filter(outbox::Column::Status.eq(MessageStatus::Pending.as_ref()))
        .filter(outbox::Column::CreatedAt.eq(now))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    let mut payload: Payload = serde_json::from_str(&existing.payload).map_err(|_| corrupt())?;
    for item in &message.payload.bookings {
        if !payload.bookings.iter().any(|b| b.id == item.id) {
            payload.bookings.push(item.clone());
        }
    }
    payload.bookings.sort_by_key(|b| (b.start, b.id));
    payload.invitation = payload.invitation.or(message.payload.invitation);
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Payload,
            serde_json::to_string(&payload)
                .map_err(AppError::internal)?
                .into(),
        )
        .filter(outbox::Column::Id.eq(existing.id))
        .exec(db)
        .await?;
    Ok(true)
}

/// Marks the pending messages of `kind` about these bookings as superseded (a reminder
/// of a booking that was cancelled or moved is not sent).
pub async fn supersede(
    db: &impl ConnectionTrait,
    kind: MessageKind,
    bookings: &[i64],
    now: DateTime<Utc>,
) -> AppResult<()> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            MessageStatus::Superseded.as_ref().into(),
        )
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Kind.eq(kind.as_ref()))
        .filter(outbox::Column::Status.eq(MessageStatus::Pending.as_ref()))
        .filter(outbox::Column::BookingId.is_in(bookings.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims up to `limit` due messages for `worker` until `now + lease`: pending rows whose
/// time has come and that no live lease holds, oldest first.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    limit: u64,
    lease: Duration,
    now: DateTime<Utc>,
) -> AppResult<Vec<OutboxMessage>> {
    let due = Query::select()
        .column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(outbox::Column::Status.eq(MessageStatus::Pending.as_ref()))
        .and_where(outbox::Column::DueAt.lte(now))
        .and_where(
            outbox::Column::ClaimedUntil
                .is_null()
                .or(outbox::Column::ClaimedUntil.lt(now)),
        )
        .order_by(outbox::Column::DueAt, sea_orm::Order::Asc)
        .order_by(outbox::Column::Id, sea_orm::Order::Asc)
        .limit(limit)
        // Ignored on SQLite, whose writers take turns anyway.
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let mut claimed = outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedBy, Some(worker.to_string()).into())
        .col_expr(outbox::Column::ClaimedUntil, Some(now + lease).into())
        .filter(outbox::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    claimed.sort_by_key(|m| (m.due_at, m.id));
    claimed.into_iter().map(to_message).collect()
}

/// Which of messages `ids` `worker` still holds, pending: checked shortly before sending,
/// so that a message superseded after it was claimed (the reminder of a booking cancelled
/// meanwhile) is not sent.
pub async fn still_claimed(
    db: &impl ConnectionTrait,
    ids: &[i64],
    worker: &str,
) -> AppResult<HashSet<i64>> {
    let held: Vec<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(outbox::Column::ClaimedBy.eq(worker))
        .filter(outbox::Column::Status.eq(MessageStatus::Pending.as_ref()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(held.into_iter().collect())
}

/// A message the mail server accepted: its id, its subject, and when.
pub type Sent = (i64, String, DateTime<Utc>);

/// Records that messages `sent`, claimed by `worker`, were accepted by the mail server,
/// in one statement. Returns the ids of those whose claim had been lost (their lease
/// ended and another worker took them), which it leaves as they are.
pub async fn mark_sent(
    db: &impl ConnectionTrait,
    worker: &str,
    sent: &[Sent],
) -> AppResult<Vec<i64>> {
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    let id = || Expr::col(outbox::Column::Id);
    let (mut subject, mut at) = (CaseStatement::new(), CaseStatement::new());
    for (message, text, when) in sent {
        subject = subject.case(id().eq(*message), text.as_str());
        at = at.case(id().eq(*message), *when);
    }
    let ids = sent.iter().map(|(message, _, _)| *message);
    let mut update = owned_by(ids.clone(), worker)
        .col_expr(outbox::Column::Status, MessageStatus::Sent.as_ref().into())
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(outbox::Column::Subject, subject.into())
        .col_expr(outbox::Column::SentAt, at.clone().into())
        .col_expr(outbox::Column::UpdatedAt, at.into())
        .into_query();
    update.returning_col(outbox::Column::Id);
    let recorded = db
        .query_all(&update)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<HashSet<_>, _>>()?;
    Ok(ids.filter(|message| !recorded.contains(message)).collect())
}

/// Records a failed attempt of message `id` claimed by `worker`: it is tried again at
/// `retry_at`, or parked as failed when there is none.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut update = owned_by([id], worker)
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .col_expr(outbox::Column::LastError, Some(error.to_string()).into())
        .col_expr(outbox::Column::UpdatedAt, now.into());
    update = match retry_at {
        Some(at) => update.col_expr(outbox::Column::DueAt, at.into()),
        None => update.col_expr(
            outbox::Column::Status,
            MessageStatus::Failed.as_ref().into(),
        ),
    };
    update.exec(db).await?;
    Ok(())
}

/// Gives back the rows `worker` still holds (on shutdown), so another worker need not
/// wait for their leases to end.
pub async fn release(db: &impl ConnectionTrait, worker: &str) -> AppResult<()> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedBy, Option::<String>::None.into())
        .col_expr(
            outbox::Column::ClaimedUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .filter(outbox::Column::ClaimedBy.eq(worker))
        .filter(outbox::Column::Status.eq(MessageStatus::Pending.as_ref()))
        .exec(db)
        .await?;
    Ok(())
}

/// An update of rows `ids` that releases the claims of `worker`, and applies only to those
/// `worker` still holds.
fn owned_by(
    ids: impl IntoIterator<Item = i64>,
    worker: &str,
) -> sea_orm::UpdateMany<outbox::Entity> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimedBy, Option::<String>::None.into())
        .col_expr(
            outbox::Column::ClaimedUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .filter(outbox::Column::Id.is_in(ids))
        .filter(outbox::Column::ClaimedBy.eq(worker))
        .filter(outbox::Column::Status.eq(MessageStatus::Pending.as_ref()))
}

/// Filters of the outbox list.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    /// Only these statuses.
    pub statuses: Vec<MessageStatus>,
    /// Only these kinds.
    pub kinds: Vec<MessageKind>,
    /// Only messages to this address.
    pub recipient: Option<String>,
    /// Only messages about this booking.
    pub booking_id: Option<i64>,
}

/// One page of outbox messages matching `filter`, by id.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &OutboxFilter,
    page: PageRequest,
) -> AppResult<Page<OutboxMessage>> {
    let mut select = outbox::Entity::find();
    if !filter.statuses.is_empty() {
        select =
            select.filter(outbox::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_ref())));
    }
    if !filter.kinds.is_empty() {
        select = select.filter(outbox::Column::Kind.is_in(filter.kinds.iter().map(|k| k.as_ref())));
    }
    if let Some(recipient) = &filter.recipient {
        select = select.filter(outbox::Column::RecipientEmail.eq(recipient.to_lowercase()));
    }
    if let Some(booking) = filter.booking_id {
        select = select.filter(outbox::Column::BookingId.eq(booking));
    }
    let page = fetch_page(db, select, outbox::Column::Id, page).await?;
    Ok(Page {
        rows: page
            .rows
            .into_iter()
            .map(to_message)
            .collect::<AppResult<_>>()?,
        has_next_page: page.has_next_page,
        count: page.count,
    })
}

/// Puts a failed message back in line, due now, with a fresh count of attempts
/// (its last error stays until the next attempt).
pub async fn retry(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<OutboxMessage> {
    let retried = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            MessageStatus::Pending.as_ref().into(),
        )
        .col_expr(outbox::Column::Attempts, 0.into())
        .col_expr(outbox::Column::DueAt, now.into())
        .col_expr(outbox::Column::UpdatedAt, now.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(MessageStatus::Failed.as_ref()))
        .exec(db)
        .await?;
    let current = outbox::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("outbox message", id))?;
    if retried.rows_affected == 0 {
        return Err(AppError::Conflict {
            message: format!("a {} message cannot be retried", current.status),
            field: Some("id".into()),
        });
    }
    to_message(current)
}
