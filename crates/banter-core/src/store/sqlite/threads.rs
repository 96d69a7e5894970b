//! The threads SQLite runs on: one writer that commits whatever has gathered in one transaction (group commit),
//! and readers with connections of their own, so that the runtime's workers never block on the disk and reads
//! never queue behind writes.
//!
//! In memory there are no reader threads. SQLite's `memdb` has no WAL: while the writer's transaction is open,
//! another connection cannot read, and under steady writing a reader waited out its busy timeout and failed
//! ("database is locked"). Reads go to the writer thread instead, which runs them between two commits: a read waits
//! only for the writes queued before it.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::oneshot;

use super::failure;
use crate::store::StoreError;

/// The most jobs committed in one transaction: enough to carry a burst, few enough that one commit stays short.
const GROUP: usize = 512;

/// A unit of work for the writer: it runs inside the shared transaction, and hears afterwards whether that
/// transaction committed.
trait Work: Send {
    /// Runs the job; also returns its error, if it failed.
    fn run(self: Box<Self>, connection: &Connection) -> (Box<dyn Finish>, Option<StoreError>);
    fn abandon(self: Box<Self>, error: StoreError);
}

/// What a job does once the transaction it ran in has committed, or failed to.
trait Finish: Send {
    fn finish(self: Box<Self>, committed: Result<(), StoreError>, connection: &Connection);
}

/// Runs on the writer thread once a job's transaction has committed, before the next transaction begins: for
/// changes outside the database that must follow the commit and precede whatever comes next. It may read the
/// database through the connection.
pub(super) type AfterCommit<T> = Box<dyn FnOnce(&Connection, &T) + Send>;

/// What the writer thread is given: work for the next transaction, or a read to run between transactions.
enum Task {
    Write(Box<dyn Work>),
    Read(Read),
}

struct Job<F, T> {
    work: F,
    after: Option<AfterCommit<T>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

struct Done<T> {
    result: Result<T, StoreError>,
    after: Option<AfterCommit<T>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<F, T> Work for Job<F, T>
where
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, connection: &Connection) -> (Box<dyn Finish>, Option<StoreError>) {
        // Each job in its own savepoint: one that fails leaves no half-written rows in the others' commit.
        let result = match connection.execute_batch("SAVEPOINT job") {
            Err(error) => Err(failure(error)),
            Ok(()) => {
                let work = self.work;
                // A job that panics is a bug, but it must cost its own request, not the writer thread that every
                // later write needs.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(connection)))
                    .unwrap_or_else(|_| Err(StoreError::Failed("a storage job panicked; it was not kept".into())));
                match (
                    &result,
                    connection.execute_batch(if result.is_ok() {
                        "RELEASE job"
                    } else {
                        "ROLLBACK TO job; RELEASE job"
                    }),
                ) {
                    (_, Ok(())) => result,
                    // After a full disk SQLite may have rolled the whole transaction back itself, savepoint and
                    // all: the job's own error says what happened, the failed rollback does not.
                    (Err(_), Err(_)) => result,
                    (Ok(_), Err(error)) => Err(failure(error)),
                }
            }
        };
        let error = result.as_ref().err().cloned();
        (Box::new(Done { result, after: self.after, reply: self.reply }), error)
    }

    fn abandon(self: Box<Self>, error: StoreError) {
        // The caller may have stopped waiting; nothing else can be done with the answer.
        let _ = self.reply.send(Err(error));
    }
}

impl<T: Send> Finish for Done<T> {
    fn finish(self: Box<Self>, committed: Result<(), StoreError>, connection: &Connection) {
        let result = committed.and(self.result);
        if let (Ok(value), Some(after)) = (&result, self.after) {
            after(connection, value);
        }
        let _ = self.reply.send(result);
    }
}

/// The writer thread's end of things: send jobs, and stop it.
#[derive(Debug)]
pub(super) struct Writer {
    jobs: Mutex<Option<mpsc::Sender<Task>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub(super) fn start(connection: Connection) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel::<Task>();
        let thread = std::thread::Builder::new()
            .name("banter-store-writer".into())
            .spawn(move || write_loop(connection, &queue))
            .map_err(|error| StoreError::Failed(format!("could not start the writer thread: {error}")))?;
        Ok(Writer { jobs: Mutex::new(Some(jobs)), thread: Mutex::new(Some(thread)) })
    }

    /// Runs `work` in the next transaction; answers once that transaction has committed.
    pub(super) async fn write<F, T>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.write_then(work, None).await
    }

    /// Like [`Writer::write`], with `after` run on the writer thread once the transaction has committed.
    pub(super) async fn write_then<F, T>(&self, work: F, after: Option<AfterCommit<T>>) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.send(Task::Write(Box::new(Job { work, after, reply })))?;
        answer.await.unwrap_or(Err(StoreError::Stopped))
    }

    /// Runs `read` on the writer's connection, between two transactions (see the module's documentation).
    async fn read<F, T>(&self, read: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (job, answer) = read_job(read);
        self.send(Task::Read(job))?;
        answer.await.unwrap_or(Err(StoreError::Stopped))
    }

    fn send(&self, task: Task) -> Result<(), StoreError> {
        send_to(&self.jobs, task)
    }

    /// Lets the writer finish what it holds, then waits for its thread.
    pub(super) fn stop(&self) {
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take() {
            if thread.join().is_err() {
                tracing::error!("the store's writer thread panicked");
            }
        }
    }
}

