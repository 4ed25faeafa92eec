//! `clerk-rl api --batch FILE`: every request of a file through the one HTTP core, in order
//! where it matters, resumable.
//!
//! Lines on the same resource (a user, an organization, a membership, from the path) form a
//! chain run in file order; a line that fails holds the rest of its chain (`skipped`, naming
//! it), so a resource never ends older than the file says. Chains run side by side. A request
//! waits first for its endpoint budget (the per-user limit) without holding a place in flight,
//! then for one of the places in flight (rate x round trip, `pacing::InFlight`), then goes
//! through `ctx.client` like any `api` call: the instance budget, the endpoint gate, the retry
//! rules. The journal (`journal.rs`) records each line before it is sent and when it finished,
//! so a rerun sends only what is not finished, and never a second time a line that is not safe
//! to repeat.

mod journal;
mod line;
mod plan;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::cli::{ApiArgs, GlobalArgs};
use crate::error::{Exit, exit_of, fail};
use crate::http::{ClerkError, HttpError, Response};
use crate::pacing::budget::{Budget, Plan};
use crate::pacing::endpoint_limits::{EndpointLimits, Scope};
use crate::pacing::pacer::Pacer;
use crate::pacing::{InFlight, InFlightCore};
use crate::settings::context::Context;
use journal::{Journal, Prior};
use line::Line;

/// The most requests in flight when the round trip asks for more.
const MAX_IN_FLIGHT: usize = 128;
/// The in-flight count is rate x round trip at this many times the budget's average rate.
const BURST_FACTOR: f64 = 3.0;
/// The most chains (resources) under way at once; the rest start as these end.
const MAX_CHAINS: usize = 4096;

/// The file read and checked, with what an earlier run finished.
pub struct Prepared {
    lines: Vec<Line>,
    journal: Option<PathBuf>,
    prior: HashMap<usize, (String, Prior)>,
    source: String,
}

fn journal_path(args: &ApiArgs, file: &Path) -> Option<PathBuf> {
    if let Some(p) = &args.state {
        return Some(p.clone());
    }
    if file.as_os_str() == "-" {
        return None;
    }
    Some(crate::output::sibling(file, ".batch-journal"))
}

/// Read FILE and the journal; nothing is sent and no key is read.
pub fn prepare(args: &ApiArgs) -> anyhow::Result<Prepared> {
    let usage = |m: String| fail(Exit::Usage, m);
    let file = args.batch.clone().unwrap_or_else(|| "-".into());
    let source = if file.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        file.display().to_string()
    };
    let reader: Box<dyn Read> = if file.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(&file).map_err(|e| usage(format!("--batch {source}: {e}")))?)
    };
    let mut lines = Vec::new();
    for (i, text) in BufReader::new(reader).lines().enumerate() {
        let text = text.map_err(|e| usage(format!("--batch {source}: line {}: {e}", i + 1)))?;
        let t = text.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        lines.push(line::parse(i + 1, t));
    }
    if lines.is_empty() {
        return Err(usage(format!("--batch {source}: no request in it")));
    }
    if lines.iter().all(|l| l.request.is_err()) {
        let first = &lines[0];
        return Err(usage(format!(
            "--batch {source}: no valid request in it (line {}: {})",
            first.no,
            first.request.as_ref().err().map_or("", String::as_str)
        )));
    }
    let journal = journal_path(args, &file);
    let prior = match &journal {
        Some(j) => {
            journal::load(j).map_err(|e| usage(format!("the journal {}: {e}", j.display())))?
        }
        None => HashMap::new(),
    };
    Ok(Prepared {
        lines,
        journal,
        prior,
        source,
    })
}

/// How each line starts this run.
#[derive(Debug, Clone)]
enum Start {
    /// Finished (by an earlier run, or invalid): its result as it stands.
    Final(Value),
    Send,
    /// Sent by an earlier run that ended before its answer was recorded, and not safe to send
    /// again.
    Lost,
}

