//! Group commit on SQLite. A write that arrives while others hold the file's write lock
//! waits for them and then runs with the writes that arrived with it, in one
//! transaction, and they commit once. One commit writes each changed page once for the
//! whole group, and the lock passes between tasks once per group instead of once per
//! write. A group is first written without savepoints, which would cost every write a
//! statement more and a copy of each page it changes. When a write fails, that attempt
//! is rolled back and the group written again with each write inside a savepoint of its
//! own, so that a failed write is undone alone and the others go on.
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

/// What a write left in the transaction it ran in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Left {
    /// Its writes, or nothing when it failed and was undone: the group goes on.
    Clean,
    /// The writes of a failed write that could not be undone alone.
    Unclean,
}

/// Runs a write in a transaction, inside a savepoint when asked, and keeps its outcome
/// for its answer. It runs again when an attempt of its group is rolled back.
type Run = Box<dyn for<'t> Fn(&'t DatabaseTransaction, bool) -> BoxFuture<'t, Left> + Send + Sync>;

/// A write waiting for its group.
struct Job {
    run: Run,
    /// Answers the caller with the outcome of the write's last run, once its group has
    /// committed (or not).
    answer: Box<dyn FnOnce(Result<(), String>) + Send + Sync>,
}

/// The writes waiting for the group being written, and whether a task is writing groups.
#[derive(Default)]
pub(super) struct Queue {
    jobs: Vec<Job>,
    draining: bool,
}

/// Runs `work` in a write transaction, on SQLite shared with the writes that queue with
/// it, and returns its result once the transaction has committed. When `work` fails, its
/// writes are undone and the others in the group go on. On SQLite `work` may run more
/// than once (see the module's documentation); only its last run's writes are committed.
pub async fn write_in_group<T, F>(db: &DatabaseConnection, work: F) -> AppResult<T>
where
    T: Send + 'static,
    F: for<'t> Fn(&'t DatabaseTransaction) -> BoxFuture<'t, AppResult<T>> + Send + Sync + 'static,
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
    let outcome: Arc<Mutex<Option<AppResult<T>>>> = Arc::default();
    let kept = outcome.clone();
    let work = Arc::new(work);
    let run: Run = Box::new(move |txn, savepoint| {
        let (work, kept) = (work.clone(), kept.clone());
        Box::pin(async move {
            let (outcome, left) = run_once(txn, &*work, savepoint).await;
            *lock(&kept) = Some(outcome);
            left
        })
    });
    let answer = Box::new(move |committed: Result<(), String>| {
        let outcome = lock(&outcome)
            .take()
            .unwrap_or_else(|| Err(AppError::internal("the write did not run")));
        let answer =
            outcome.and_then(|value| committed.map(|()| value).map_err(AppError::internal));
        let _ = sender.send(answer);
    });
    let queue = file_of(db).group.clone();
    let start = {
        let mut waiting = lock(&queue);
        waiting.jobs.push(Job { run, answer });
        !std::mem::replace(&mut waiting.draining, true)
    };
    if start {
        tokio::spawn(drain(db.clone(), queue));
    }
    receiver
        .await
        .unwrap_or_else(|_| Err(AppError::internal("the write did not run")))
}

/// Runs `work` in `txn`, inside a savepoint when asked; its result, and what it left.
/// Savepoints are never released: `COMMIT` keeps what each holds, and a failed write's
/// `ROLLBACK TO` undoes only what came after its own (the latest of the name), so each
/// write costs one statement more, not two.
async fn run_once<T, F>(
    txn: &DatabaseTransaction,
    work: &F,
    savepoint: bool,
) -> (AppResult<T>, Left)
where
    F: for<'t> Fn(&'t DatabaseTransaction) -> BoxFuture<'t, AppResult<T>>,
{
    if savepoint && let Err(err) = txn.execute_unprepared("SAVEPOINT grouped_write").await {
        return (Err(err.into()), Left::Unclean);
    }
    let outcome = AssertUnwindSafe(work(txn))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(AppError::internal("a write panicked")));
    let left = match &outcome {
        Ok(_) => Left::Clean,
        Err(_) if !savepoint => Left::Unclean,
        Err(_) => match txn.execute_unprepared("ROLLBACK TO grouped_write").await {
            Ok(_) => Left::Clean,
            Err(_) => Left::Unclean,
        },
    };
    (outcome, left)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
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

/// Runs `group` in one transaction and answers each write: first without savepoints,
/// and once more with them when a write failed. Returns the writes that did not run
/// because one before them left the transaction unclean even so.
async fn write_group(db: &DatabaseConnection, mut group: Vec<Job>) -> Vec<Job> {
    let mut savepoints = false;
    loop {
        let txn = match begin_write(db).await {
            Ok(txn) => txn,
            Err(err) => {
                // Dropping the jobs tells their callers that they did not run.
                tracing::error!(error = %err, "could not begin a group of writes");
                return Vec::new();
            }
        };
        let mut ran = 0;
        let mut left = Left::Clean;
        for job in &group {
            ran += 1;
            left = (job.run)(&txn, savepoints).await;
            if left == Left::Unclean {
                break;
            }
        }
        if left == Left::Clean {
            let committed = txn.commit().await.map_err(|e| e.to_string());
            for job in group {
                (job.answer)(committed.clone());
            }
            return Vec::new();
        }
        let rolled_back = txn.rollback().await.map_err(|e| e.to_string());
        if !savepoints && rolled_back.is_ok() {
            savepoints = true;
            continue;
        }
        let rest = group.split_off(ran);
        let failed = rolled_back.and(Err(
            "a write of its group could not be undone alone".to_string()
        ));
        for job in group {
            (job.answer)(failed.clone());
        }
        return rest;
    }
}
