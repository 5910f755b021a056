//! The mail worker: a tokio task of the server that writes due reminders once a poll,
//! claims due outbox messages, composes and sends them, and records the outcomes. A
//! message is marked sent only after the mail server accepted it; a failure is retried
//! with backoff and parked after the last attempt. Which claimed messages are still
//! pending is read for the batch at once, and again every [`RECHECK_WITHIN`]; outcomes
//! are written together, at the end of a batch or within [`RECORD_WITHIN`] of the first
//! unwritten one. Stopping lets the message in flight finish and gives back the rest of
//! the batch.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::compose::Composer;
use super::retry::RetryPolicy;
use super::transport::{self, SendError, Transport};
use crate::config::MailConfig;
use crate::error::{AppError, AppResult};
use crate::ical::calendar::Party;
use crate::service::notifications::InvitationSources;
use crate::service::outbox::{self, OutboxMessage};
use crate::service::{database, notifications};

/// Everything the worker needs; built once at start.
pub struct Worker {
    db: DatabaseConnection,
    transport: Transport,
    composer: Composer,
    from: Mailbox,
    /// The sender as the ORGANIZER of invitations.
    organizer: Party,
    /// The service's public address, for links.
    base_url: String,
    /// Names this worker's claims; unique per process start.
    id: String,
    retry: RetryPolicy,
    poll: Duration,
    lease: chrono::Duration,
    reminder_before: chrono::Duration,
    batch: u64,
}

/// How long a message handed over may wait for its outcome to be written with the
/// outcomes of the messages after it. Until then, a crash would send it again.
const RECORD_WITHIN: Duration = Duration::from_secs(1);

/// How old the reading of which claimed messages are still pending may be when one of
/// them is sent: a message superseded less than this before its turn may still go out.
const RECHECK_WITHIN: Duration = Duration::from_secs(1);

/// A message, what became of it (its subject when the mail server took it), and when.
type Outcome = (OutboxMessage, Result<String, SendError>, DateTime<Utc>);