fn write_loop(mut connection: Connection, queue: &mpsc::Receiver<Task>) {
    while let Ok(first) = queue.recv() {
        let first = match first {
            Task::Read(read) => {
                read(&connection);
                continue;
            }
            Task::Write(job) => job,
        };
        let mut jobs = vec![first];
        // A read that arrives while the group gathers closes it: it runs right after this commit.
        let mut read_next = None;
        while jobs.len() < GROUP {
            match queue.try_recv() {
                Ok(Task::Write(job)) => jobs.push(job),
                Ok(Task::Read(read)) => {
                    read_next = Some(read);
                    break;
                }
                Err(_) => break,
            }
        }
        commit_group(&mut connection, jobs);
        if let Some(read) = read_next {
            read(&connection);
        }
    }
}

/// Runs `jobs` in one transaction and commits it, then tells each job how that went.
fn commit_group(connection: &mut Connection, jobs: Vec<Box<dyn Work>>) {
    let transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(error) => {
            let error = failure(error);
            tracing::warn!(%error, "could not begin a transaction");
            jobs.into_iter().for_each(|job| job.abandon(error.clone()));
            return;
        }
    };
    let mut finishes: Vec<Box<dyn Finish>> = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    let mut lost = None;
    for job in jobs.by_ref() {
        let (finish, error) = job.run(&transaction);
        finishes.push(finish);
        // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back by itself. The
        // jobs after it must not run outside a transaction, where each would commit on its own while its
        // caller heard that it failed.
        if let (Some(error), true) = (error, transaction.is_autocommit()) {
            lost = Some(error);
            break;
        }
    }
    if let Some(error) = lost {
        tracing::warn!(%error, "a transaction was rolled back; nothing in it was kept");
        drop(transaction);
        for finish in finishes {
            finish.finish(Err(error.clone()), connection);
        }
        jobs.for_each(|job| job.abandon(error.clone()));
        return;
    }
    let committed = transaction.commit().map_err(failure);
    if let Err(error) = &committed {
        tracing::warn!(%error, jobs = finishes.len(), "a commit failed; nothing in it was kept");
    }
    for finish in finishes {
        finish.finish(committed.clone(), connection);
    }
}

type Read = Box<dyn FnOnce(&Connection) + Send>;

/// Hands `job` to a thread's queue, unless the store has stopped.
fn send_to<J>(queue: &Mutex<Option<mpsc::Sender<J>>>, job: J) -> Result<(), StoreError> {
    match queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref() {
        Some(jobs) => jobs.send(job).map_err(|_| StoreError::Stopped),
        None => Err(StoreError::Stopped),
    }
}

/// A read as a job for whichever thread runs it, in a read transaction of its own so that what it sees is one
/// moment, and the answer it will give.
fn read_job<F, T>(read: F) -> (Read, oneshot::Receiver<Result<T, StoreError>>)
where
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    let job: Read = Box::new(move |connection| {
        let result = match connection.execute_batch("BEGIN DEFERRED") {
            Err(error) => Err(failure(error)),
            Ok(()) => {
                // As with write jobs: a read that panics costs its own request, not the thread (in memory the
                // writer's, which every later request needs).
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(connection)))
                    .unwrap_or_else(|_| Err(StoreError::Failed("a storage read panicked".into())));
                if let Err(error) = connection.execute_batch("COMMIT") {
                    tracing::debug!(%error, "could not end a read transaction");
                    // A connection left inside a transaction would make every later BEGIN fail.
                    if !connection.is_autocommit() {
                        let _ = connection.execute_batch("ROLLBACK");
                    }
                }
                result
            }
        };
        let _ = reply.send(result);
    });
    (job, answer)
}

/// Where reads run: reader threads with connections of their own, or the writer thread (in memory).
#[derive(Debug)]
pub(super) enum Readers {
    Threads { jobs: Mutex<Option<mpsc::Sender<Read>>>, threads: Mutex<Vec<JoinHandle<()>>> },
    Writer(Arc<Writer>),
}

impl Readers {
    /// Reader threads sharing one queue, each with its own connection.
    pub(super) fn start(connections: Vec<Connection>) -> Result<Readers, StoreError> {
        let (jobs, queue) = mpsc::channel::<Read>();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::new();
        for (index, connection) in connections.into_iter().enumerate() {
            let queue = Arc::clone(&queue);
            let thread = std::thread::Builder::new()
                .name(format!("banter-store-reader-{index}"))
                .spawn(move || loop {
                    // Held only while taking a job, so the readers work in parallel.
                    let next = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                    match next {
                        Ok(read) => read(&connection),
                        Err(_) => return,
                    }
                })
                .map_err(|error| StoreError::Failed(format!("could not start a reader thread: {error}")))?;
            threads.push(thread);
        }
        Ok(Readers::Threads { jobs: Mutex::new(Some(jobs)), threads: Mutex::new(threads) })
    }

    /// Runs `read` on the next free reader.
    pub(super) async fn read<F, T>(&self, read: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let jobs = match self {
            Readers::Writer(writer) => return writer.read(read).await,
            Readers::Threads { jobs, .. } => jobs,
        };
        let (job, answer) = read_job(read);
        send_to(jobs, job)?;
        answer.await.unwrap_or(Err(StoreError::Stopped))
    }

    /// Stops the reader threads once they have done what they hold (the writer stops on its own).
    pub(super) fn stop(&self) {
        let Readers::Threads { jobs, threads } = self else { return };
        jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        for thread in threads.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).drain(..) {
            if thread.join().is_err() {
                tracing::error!("a store reader thread panicked");
            }
        }
    }
}