fn base_result(l: &Line, status: &str) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("line".into(), json!(l.no));
    if let Some(id) = &l.id {
        m.insert("id".into(), id.clone());
    }
    m.insert("status".into(), json!(status));
    if let Ok(r) = &l.request {
        m.insert("method".into(), json!(r.method.as_str()));
        m.insert("path".into(), json!(r.path));
    }
    m
}

fn starts(p: &Prepared) -> Vec<Start> {
    p.lines
        .iter()
        .map(|l| {
            let req = match &l.request {
                Err(why) => {
                    let mut m = base_result(l, "invalid");
                    m.insert("error".into(), json!(why));
                    return Start::Final(Value::Object(m));
                }
                Ok(r) => r,
            };
            match p.prior.get(&l.no) {
                Some((h, prior)) if *h == l.hash => match prior {
                    // ok and unknown are final; a failed line is sent again (what held it
                    // may be fixed), and the lines it held after it.
                    Prior::Done(v) if matches!(v["status"].as_str(), Some("ok" | "unknown")) => {
                        let mut v = v.clone();
                        v["earlier_run"] = json!(true);
                        Start::Final(v)
                    }
                    Prior::Sending if !req.idempotent() => Start::Lost,
                    _ => Start::Send,
                },
                _ => Start::Send,
            }
        })
        .collect()
}

/// The chains: lines of one resource in file order; a line on no resource is a chain alone.
fn chains(lines: &[Line]) -> Vec<Vec<usize>> {
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

/// `--dry-run`: every line checked, the plan and the least time the budgets need.
pub fn dry_run(global: &GlobalArgs, p: &Prepared) -> anyhow::Result<Exit> {
    let budget = global.budget();
    let limits = EndpointLimits::new(&global.endpoint_rate);
    let st = starts(p);
    let to_send: Vec<&Line> = p
        .lines
        .iter()
        .zip(&st)
        .filter(|(_, s)| matches!(s, Start::Send))
        .map(|(l, _)| l)
        .collect();
    let invalid: Vec<&Line> = p.lines.iter().filter(|l| l.request.is_err()).collect();
    let plan = plan::Plan::of(
        to_send.iter().filter_map(|l| {
            let r = l.request.as_ref().ok()?;
            Some((r.method.as_str(), r.path.as_str()))
        }),
        &budget.rate,
        &limits,
    );
    let resources = chains(&p.lines)
        .iter()
        .filter(|c| p.lines[c[0]].resource.is_some())
        .count();
    let finished = st.iter().filter(|s| matches!(s, Start::Final(_))).count() - invalid.len();
    let lost = st.iter().filter(|s| matches!(s, Start::Lost)).count();
    for l in invalid.iter().take(20) {
        eprintln!(
            "clerk-rl: error: {} line {}: {}",
            p.source,
            l.no,
            l.request.as_ref().err().map_or("", String::as_str)
        );
    }
    let out = if global.json {
        json!({
            "lines": p.lines.len(),
            "to_send": to_send.len(),
            "finished_before": finished,
            "unknown_before": lost,
            "invalid": invalid.len(),
            "resources": resources,
            "journal": p.journal.as_ref().map(|j| j.display().to_string()),
            "plan": plan.to_json(),
        })
        .to_string()
    } else {
        let mut s = format!(
            "{} lines in {}: {} to send, {} finished by an earlier run, {} lost by one (reported unknown), {} invalid\n\
             {} resources (users, organizations, memberships), each kept in file order\n",
            p.lines.len(),
            p.source,
            to_send.len(),
            finished,
            lost,
            invalid.len(),
            resources
        );
        s.push_str(&plan.describe());
        s
    };
    println!("{}", out.trim_end());
    Ok(if invalid.is_empty() {
        Exit::Ok
    } else {
        Exit::Usage
    })
}

/// One journal record of a line.
enum Rec<'v> {
    Sending,
    Released,
    Done(&'v Value),
}

/// A place in flight; the count follows [`InFlight`]'s limit.
struct Slots {
    inflight: Arc<InFlight>,
    busy: Mutex<usize>,
    freed: Notify,
}

struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_waiters();
    }
}

