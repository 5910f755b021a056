//! Group commit on SQLite. A write that arrives while others hold the file's write lock
//! waits for them and then runs with the writes that arrived with it, in one
//! transaction, each inside its own savepoint, and they commit once. One commit writes
//! each changed page once for the whole group, and the lock passes between tasks once
//! per group instead of once per write.
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::FutureExt;
use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};
use tokio::sync::oneshot;

use super::{begin_write, file_of};
use crate::error::{AppError, AppResult};

/// The most writes committed together.
const MAX_GROUP: usize = 32;

/// A write waiting for its group: runs its work in the group's transaction.
type Job = Box<dyn for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, Ran> + Send>;

/// What a job left: whether the transaction is as it found it or holds its writes (else the
/// whole group rolls back), and how to answer its caller once the group has committed or not.
struct Ran {
    clean: bool,
    answer: Box<dyn FnOnce(Result<(), String>) + Send>,
}

/// The writes waiting for the group being written, and whether a task is writing groups.
#[derive(Default)]
pub(super) struct Queue {
    jobs: Vec<Job>,
    draining: bool,
}

/// Runs `work` in a write transaction, on SQLite shared with the writes that queue with
/// it, and returns its result once the transaction has committed. When `work` fails, its
/// writes are undone (to its savepoint) and the others in the group go on.
pub async fn write_in_group<T, F>(db: &DatabaseConnection, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, AppResult<T>> + Send + 'static,
{
    if db.get_database_backend() != DbBackend::Sqlite {
        let txn = begin_write(db).await?;
        return match work(&txn).await {
            Ok(value) => txn.commit().await.map(|()| value).map_err(Into::into),
            Err(err) => {
                txn.rollback().await?;
                Err(err)
            }
        };
    }
    let (sender, receiver) = oneshot::channel();
    let job: Job = Box::new(move |txn| {
        Box::pin(async move {
            let (outcome, clean) = in_savepoint(txn, work).await;
            Ran {
                clean,
                answer: Box::new(move |committed| {
                    let answer = outcome
                        .and_then(|value| committed.map(|()| value).map_err(AppError::internal));
                    let _ = sender.send(answer);
                }),
            }
        })
    });
    let queue = file_of(db).group.clone();
    let start = {
        let mut waiting = lock(&queue);
        waiting.jobs.push(job);
        !std::mem::replace(&mut waiting.draining, true)
    };
    if start {
        tokio::spawn(drain(db.clone(), queue));
    }
    receiver
        .await
        .unwrap_or_else(|_| Err(AppError::internal("the write did not run")))
}

/// `work` inside a savepoint of `txn`; its result, and whether `txn` was left clean.
/// Savepoints are never released: `COMMIT` keeps what each holds, and a failed write's
/// `ROLLBACK TO` undoes only what came after its own (the latest of the name), so each
/// write costs one statement more, not two.
async fn in_savepoint<T, F>(txn: &DatabaseTransaction, work: F) -> (AppResult<T>, bool)
where
    F: for<'t> FnOnce(&'t DatabaseTransaction) -> BoxFuture<'t, AppResult<T>>,
{
    if let Err(err) = txn.execute_unprepared("SAVEPOINT grouped_write").await {
        return (Err(err.into()), false);
    }
    let outcome = AssertUnwindSafe(work(txn))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(AppError::internal("a write panicked")));
    match outcome {
        Ok(value) => (Ok(value), true),
        Err(err) => {
            let undone = txn.execute_unprepared("ROLLBACK TO grouped_write").await;
            (Err(err), undone.is_ok())
        }
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes groups until no write waits.
async fn drain(db: DatabaseConnection, queue: Arc<Mutex<Queue>>) {
    loop {
        let group: Vec<Job> = {
            let mut waiting = lock(&queue);
            if waiting.jobs.is_empty() {
                waiting.draining = false;
                return;
            }
            let size = waiting.jobs.len().min(MAX_GROUP);
            waiting.jobs.drain(..size).collect()
        };
        // A panic must not leave the queue marked as drained by a task that is gone;
        // the group's callers hear that their writes did not run.
        let rest = AssertUnwindSafe(write_group(&db, group))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                tracing::error!("a group of writes panicked");
                Vec::new()
            });
        // Writes that did not get to run in a group that failed go first in the next.
        lock(&queue).jobs.splice(0..0, rest);
    }
}

/// Runs `group` in one transaction and answers each write; the writes that did not run
/// because one before them left the transaction unclean.
async fn write_group(db: &DatabaseConnection, group: Vec<Job>) -> Vec<Job> {
    let txn = match begin_write(db).await {
        Ok(txn) => txn,
        Err(err) => {
            // Dropping the jobs tells their callers that they did not run.
            tracing::error!(error = %err, "could not begin a group of writes");
            return Vec::new();
        }
    };
    let mut answers = Vec::with_capacity(group.len());
    let mut jobs = group.into_iter();
    let mut clean = true;
    for job in jobs.by_ref() {
        let ran = job(&txn).await;
        answers.push(ran.answer);
        if !ran.clean {
            clean = false;
            break;
        }
    }
    let committed = if clean {
        txn.commit().await.map_err(|e| e.to_string())
    } else {
        let rolled_back = txn.rollback().await.map_err(|e| e.to_string());
        rolled_back.and(Err(
            "a write of its group could not be undone alone".to_string()
        ))
    };
    for answer in answers {
        answer(committed.clone());
    }
    jobs.collect()
}
