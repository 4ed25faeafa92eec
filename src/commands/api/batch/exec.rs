//! The run of a batch: one window of the file at a time, its lines in chains (one resource's
//! lines in file order) side by side, results written in input order.
//!
//! A request waits first for its endpoint budget (the per-user limit) without holding a place
//! in flight, then for one of the places in flight (rate x round trip, `pacing::InFlight`),
//! then goes through `ctx.client` like any `api` call: the instance budget, the endpoint gate,
//! the retry rules. The journal records each line before it is sent (awaited: on disk before
//! the request leaves) and its result after (queued: made durable by the chain's next record,
//! or awaited when the chain ends), so a chain waits for the disk once a line, not twice.
//!
//! A window's chains all end before the next window starts, so a resource whose lines span
//! windows keeps its order; a resource whose line failed stays held in later windows (the
//! `held` map, which grows with failures only).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::journal::{self, Ack, Index, Journal, Prior};
use super::line::Line;
use super::outcome::{base_result, outcome};
use crate::error::{Exit, fail};
use crate::pacing::InFlight;
use crate::pacing::budget::{Budget, Plan};
use crate::pacing::endpoint_limits::{EndpointLimits, Scope};
use crate::pacing::pacer::Pacer;
use crate::settings::context::Context;

/// The most chains (resources) under way at once; the rest start as these end.
const MAX_CHAINS: usize = 4096;
/// Invalid lines warned about on stderr (all are in the results).
const WARN_INVALID: u64 = 10;

/// How a line starts this run.
#[derive(Debug, Clone)]
enum Start {
    /// Finished (by an earlier run, or invalid): its result as it stands.
    Final(Value),
    Send,
    /// Sent by an earlier run that ended before its answer was recorded, and not safe to send
    /// again.
    Lost,
}

/// The chains of a window: lines of one resource in file order; a line on no resource is a
/// chain alone.
pub fn chains(lines: &[Line]) -> Vec<Vec<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        match &l.resource {
            Some(r) => match index.get(r.as_str()) {
                Some(&c) => out[c].push(i),
                None => {
                    index.insert(r, out.len());
                    out.push(vec![i]);
                }
            },
            None => out.push(vec![i]),
        }
    }
    out
}

/// The places in flight: a semaphore whose permits follow [`InFlight`]'s limit, so a freed
/// place wakes the one chain first in line (waking every waiting chain, thousands of them
/// when the round trip is short, cost some 200 µs of CPU a request).
pub struct Slots {
    inflight: Arc<InFlight>,
    sem: Semaphore,
    /// Permits in existence (free or held); above the limit, a released one is forgotten.
    issued: Mutex<usize>,
}

struct Slot<'a> {
    slots: &'a Slots,
    permit: Option<SemaphorePermit<'a>>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let mut issued = self.slots.issued.lock().unwrap_or_else(|e| e.into_inner());
        if *issued > self.slots.inflight.limit() {
            permit.forget();
            *issued -= 1;
        } else {
            drop(permit);
        }
        drop(issued);
        self.slots.follow();
    }
}

impl Slots {
    pub fn new(inflight: Arc<InFlight>) -> Self {
        let n = inflight.limit();
        Slots {
            inflight,
            sem: Semaphore::new(n),
            issued: Mutex::new(n),
        }
    }

    /// Permits to the limit: more when it grew; free ones taken back when it fell (held ones
    /// are forgotten as they are released).
    fn follow(&self) {
        let limit = self.inflight.limit();
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if limit > *issued {
            self.sem.add_permits(limit - *issued);
            *issued = limit;
        } else if *issued > limit {
            let take = (*issued - limit).min(self.sem.available_permits());
            if take > 0
                && let Ok(p) = self.sem.try_acquire_many(take as u32)
            {
                p.forget();
                *issued -= take;
            }
        }
    }

    /// A place in flight; at once when the run stops (the caller then sends nothing).
    async fn acquire(&self) -> Slot<'_> {
        self.follow();
        if self.inflight.stopped() {
            return Slot {
                slots: self,
                permit: None,
            };
        }
        // Closed when the run stops: every wait ends.
        let permit = self.sem.acquire().await.ok();
        Slot {
            slots: self,
            permit,
        }
    }
}

/// Results written in input order, whatever order they finish in. Those finished ahead of an
/// earlier line wait as the text to write (at most a window of them).
pub struct Emitter {
    next: usize,
    pending: BTreeMap<usize, String>,
    out: BufWriter<Box<dyn Write + Send>>,
    broken: Option<io::Error>,
    pub counts: BTreeMap<String, u64>,
}