impl Slots {
    async fn acquire(&self) -> Slot<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
                // The limit changes only with an answer, whose request frees its place right
                // after: that wakes the waiters, who read the new limit.
                if *busy < self.inflight.limit() || self.inflight.stopped() {
                    *busy += 1;
                    return Slot(self);
                }
            }
            freed.await;
        }
    }
}

/// Results written in input order, whatever order they finish in.
struct Emitter {
    next: usize,
    pending: BTreeMap<usize, Value>,
    out: BufWriter<Box<dyn Write + Send>>,
    broken: Option<io::Error>,
    counts: BTreeMap<String, u64>,
}

impl Emitter {
    fn emit(&mut self, index: usize, v: Value) {
        let status = v["status"].as_str().unwrap_or("?").to_string();
        *self.counts.entry(status).or_default() += 1;
        self.pending.insert(index, v);
        while let Some(v) = self.pending.remove(&self.next) {
            self.write(&v);
            self.next += 1;
        }
    }

    fn write(&mut self, v: &Value) {
        if self.broken.is_some() {
            return;
        }
        let mut line = v.to_string();
        line.push('\n');
        if let Err(e) = self.out.write_all(line.as_bytes()) {
            self.broken = Some(e);
        }
    }

    /// The rest, in order, past the lines that did not finish (a stopped run).
    fn finish(&mut self) -> io::Result<()> {
        for v in std::mem::take(&mut self.pending).into_values() {
            self.write(&v);
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

struct Env<'a> {
    ctx: &'a Context,
    lines: &'a [Line],
    starts: Vec<Start>,
    journal: Option<Journal>,
    limits: EndpointLimits,
    gates: Mutex<HashMap<String, Arc<Pacer>>>,
    inflight: Arc<InFlight>,
    slots: Slots,
    emitter: Mutex<Emitter>,
    stop: AtomicBool,
    abort: Mutex<Option<anyhow::Error>>,
    progress: indicatif::ProgressBar,
}

impl Env<'_> {
    /// Every chain of lines, up to [`MAX_CHAINS`] at once, until all are done or the run stops.
    async fn run_chains(&self) {
        use futures::StreamExt;
        let mut pending = chains(self.lines).into_iter();
        let mut running = futures::stream::FuturesUnordered::new();
        loop {
            while running.len() < MAX_CHAINS && !self.stopped() {
                match pending.next() {
                    Some(c) => running.push(self.chain(c)),
                    None => break,
                }
            }
            if running.next().await.is_none() {
                break;
            }
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn abort(&self, e: anyhow::Error) {
        let mut a = self.abort.lock().unwrap_or_else(|e| e.into_inner());
        if a.is_none() {
            *a = Some(e);
        }
        self.stop.store(true, Ordering::SeqCst);
        self.inflight.stop();
    }

    fn emit(&self, index: usize, v: Value) {
        self.progress.inc(1);
        self.emitter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .emit(index, v);
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

    async fn journal_write(&self, l: &Line, rec: Rec<'_>) -> bool {
        let Some(j) = &self.journal else {
            return true;
        };
        let written = match rec {
            Rec::Sending => j.sending(l.no, &l.hash).await,
            Rec::Released => j.released(l.no, &l.hash).await,
            Rec::Done(v) => j.done(l.no, &l.hash, v).await,
        };
        match written {
            Ok(()) => true,
            Err(e) => {
                self.abort(fail(
                    Exit::Other,
                    format!("cannot write the journal {}: {e}", j.path().display()),
                ));
                false
            }
        }
    }

    async fn chain(&self, idxs: Vec<usize>) {
        let mut blocked: Option<usize> = None;
        let mut scopes: Vec<String> = Vec::new();
        for i in idxs {
            if self.stopped() {
                break;
            }
            let l = &self.lines[i];
            if let Some(b) = blocked {
                let mut m = base_result(l, "skipped");
                m.insert("blocked_by".into(), json!(b));
                self.emit(i, Value::Object(m));
                continue;
            }
            let result = match &self.starts[i] {
                Start::Final(v) => Some(v.clone()),
                Start::Lost => {
                    let mut m = base_result(l, "unknown");
                    m.insert(
                        "error".into(),
                        json!("sent by an earlier run that ended before its answer was recorded; not sent again (no idempotency key): check it, then give the line an idempotency_key to send it"),
                    );
                    let v = Value::Object(m);
                    if !self.journal_write(l, Rec::Done(&v)).await {
                        break;
                    }
                    Some(v)
                }
                Start::Send => self.send(l, &mut scopes).await,
            };
            let Some(v) = result else {
                break;
            };
            if v["status"] != json!("ok") {
                blocked = Some(l.no);
            }
            self.emit(i, v);
        }
        // A user's window is of no use once its lines are done (memory stays flat).
        let mut g = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        for s in scopes {
            g.remove(&s);
        }
    }

    /// Send one line; `None` when the run stops before it finished.
    async fn send(&self, l: &Line, scopes: &mut Vec<String>) -> Option<Value> {
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
        if !self.journal_write(l, Rec::Sending).await {
            return None;
        }
        let answer = self.inflight.track(ctx.client.execute(&req)).await;
        drop(permit);
        let (result, abort) = outcome(l, &req, answer);
        let written = match &result {
            Some(v) => self.journal_write(l, Rec::Done(v)).await,
            None => self.journal_write(l, Rec::Released).await,
        };
        if let Some(e) = abort {
            self.abort(e);
        }
        if written { result } else { None }
    }
}

fn body_value(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
}

/// What an answer makes of a line, and whether the run must stop (an error every other line
/// would meet too). A `None` result: the line was surely not applied and stays unfinished.
fn outcome(
    l: &Line,
    req: &crate::http::Request,
    answer: Result<Response, HttpError>,
) -> (Option<Value>, Option<anyhow::Error>) {
    match answer {
        Ok(resp) => answered(l, req, &resp),
        Err(e) => not_answered(l, req, e),
    }
}

/// The line's result: `status`, the HTTP status when there was one, and what else is known.
fn result_of(
    l: &Line,
    status: &str,
    http: Option<u16>,
    extra: Vec<(&str, Value)>,
) -> Option<Value> {
    let mut m = base_result(l, status);
    if let Some(h) = http {
        m.insert("http_status".into(), json!(h));
    }
    for (k, v) in extra {
        m.insert(k.into(), v);
    }
    Some(Value::Object(m))
}

/// The server answered: ok, failed, or unknown (a 5xx to a request that may not be sent again).
fn answered(
    l: &Line,
    req: &crate::http::Request,
    resp: &Response,
) -> (Option<Value>, Option<anyhow::Error>) {
    let status = resp.status.as_u16();
    if resp.status.is_success() {
        return (
            result_of(
                l,
                "ok",
                Some(status),
                vec![("body", body_value(&resp.body))],
            ),
            None,
        );
    }
    let e = ClerkError::parse(status, &resp.headers, &resp.body);
    if req.method == Method::DELETE && status == 404 {
        // Gone already (an earlier delete): what the line asked for holds.
        return (
            result_of(
                l,
                "ok",
                Some(status),
                vec![("note", json!("already absent")), ("error", json!(e))],
            ),
            None,
        );
    }
    if matches!(status, 401 | 403) {
        let line = format!("line {}: {e}", l.no);
        return (None, Some(fail(e.exit(), line)));
    }
    let transient = resp.status.is_server_error() || status == 408;
    if transient && !req.idempotent() {
        return (
            result_of(
                l,
                "unknown",
                Some(status),
                vec![
                    ("error", json!(e)),
                    (
                        "why",
                        json!(format!(
                            "the {} may have been applied; not sent again (no idempotency key)",
                            req.method
                        )),
                    ),
                ],
            ),
            None,
        );
    }
    (
        result_of(l, "failed", Some(status), vec![("error", json!(e))]),
        None,
    )
}

/// No answer to act on: the request failed in the HTTP core (after its retries), was refused
/// by the budget, or may have been applied without an answer.
fn not_answered(
    l: &Line,
    req: &crate::http::Request,
    e: HttpError,
) -> (Option<Value>, Option<anyhow::Error>) {
    match e {
        HttpError::NotRetried { method, detail } => (
            result_of(
                l,
                "unknown",
                None,
                vec![(
                    "why",
                    json!(format!(
                        "{detail}; the {method} may have been applied; not sent again (no idempotency key)"
                    )),
                )],
            ),
            None,
        ),
        HttpError::Clerk(e) => (
            result_of(l, "failed", Some(e.status), vec![("error", json!(e))]),
            None,
        ),
        e @ (HttpError::RateLimited { .. } | HttpError::WaitTooLong { .. }) => {
            // Refused by the server: not applied; the rest waits for a rerun.
            (None, Some(anyhow::Error::new(e)))
        }
        e @ HttpError::Transport { .. } => {
            let result = (!req.idempotent()).then(|| {
                result_of(
                    l,
                    "unknown",
                    None,
                    vec![(
                        "why",
                        json!(format!("{e}; not sent again (no idempotency key)")),
                    )],
                )
            });
            (result.flatten(), Some(anyhow::Error::new(e)))
        }
    }
}

/// Where results go, and for a `--results` file its partial path and its final one.
type ResultsTarget = (Box<dyn Write + Send>, Option<(PathBuf, PathBuf)>);

fn open_results(args: &ApiArgs) -> anyhow::Result<ResultsTarget> {
    match &args.results {
        None => Ok((Box::new(io::stdout()), None)),
        Some(path) => {
            let partial = crate::output::sibling(path, ".partial");
            let f = File::create(&partial)
                .map_err(|e| fail(Exit::Usage, format!("--results {}: {e}", path.display())))?;
            Ok((Box::new(f), Some((partial, path.clone()))))
        }
    }
}

pub async fn run(ctx: &Context, args: &ApiArgs, p: Prepared) -> anyhow::Result<Exit> {
    let (_lock, journal) = open_journal(ctx, &p)?;
    let (out, rename) = open_results(args)?;
    warn_invalid(ctx, &p);
    // Sized to send a window's budget in its first third, not at the window's average rate:
    // a batch a few windows long is otherwise held back by its own count (the first 1000 of
    // 2,000 updates at 1000/10s take 3 s at 100 in flight, 7.7 s at 39), while the pacer still
    // holds the rate and the count still shrinks to a server that queues.
    let inflight = Arc::new(InFlight::new(InFlightCore::auto(
        BURST_FACTOR * ctx.budget.rate.per_second(),
        MAX_IN_FLIGHT,
    )));
    let env = Env {
        ctx,
        lines: &p.lines,
        starts: starts(&p),
        journal,
        limits: EndpointLimits::new(&ctx.global.endpoint_rate),
        gates: Mutex::new(HashMap::new()),
        inflight: Arc::clone(&inflight),
        slots: Slots {
            inflight: Arc::clone(&inflight),
            busy: Mutex::new(0),
            freed: Notify::new(),
        },
        emitter: Mutex::new(Emitter {
            next: 0,
            pending: BTreeMap::new(),
            out: BufWriter::new(out),
            broken: None,
            counts: BTreeMap::new(),
        }),
        stop: AtomicBool::new(false),
        abort: Mutex::new(None),
        progress: ctx.ui.progress(Some(p.lines.len() as u64), "lines"),
    };
    env.run_chains().await;
    ctx.ui.finish_progress();
    let (written, counts) = {
        let mut e = env.emitter.lock().unwrap_or_else(|e| e.into_inner());
        (e.finish(), e.counts.clone())
    };
    written.map_err(|e| anyhow::Error::new(e).context("writing the results failed"))?;
    if let Some((partial, path)) = rename {
        // Durable before it is named: the data (fsync reaches the file through any descriptor
        // of it), then the rename, then the folder that records the rename.
        let failed = |e: io::Error| fail(Exit::Other, format!("--results {}: {e}", path.display()));
        File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(failed)?;
        std::fs::rename(&partial, &path).map_err(failed)?;
        crate::output::sync_dir(&path).map_err(failed)?;
    }
    let unfinished = p.lines.len() as u64 - counts.values().sum::<u64>();
    summarize(ctx, &p, &env.starts, &counts, unfinished);
    if !ctx.global.json && ctx.global.verbose > 0 {
        ctx.ui.info(&inflight.snapshot().describe());
    }
    let abort = env.abort.lock().unwrap_or_else(|e| e.into_inner()).take();
    verdict(ctx, &p, &counts, unfinished, abort)
}

/// The journal of a file of requests, locked for the run; none (with a warning) for stdin.
fn open_journal(
    ctx: &Context,
    p: &Prepared,
) -> anyhow::Result<(Option<crate::output::lock::OutputLock>, Option<Journal>)> {
    let lock = match &p.journal {
        Some(j) => Some(crate::output::lock::OutputLock::acquire(j)?),
        None => {
            ctx.ui.warn(
                "reading requests from stdin without --state: no journal is kept, so a rerun cannot tell what was done",
            );
            None
        }
    };
    let journal = match &p.journal {
        Some(j) => Some(Journal::open(j).map_err(|e| {
            fail(
                Exit::Other,
                format!("cannot open the journal {}: {e}", j.display()),
            )
        })?),
        None => None,
    };
    Ok((lock, journal))
}

/// The first ten invalid lines, each a warning.
fn warn_invalid(ctx: &Context, p: &Prepared) {
    let invalid: Vec<&Line> = p.lines.iter().filter(|l| l.request.is_err()).collect();
    for l in invalid.iter().take(10) {
        ctx.ui.warn(&format!(
            "{} line {}: {} (reported invalid; later lines on its resource are skipped)",
            p.source,
            l.no,
            l.request.as_ref().err().map_or("", String::as_str)
        ));
    }
}

/// The end-of-run summary: lines by result, those left unfinished and those finished before.
fn summarize(
    ctx: &Context,
    p: &Prepared,
    starts: &[Start],
    counts: &BTreeMap<String, u64>,
    unfinished: u64,
) {
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let earlier = starts
        .iter()
        .filter(|s| matches!(s, Start::Final(v) if v["earlier_run"] == json!(true)))
        .count();
    ctx.summary(&[
        ("lines", json!(p.lines.len())),
        ("ok", json!(count("ok"))),
        ("failed", json!(count("failed"))),
        ("skipped", json!(count("skipped"))),
        ("unknown", json!(count("unknown"))),
        ("invalid", json!(count("invalid"))),
        ("unfinished", json!(unfinished)),
        ("finished_before", json!(earlier)),
        (
            "journal",
            json!(p.journal.as_ref().map(|j| j.display().to_string())),
        ),
    ]);
}

/// The run's exit: the error that stopped it, 7 when lines are not done, else 0; each says how
/// a rerun goes on.
fn verdict(
    ctx: &Context,
    p: &Prepared,
    counts: &BTreeMap<String, u64>,
    unfinished: u64,
    abort: Option<anyhow::Error>,
) -> anyhow::Result<Exit> {
    let count = |s: &str| counts.get(s).copied().unwrap_or(0);
    let rerun = match &p.journal {
        Some(j) => format!(
            "the journal {} keeps what is done: run the same command again to send the rest",
            j.display()
        ),
        None => "no journal was kept (stdin without --state)".to_string(),
    };
    if let Some(e) = abort {
        let exit = exit_of(&e);
        return Err(fail(
            exit,
            format!(
                "{e:#}; stopped with {unfinished} of {} lines unfinished; {rerun}",
                p.lines.len()
            ),
        ));
    }
    let bad = count("failed") + count("skipped") + count("unknown") + count("invalid");
    if bad > 0 {
        ctx.ui.always(&format!(
            "clerk-rl: {bad} of {} lines not done ({} failed, {} skipped behind them, {} unknown, {} invalid); {rerun}",
            p.lines.len(),
            count("failed"),
            count("skipped"),
            count("unknown"),
            count("invalid")
        ));
        return Ok(Exit::Partial);
    }
    Ok(Exit::Ok)
}