fn duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Worker {
    /// Checks the configuration (sender address, SMTP URL, templates) and builds the worker.
    pub fn new(db: DatabaseConnection, config: &MailConfig, base_url: String) -> AppResult<Self> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| AppError::internal(format!("MAIL_FROM: {e}")))?;
        let organizer = Party {
            name: from.name.clone().unwrap_or_else(|| "Yhteistila".into()),
            email: from.email.to_string(),
        };
        Ok(Self {
            organizer,
            base_url,
            db,
            transport: Transport::from_config(config)?,
            composer: Composer::new().map_err(AppError::internal)?,
            from,
            id: format!("{}-{:016x}", std::process::id(), rand::random::<u64>()),
            retry: RetryPolicy {
                base: config.retry_base,
                max: config.retry_max,
                max_attempts: config.max_attempts.max(1),
            },
            poll: config.poll,
            lease: duration(config.lease),
            reminder_before: duration(config.reminder_before),
            batch: config.batch.max(1),
        })
    }

    /// Runs until `stop` turns true (or its sender is dropped).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "mail worker started");
        let mut reminders_due = Instant::now();
        while !*stop.borrow() {
            // Reminders are written once a poll, not before every batch: while a backlog
            // drains, batches follow each other at once, and each scan reads every booking
            // of the coming lead time that has no reminder yet.
            if Instant::now() >= reminders_due {
                reminders_due = Instant::now() + self.poll;
                let now = Utc::now();
                if let Err(err) =
                    notifications::schedule_reminders(&self.db, self.reminder_before, now).await
                {
                    log_error(&err);
                }
            }
            // A full batch means more may be due at once; otherwise the worker waits for
            // the next poll, so that under load a batch gathers what came meanwhile
            // instead of each tick taking a message or two for the same reads and writes.
            let full = match self.tick(&stop).await {
                Ok(claimed) => claimed as u64 >= self.batch,
                Err(err) => {
                    log_error(&err);
                    false
                }
            };
            if !full {
                tokio::select! {
                    () = tokio::time::sleep(self.poll) => {}
                    changed = stop.changed() => if changed.is_err() { break },
                }
            }
        }
        if let Err(err) = outbox::release(&self.db, &self.id).await {
            log_error(&err);
        }
        tracing::info!(worker = %self.id, "mail worker stopped");
    }

    /// Sends one batch of due messages; returns how many were claimed.
    async fn tick(&self, stop: &watch::Receiver<bool>) -> AppResult<usize> {
        // The worker's writes queue with the service's other writers (see `begin_write`).
        let txn = database::begin_write(&self.db).await?;
        let batch = outbox::claim(&txn, &self.id, self.batch, self.lease, Utc::now()).await?;
        txn.commit().await?;
        let claimed = batch.len();
        if claimed == 0 {
            return Ok(0);
        }
        // Read for the whole batch; a failure to read fails each invitation's attempt.
        let sources = notifications::InvitationSources::load(&self.db, &batch)
            .await
            .map_err(|e| e.to_string());
        let ids: Vec<i64> = batch.iter().map(|m| m.id).collect();
        let mut held = HashSet::new();
        let mut checked: Option<Instant> = None;
        let mut outcomes = Vec::new();
        let mut sent_since = Instant::now();
        for (at, message) in batch.into_iter().enumerate() {
            if *stop.borrow() {
                break;
            }
            // Which of the rest are still held, read for all of them at once and again
            // once the last reading is older than `RECHECK_WITHIN`.
            if checked.is_none_or(|when| when.elapsed() >= RECHECK_WITHIN) {
                match outbox::still_claimed(&self.db, &ids[at..], &self.id).await {
                    Ok(still) => held = still,
                    Err(err) => {
                        self.record(outcomes).await?;
                        return Err(err);
                    }
                }
                checked = Some(Instant::now());
            }
            if !held.contains(&message.id) {
                continue;
            }
            let outcome = self.send(&message, sources.as_ref()).await;
            if outcomes.is_empty() {
                sent_since = Instant::now();
            }
            outcomes.push((message, outcome, Utc::now()));
            if sent_since.elapsed() >= RECORD_WITHIN {
                self.record(std::mem::take(&mut outcomes)).await?;
            }
        }
        self.record(outcomes).await?;
        Ok(claimed)
    }

    /// Records what became of messages handed over (or not), in one write transaction:
    /// a write per message would queue for SQLite's write lock with every booking.
    async fn record(&self, outcomes: Vec<Outcome>) -> AppResult<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let txn = database::begin_write(&self.db).await?;
        let mut sent = Vec::with_capacity(outcomes.len());
        for (message, outcome, at) in outcomes {
            match outcome {
                Ok(subject) => sent.push((message.id, subject, at)),
                Err(err) => {
                    let failed = u32::try_from(message.attempts).unwrap_or(0) + 1;
                    let retry_at = match &err {
                        SendError::Transient(_) => self
                            .retry
                            .next_delay(failed, &mut rand::rng())
                            .map(|wait| at + duration(wait)),
                        SendError::Permanent(_) => None,
                    };
                    tracing::warn!(id = message.id, attempt = failed, retry_at = ?retry_at, error = %err, "mail not sent");
                    outbox::mark_failed(&txn, message.id, &self.id, &err.to_string(), retry_at, at)
                        .await?;
                }
            }
        }
        for id in outbox::mark_sent(&txn, &self.id, &sent).await? {
            tracing::warn!(id, "sent a message whose claim had ended");
        }
        txn.commit().await?;
        Ok(())
    }

    /// Composes and hands over one message; its subject on success.
    async fn send(
        &self,
        message: &OutboxMessage,
        sources: Result<&InvitationSources, &String>,
    ) -> Result<String, SendError> {
        let composed = self
            .composer
            .compose(message.kind, &message.recipient, &message.payload)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let calendar = match sources {
            Ok(sources) => {
                notifications::invitation(
                    &self.db,
                    sources,
                    message,
                    &self.organizer,
                    &self.base_url,
                )
                .await
            }
            Err(err) if message.payload.invitation.is_some() => {
                Err(AppError::internal(err.clone()))
            }
            Err(_) => Ok(None),
        }
        .map_err(|e| SendError::Transient(format!("invitation: {e}")))?;
        let mime = transport::build(
            &self.from,
            &message.recipient,
            &composed,
            calendar.as_ref(),
            message_id(message.id, message.created_at, &self.from),
        )?;
        self.transport.send(mime).await?;
        Ok(composed.subject)
    }
}

/// The `Message-ID` of outbox row `id`: the same on every attempt, so a receiver that
/// got a message twice (a crash between the server's acceptance and our record of it)
/// can tell.
fn message_id(id: i64, created: DateTime<Utc>, from: &Mailbox) -> String {
    format!(
        "<outbox-{id}-{}@{}>",
        created.timestamp(),
        from.email.domain()
    )
}

fn log_error(err: &AppError) {
    match err {
        AppError::Internal(cause) => tracing::error!(error = %cause, "mail worker"),
        other => tracing::error!(error = %other, "mail worker"),
    }
}