impl Emitter {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Emitter {
            next: 0,
            pending: BTreeMap::new(),
            out: BufWriter::with_capacity(1 << 16, out),
            broken: None,
            counts: BTreeMap::new(),
        }
    }

    fn emit(&mut self, index: usize, v: &Value) {
        let status = v["status"].as_str().unwrap_or("?").to_string();
        *self.counts.entry(status).or_default() += 1;
        let mut line = v.to_string();
        line.push('\n');
        if index != self.next {
            self.pending.insert(index, line);
            return;
        }
        self.write(&line);
        self.next += 1;
        while let Some(line) = self.pending.remove(&self.next) {
            self.write(&line);
            self.next += 1;
        }
    }

    fn write(&mut self, line: &str) {
        if self.broken.is_some() {
            return;
        }
        if let Err(e) = self.out.write_all(line.as_bytes()) {
            self.broken = Some(e);
        }
    }

    /// The rest, in order, past the lines that did not finish (a stopped run).
    pub fn finish(&mut self) -> io::Result<()> {
        for line in std::mem::take(&mut self.pending).into_values() {
            self.write(&line);
        }
        if self.broken.is_none()
            && let Err(e) = self.out.flush()
        {
            self.broken = Some(e);
        }
        match self.broken.take() {
            Some(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// What the whole run shares, across its windows.
pub struct Env<'a> {
    pub ctx: &'a Context,
    pub source: String,
    pub journal: Option<Journal>,
    /// What an earlier run recorded, and its journal open for reading results back.
    pub prior: Index,
    pub prior_file: Mutex<Option<BufReader<File>>>,
    pub limits: EndpointLimits,
    pub gates: Mutex<HashMap<String, Arc<Pacer>>>,
    pub inflight: Arc<InFlight>,
    pub slots: Slots,
    pub emitter: Mutex<Emitter>,
    /// Resources held by a line that did not succeed: resource -> that line.
    pub held: Mutex<HashMap<String, usize>>,
    pub stop: AtomicBool,
    pub abort: Mutex<Option<anyhow::Error>>,
    pub progress: indicatif::ProgressBar,
    /// Lines finished by an earlier run, reported as they stood.
    pub earlier: AtomicU64,
    pub invalid_seen: AtomicU64,
}

impl Env<'_> {
    /// Every chain of one window, up to [`MAX_CHAINS`] at once, until all are done or the run
    /// stops. `base` is the window's first line's place among the file's requests.
    pub async fn run_window(&self, lines: &[Line], base: usize) {
        use futures::StreamExt;
        let mut pending = chains(lines).into_iter();
        let mut running = futures::stream::FuturesUnordered::new();
        loop {
            while running.len() < MAX_CHAINS && !self.stopped() {
                match pending.next() {
                    Some(c) => running.push(self.chain(lines, base, c)),
                    None => break,
                }
            }
            if running.next().await.is_none() {
                break;
            }
        }
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub fn abort(&self, e: anyhow::Error) {
        let mut a = self.abort.lock().unwrap_or_else(|e| e.into_inner());
        if a.is_none() {
            *a = Some(e);
        }
        self.stop.store(true, Ordering::SeqCst);
        self.inflight.stop();
        self.slots.sem.close();
    }

    fn emit(&self, index: usize, v: &Value) {
        self.progress.inc(1);
        self.emitter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .emit(index, v);
    }

    fn journal_failed(&self, e: &io::Error) {
        let path = self
            .journal
            .as_ref()
            .map(|j| j.path().display().to_string());
        self.abort(fail(
            Exit::Other,
            format!("cannot write the journal {}: {e}", path.unwrap_or_default()),
        ));
    }

    /// This process's own count of an endpoint budget, kept before the core's gate so a request
    /// waiting for its user's window holds no place in flight.
    fn gate(&self, scope: &Scope) -> Arc<Pacer> {
        let mut g = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            g.entry(scope.key.clone()).or_insert_with(|| {
                Pacer::new(&Budget::new(Plan::Free, Some(scope.limit.rate), None))
            }),
        )
    }

    /// How the line starts: finished (invalid, or by an earlier run: its result read back from
    /// the journal), to send, or lost by an earlier run. `None`: the journal cannot be read.
    fn start(&self, l: &Line) -> Option<Start> {
        let req = match &l.request {
            Err(why) => {
                if self.invalid_seen.fetch_add(1, Ordering::Relaxed) < WARN_INVALID {
                    self.ctx.ui.warn(&format!(
                        "{} line {}: {why} (reported invalid; later lines on its resource are skipped)",
                        self.source, l.no
                    ));
                }
                let mut m = base_result(l, "invalid");
                m.insert("error".into(), json!(why));
                return Some(Start::Final(Value::Object(m)));
            }
            Ok(r) => r,
        };
        Some(match self.prior.get(l.no, &l.hash) {
            Some((Prior::Final, at)) => {
                let read = {
                    let mut f = self.prior_file.lock().unwrap_or_else(|e| e.into_inner());
                    match f.as_mut() {
                        Some(f) => journal::result_at(f, at),
                        None => Err(io::Error::other("the journal is not open")),
                    }
                };
                match read {
                    Ok(mut v) => {
                        v["earlier_run"] = json!(true);
                        self.earlier.fetch_add(1, Ordering::Relaxed);
                        Start::Final(v)
                    }
                    Err(e) => {
                        self.abort(fail(
                            Exit::Server,
                            format!("the journal's record of line {} cannot be read: {e}", l.no),
                        ));
                        return None;
                    }
                }
            }
            // A failed line is sent again (what held it may be fixed), and the lines it held.
            Some((Prior::Sending, _)) if !req.idempotent() => Start::Lost,
            _ => Start::Send,
        })
    }

    async fn chain(&self, lines: &[Line], base: usize, idxs: Vec<usize>) {
        let resource = lines[idxs[0]].resource.clone();
        let mut blocked: Option<usize> = resource.as_ref().and_then(|r| {
            let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            held.get(r).copied()
        });
        let mut scopes: Vec<String> = Vec::new();
        // The last result record queued and not yet known to be on disk.
        let mut unsynced: Option<Ack> = None;
        for i in idxs {
            if self.stopped() {
                break;
            }
            let l = &lines[i];
            if let Some(b) = blocked {
                let mut m = base_result(l, "skipped");
                m.insert("blocked_by".into(), json!(b));
                self.emit(base + i, &Value::Object(m));
                continue;
            }
            let Some(start) = self.start(l) else {
                break;
            };
            let result = match start {
                Start::Final(v) => Some(v),
                Start::Lost => self.lost(l).await,
                Start::Send => self.send(l, &mut scopes, &mut unsynced).await,
            };
            let Some(v) = result else {
                break;
            };
            if v["status"] != json!("ok") {
                blocked = Some(l.no);
                if let Some(r) = &resource {
                    let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
                    held.insert(r.clone(), l.no);
                }
            }
            self.emit(base + i, &v);
        }
        if let Some(ack) = unsynced
            && let Err(e) = ack.wait().await
        {
            self.journal_failed(&e);
        }
        // A user's window is of no use once its lines are done (memory stays flat).
        let mut g = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        for s in scopes {
            g.remove(&s);
        }
    }

    /// A line an earlier run sent without recording its answer: `unknown`, recorded as final.
    async fn lost(&self, l: &Line) -> Option<Value> {
        let mut m = base_result(l, "unknown");
        m.insert(
            "error".into(),
            json!("sent by an earlier run that ended before its answer was recorded; not sent again (no idempotency key): check it, then give the line an idempotency_key to send it"),
        );
        let v = Value::Object(m);
        if let Some(j) = &self.journal
            && let Err(e) = j.done(l.no, &l.hash, &v).await
        {
            self.journal_failed(&e);
            return None;
        }
        Some(v)
    }

    /// Send one line; `None` when the run stops before it finished.
    async fn send(
        &self,
        l: &Line,
        scopes: &mut Vec<String>,
        unsynced: &mut Option<Ack>,
    ) -> Option<Value> {
        let r = l.request.as_ref().ok()?;
        let ctx = self.ctx;
        let req = crate::http::Request {
            method: r.method.clone(),
            url: ctx.client.url(&r.path, &r.query),
            headers: r.headers.clone(),
            body: r.body.clone(),
        };
        let permit = match self.limits.scope(req.method.as_str(), req.url.path()) {
            Some(scope) => {
                if scope.limit.per_user && !scopes.contains(&scope.key) {
                    scopes.push(scope.key.clone());
                }
                Some(self.gate(&scope).acquire().await.0)
            }
            None => None,
        };
        let _slot = self.slots.acquire().await;
        if self.stopped() {
            return None;
        }
        if let Some(j) = &self.journal {
            // On disk before the request leaves; records reach the disk in order, so this also
            // makes the chain's previous result durable.
            if let Err(e) = j.sending(l.no, &l.hash).await {
                self.journal_failed(&e);
                return None;
            }
            *unsynced = None;
        }
        let answer = self.inflight.track(ctx.client.execute(&req)).await;
        drop(permit);
        let (result, abort) = outcome(l, &req, answer);
        if let Some(j) = &self.journal {
            let queued = match &result {
                Some(v) => j
                    .queued_done(l.no, &l.hash, v)
                    .map(|ack| *unsynced = Some(ack)),
                None => j.released(l.no, &l.hash).await,
            };
            if let Err(e) = queued {
                self.journal_failed(&e);
                return None;
            }
        }
        if let Some(e) = abort {
            self.abort(e);
        }
        result
    }
}
