//! `clerk-rl export-users`: every user exactly once, as JSON Lines, as fast as the budget allows.
//!
//! Pages of up to 500 users over the `starting_after` cursor, oldest first, so sign-ups during
//! the export land at the end and deletions never shift a page. One request per page, one count
//! at the start for the progress bar. When one stream cannot use the budget (latency x rate > 1),
//! the rest of the created_at range is split into parts paged concurrently; the writer still
//! writes in created_at order. A file export is resumable from its checkpoint at any instant.

pub mod checkpoint;
mod finished;
mod part;
mod verify;
mod writer;

use std::collections::VecDeque;
use std::fs;
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use crate::api::{parse_count, parse_page};
use crate::cli::ExportArgs;
use crate::error::{Exit, exit_of, fail, one_line};
use crate::http::{Client, HttpError};
use crate::output::lock::{OutputLock, lock_path};
use crate::pacing::{InFlight, InFlightCore};
use crate::settings::context::Context;
use crate::signals::CommandSignals;
use checkpoint::{Checkpoint, PartCheckpoint, VERSION, same_path, sibling};
use part::{Paging, PartState, RESERVED, kept_lines, split};
use verify::{Progress, Seen};
use writer::{Msg, Outcome, Output, Writer, finish_file, open_truncated};

/// Most concurrent page streams `--concurrency 0` (auto) picks: production (100/s) at a
/// 400 ms round trip needs about 50 in flight.
const MAX_AUTO_STREAMS: usize = 64;
/// Pages a part should have at least, so that the one short page that ends each part costs
/// at most 2% more requests.
const PAGES_PER_PART: u64 = 50;
/// Pages buffered between fetchers and the writer: the memory bound of the whole export.
const CHANNEL_PAGES: usize = 2;

/// What every page request of this export shares.
struct Job {
    filters: Vec<(String, String)>,
    after: Option<i64>,
    before: Option<i64>,
    page_size: u32,
    paging: Mutex<Paging>,
}

impl Job {
    fn paging(&self) -> Paging {
        *self.paging.lock().expect("paging lock")
    }
}

pub async fn run(ctx: &Context, args: &ExportArgs) -> anyhow::Result<Exit> {
    // Before any work: a SIGTERM that comes early still finds the checkpoint saved.
    let mut signals = CommandSignals::install()?;
    let job = job_of(args)?;
    if args.dry_run {
        return dry_run(ctx, &job).await;
    }
    let prepared = match prepare(ctx, args, &job)? {
        Some(p) => p,
        None => return Ok(Exit::Ok),
    };
    let Prepared {
        _lock: _held,
        out,
        spill_dir,
        temp,
        cp,
        checkpoint_path,
    } = prepared;
    *job.paging.lock().expect("paging lock") = cp.paging;

    let total = if args.no_count {
        None
    } else {
        count(ctx, &all_filters(&job)).await?
    };
    let start_users = cp.users;
    let (budget, page_size) = (ctx.budget, u64::from(job.page_size));
    let bar = ctx
        .ui
        .progress_with_eta(total, start_users, "users", move |done, len, elapsed| {
            budget.eta(
                len.saturating_sub(done),
                page_size,
                done.saturating_sub(start_users),
                elapsed,
            )
        });
    bar.set_position(cp.users);
    let parts: Vec<PartState> = cp.parts.iter().map(|p| p.state.clone()).collect();
    let head = cp.head;

    let (tx, rx) = mpsc::channel(CHANNEL_PAGES);
    let writer = Writer::new(out, spill_dir, temp, cp, bar);
    let writer = tokio::task::spawn_blocking(move || writer.run(rx));

    let job = Arc::new(job);
    let to_stdout = args.output.is_none();
    let mut reader_left = false;
    let fetched = tokio::select! {
        r = fetch_all(ctx, Arc::clone(&job), parts, head, total, args.concurrency as usize, tx) => Ok(r),
        stop = signals.recv() => Err(stop),
        () = crate::output::stdout_reader_gone(), if to_stdout => {
            reader_left = true;
            Ok(Ok(()))
        }
    };
    // The fetchers are gone and the channel is closed: the writer drains what was sent,
    // checkpoints, and ends.
    let (written, cp) = writer.await?;
    if reader_left {
        // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
        ctx.ui.finish_progress();
        return Ok(Exit::Ok);
    }
    let outcome = match written {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
            ctx.ui.finish_progress();
            return Ok(Exit::Ok);
        }
        Err(e) if disk_full(&e) => {
            ctx.ui.finish_progress();
            let Some(path) = &checkpoint_path else {
                return Err(
                    anyhow::Error::new(e).context("writing the export failed: the disk is full")
                );
            };
            ctx.ui.line(&format!(
                "clerk-rl: {} users are saved (checkpoint {}); once space is freed, resume with:\n  {}",
                cp.users,
                path.display(),
                resume_command(&ctx.argv)
            ));
            return Err(fail(
                Exit::Other,
                format!(
                    "the disk is full: writing beside {} failed ({e}); free some space, then --resume continues from the checkpoint {}",
                    cp.output.display(),
                    path.display()
                ),
            ));
        }
        Err(e) => {
            ctx.ui.finish_progress();
            return Err(anyhow::Error::new(e).context("writing the export failed"));
        }
    };
    let resume = checkpoint_path.as_ref().map(|_| resume_command(&ctx.argv));
    let extra = summary_rows(&cp, start_users, args, &job, ctx.global.json);
    match (fetched, outcome) {
        (Err(stop), _) => {
            ctx.summary(&extra);
            let by = stop.name();
            match &resume {
                Some(cmd) => ctx.ui.always(&format!(
                    "clerk-rl: interrupted ({by}) after {} users; the checkpoint is saved. Resume with:\n  {cmd}",
                    cp.users
                )),
                None => ctx.ui.always(&format!(
                    "clerk-rl: interrupted ({by}) after {} users (stdout exports cannot be resumed; use --output FILE)",
                    cp.users
                )),
            }
            Ok(stop.exit())
        }
        (Ok(Err(e)), _) => {
            ctx.summary(&extra);
            if let Some(cmd) = &resume {
                ctx.ui.always(&format!(
                    "clerk-rl: {} users are saved; once the cause is fixed, resume with:\n  {cmd}",
                    cp.users
                ));
            }
            Err(e)
        }
        (Ok(Ok(())), Outcome::Complete) => {
            conclude(
                ctx,
                args,
                &job,
                total,
                cp,
                checkpoint_path.as_deref(),
                &extra,
            )
            .await
        }
        (Ok(Ok(())), Outcome::Incomplete) => {
            // The fetchers stopped because the writer did; its error was reported above.
            Err(fail(Exit::Other, "the export stopped before the end"))
        }
    }
}

/// Every user is written: check the export against the count, then put a file into place. An
/// export that cannot be proven complete stays `.partial`, its checkpoint kept.
async fn conclude(
    ctx: &Context,
    args: &ExportArgs,
    job: &Job,
    total: Option<u64>,
    mut cp: Checkpoint,
    checkpoint_path: Option<&std::path::Path>,
    extra: &[(&'static str, serde_json::Value)],
) -> anyhow::Result<Exit> {
    let proven = prove_complete(ctx, args, job, total, cp.users).await;
    if let Ok(Some(note)) = &proven {
        ctx.ui.warn(note);
    }
    let placed = match (&proven, checkpoint_path) {
        (Ok(_), Some(path)) => {
            cp.complete = true;
            cp.save(path)
                .and_then(|()| finish_file(&cp, path, &spill_dir_of(&cp.output)))
                .map(|()| finished::save(&cp))
                .map_err(|e| anyhow::Error::new(e).context("putting the export into place failed"))
        }
        _ => Ok(()),
    };
    ctx.summary(extra);
    placed?;
    if let Err(e) = proven {
        let kept = match &args.output {
            Some(o) => format!(
                "; {} is not written and the checkpoint is kept",
                o.display()
            ),
            None => String::new(),
        };
        return Err(fail(exit_of(&e), format!("{}{kept}", one_line(&e))));
    }
    Ok(Exit::Ok)
}

/// The end-of-run check: users written against the count taken at the start and again now, with
/// the same filters. `Ok(Some(note))`: not checked, as asked.
async fn prove_complete(
    ctx: &Context,
    args: &ExportArgs,
    job: &Job,
    start: Option<u64>,
    written: u64,
) -> anyhow::Result<Option<&'static str>> {
    if args.no_count {
        return Ok(Some(
            "not checked against the server's count (--no-count): completeness is not proven",
        ));
    }
    let uncountable = || {
        fail(
            Exit::Server,
            "the server has no /v1/users/count, so the export cannot be checked against it; pass --no-count to accept an unchecked export",
        )
    };
    let start = start.ok_or_else(uncountable)?;
    let end = count(ctx, &all_filters(job))
        .await?
        .ok_or_else(uncountable)?;
    match verify::lost(written, start, end) {
        Some(why) => Err(fail(Exit::Server, why)),
        None => Ok(None),
    }
}

/// No space left (ENOSPC) or over quota (EDQUOT): freeing space fixes it, and --resume goes on.
fn disk_full(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::StorageFull
        || e.kind() == io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28 | 122))
}

fn spill_dir_of(output: &std::path::Path) -> PathBuf {
    sibling(output, ".parts")
}

fn job_of(args: &ExportArgs) -> anyhow::Result<Job> {
    let mut after = None;
    let mut before = None;
    let mut filters = Vec::new();
    crate::api::check_repeats(&args.filters).map_err(|e| fail(Exit::Usage, e))?;
    for (k, v) in &args.filters {
        if RESERVED.contains(&k.as_str()) {
            return Err(fail(
                Exit::Usage,
                format!("--filter {k}=… is set by export-users itself and cannot be passed"),
            ));
        }
        let ms = |v: &str| {
            v.parse::<i64>().map_err(|_| {
                fail(
                    Exit::Usage,
                    format!("--filter {k}={v}: expected Unix milliseconds, e.g. 1700000000000"),
                )
            })
        };
        match k.as_str() {
            "created_at_after" => after = Some(ms(v)?),
            "created_at_before" => before = Some(ms(v)?),
            _ => filters.push((k.clone(), v.clone())),
        }
    }
    Ok(Job {
        filters,
        after,
        before,
        page_size: args.page_size,
        paging: Mutex::new(Paging::Cursor),
    })
}

/// The filters as the user gave them (for checkpoints and the count request).
fn all_filters(job: &Job) -> Vec<(String, String)> {
    let mut f = job.filters.clone();
    if let Some(a) = job.after {
        f.push(("created_at_after".into(), a.to_string()));
    }
    if let Some(b) = job.before {
        f.push(("created_at_before".into(), b.to_string()));
    }
    f
}

async fn count(ctx: &Context, filters: &[(String, String)]) -> anyhow::Result<Option<u64>> {
    let url = ctx.client.url("/v1/users/count", filters);
    let parse = |r: &crate::http::Response| parse_count(&r.body);
    match ctx.client.get_with(&url, parse).await {
        Ok((_, n)) => Ok(Some(n)),
        // A server without the count endpoint still exports; only the progress total is lost.
        Err(HttpError::Clerk(e)) if e.status == 404 || e.status == 405 => {
            ctx.ui
                .warn("the server has no /v1/users/count; no total or ETA");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn dry_run(ctx: &Context, job: &Job) -> anyhow::Result<Exit> {
    let users = count(ctx, &all_filters(job)).await?.ok_or_else(|| {
        fail(
            Exit::Other,
            "the server cannot count users, so a dry run cannot estimate",
        )
    })?;
    let pages = users / job.page_size as u64 + 1;
    let requests = pages + 1;
    let budget = &ctx.budget;
    let least = budget.least_time(requests);
    if ctx.global.json {
        println!(
            "{}",
            json!({
                "users": users,
                "page_size": job.page_size,
                "pages": pages,
                "requests": requests,
                "budget": budget.describe(),
                "least_time_s": least.as_secs_f64(),
            })
        );
    } else {
        let mut t = crate::ui::table(crate::ui::Stream::Stdout);
        t.add_row(vec!["users".to_string(), users.to_string()]);
        t.add_row(vec![
            "requests".to_string(),
            format!("{requests} ({pages} pages of {} + 1 count)", job.page_size),
        ]);
        t.add_row(vec!["budget".to_string(), budget.describe()]);
        t.add_row(vec![
            "least time".to_string(),
            humantime::format_duration(Duration::from_secs(least.as_secs())).to_string(),
        ]);
        println!("{t}");
    }
    Ok(Exit::Ok)
}

struct Prepared {
    /// Held for the whole run: one writer per output.
    _lock: Option<OutputLock>,
    out: Output,
    spill_dir: PathBuf,
    temp: Option<tempfile::TempDir>,
    cp: Checkpoint,
    checkpoint_path: Option<PathBuf>,
}

impl Prepared {
    /// A file export: the `.partial` file, its spill folder and its checkpoint.
    fn file(
        lock: OutputLock,
        file: fs::File,
        spill_dir: PathBuf,
        cp: Checkpoint,
        checkpoint_path: PathBuf,
    ) -> Self {
        Prepared {
            _lock: Some(lock),
            out: Output::File {
                file,
                checkpoint_path: checkpoint_path.clone(),
            },
            spill_dir,
            temp: None,
            cp,
            checkpoint_path: Some(checkpoint_path),
        }
    }
}

fn fresh_checkpoint(ctx: &Context, job: &Job, partial: PathBuf, output: PathBuf) -> Checkpoint {
    Checkpoint {
        version: VERSION,
        instance: ctx.key.fingerprint(),
        filters: all_filters(job),
        page_size: job.page_size,
        paging: Paging::Cursor,
        partial,
        output,
        bytes: 0,
        users: 0,
        head: 0,
        parts: vec![PartCheckpoint {
            state: PartState::default(),
            spill_bytes: 0,
        }],
        complete: false,
    }
}

/// Check the output and checkpoint before spending any request. `None`: nothing left to do.
fn prepare(ctx: &Context, args: &ExportArgs, job: &Job) -> anyhow::Result<Option<Prepared>> {
    let usage = |m: String| fail(Exit::Usage, m);
    let Some(output) = &args.output else {
        let temp = tempfile::Builder::new()
            .prefix("clerk-rl-export-")
            .tempdir()
            .map_err(|e| usage(format!("cannot create a temporary folder: {e}")))?;
        return Ok(Some(Prepared {
            _lock: None,
            out: Output::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
            spill_dir: temp.path().to_path_buf(),
            temp: Some(temp),
            cp: fresh_checkpoint(ctx, job, PathBuf::new(), PathBuf::new()),
            checkpoint_path: None,
        }));
    };
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(usage(format!(
            "--output {}: the folder {} does not exist",
            output.display(),
            dir.display()
        )));
    }
    if output.is_dir() {
        return Err(usage(format!("--output {} is a folder", output.display())));
    }
    let partial = sibling(output, ".partial");
    let spill_dir = spill_dir_of(output);
    let checkpoint_path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| sibling(output, ".checkpoint"));
    // A checkpoint on one of the export's own files would be renamed into place, overwritten
    // by the export or taken for a lock: refused before the lock is taken or anything touched.
    for (theirs, what) in [
        (output.clone(), "--output itself"),
        (partial.clone(), "the partial export (OUTPUT.partial)"),
        (lock_path(output), "the lock (OUTPUT.lock)"),
        (spill_dir.clone(), "the spill folder (OUTPUT.parts)"),
    ] {
        if same_path(&checkpoint_path, &theirs) {
            return Err(usage(format!(
                "--checkpoint {} is {what}; give the checkpoint a file of its own, e.g. {}",
                checkpoint_path.display(),
                sibling(output, ".checkpoint").display()
            )));
        }
    }
    // Before anything is read or touched: a second run into the same file stops here.
    let lock = OutputLock::acquire(output)?;

    // --resume is idempotent, as `wget -c` is, so `until clerk-rl export-users -o F --resume`
    // is a valid retry loop: finished → nothing to do, never started → start.
    if args.resume && !checkpoint_path.exists() {
        if output.exists() {
            // Finished, but with these filters, key and page size? Else it holds other users.
            if let Some(done) = finished::load(output) {
                done.check_matches(
                    &ctx.key.fingerprint(),
                    &all_filters(job),
                    job.page_size,
                    output,
                )?;
            }
            ctx.ui.line(&format!(
                "clerk-rl: the export into {} is already complete (no checkpoint beside it); nothing to do",
                output.display()
            ));
            return Ok(None);
        }
        ctx.ui.line(&format!(
            "clerk-rl: no checkpoint {} to resume from; starting a fresh export into {}",
            checkpoint_path.display(),
            output.display()
        ));
    } else if args.resume {
        let cp = Checkpoint::load(&checkpoint_path)?;
        cp.check_matches(
            &ctx.key.fingerprint(),
            &all_filters(job),
            job.page_size,
            output,
        )?;
        if cp.complete {
            finish_file(&cp, &checkpoint_path, &spill_dir)?;
            finished::save(&cp);
            ctx.ui.line(&format!(
                "clerk-rl: the export into {} was already complete ({} users)",
                output.display(),
                cp.users
            ));
            return Ok(None);
        }
        let file = open_truncated(&partial, cp.bytes, "the partial export")
            .map_err(|e| usage(e.to_string()))?;
        for (i, p) in cp.parts.iter().enumerate().skip(cp.head + 1) {
            let path = Writer::spill_path(&spill_dir, i);
            if p.spill_bytes > 0 {
                open_truncated(&path, p.spill_bytes, "the spill file")
                    .map_err(|e| usage(e.to_string()))?;
            } else {
                let _ = fs::remove_file(&path);
            }
        }
        ctx.ui.line(&format!(
            "clerk-rl: resuming the export into {} after {} users",
            output.display(),
            cp.users
        ));
        return Ok(Some(Prepared::file(
            lock,
            file,
            spill_dir,
            cp,
            checkpoint_path,
        )));
    }

    if !args.force && !args.resume {
        if checkpoint_path.exists() {
            return Err(usage(format!(
                "an unfinished export into {} exists (checkpoint {}); continue it with --resume, or start over with --force",
                output.display(),
                checkpoint_path.display()
            )));
        }
        if output.exists() {
            return Err(usage(format!(
                "{} already exists; pass --force to replace it",
                output.display()
            )));
        }
    }
    let _ = fs::remove_file(&checkpoint_path);
    let _ = fs::remove_dir_all(&spill_dir);
    let file = fs::File::create(&partial).map_err(|e| {
        usage(format!(
            "cannot write {} (beside --output): {e}",
            partial.display()
        ))
    })?;
    let cp = fresh_checkpoint(ctx, job, partial, output.clone());
    cp.save(&checkpoint_path).map_err(|e| {
        usage(format!(
            "cannot write the checkpoint {}: {e}",
            checkpoint_path.display()
        ))
    })?;
    Ok(Some(Prepared::file(
        lock,
        file,
        spill_dir,
        cp,
        checkpoint_path,
    )))
}

/// Fetch every part not yet done, sending pages to the writer. Returns when all are done, when
/// the writer stops taking pages (closed stdout), or with the first error.
async fn fetch_all(
    ctx: &Context,
    job: Arc<Job>,
    mut parts: Vec<PartState>,
    head: usize,
    total: Option<u64>,
    concurrency: usize,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    let rate = ctx.budget.rate.per_second();
    // One part: page sequentially, and split the rest of the range after the first page if one
    // stream cannot use the budget.
    if parts.len() == 1 && !parts[0].done {
        let state = &mut parts[0];
        let mut seen = Seen::default();
        let mut pages = 0u64;
        loop {
            let (latency, sent) = next_page(&ctx.client, &job, 0, state, &mut seen, &tx).await?;
            if !sent {
                return Ok(());
            }
            pages += 1;
            if state.done {
                return Ok(());
            }
            // A newest-first walk stays one stream: its parts would need a range it cannot bound.
            if pages == 1 && !job.paging().descending() {
                let pages_left =
                    total.map(|t| t.saturating_sub(state.users) / job.page_size as u64);
                let core = match concurrency {
                    0 => InFlightCore::auto(rate, MAX_AUTO_STREAMS).warmed(latency),
                    n => InFlightCore::fixed(n),
                };
                let streams = streams_for(core.limit(), pages_left);
                if streams > 1
                    && let Some(new_parts) = replan(ctx, &job, state, streams, pages_left).await?
                {
                    if tx.send(Msg::Replan(new_parts.clone())).await.is_err() {
                        return Ok(());
                    }
                    ctx.ui.info(&format!(
                        "one stream cannot use the budget ({} ms per page): {} parts over {streams} streams",
                        latency.as_millis(),
                        new_parts.len()
                    ));
                    return run_parts(ctx, job, new_parts, 0, streams, core, tx).await;
                }
            }
        }
    }
    // A resumed export: its parts are planned already. Start from a few streams and let the
    // round trip set the count.
    let n = parts.len().saturating_sub(head).max(1);
    let (streams, core) = match concurrency {
        0 => (
            n.min(MAX_AUTO_STREAMS),
            InFlightCore::auto(rate, n.min(MAX_AUTO_STREAMS)),
        ),
        c => (c, InFlightCore::fixed(c)),
    };
    run_parts(ctx, job, parts, head, streams, core, tx).await
}

/// Page the parts from `head` on, `streams` at a time at most (as many as the in-flight count
/// admits), lowest index first. Ends at once when the writer stops taking pages (the reader of
/// stdout left): every stream, paging or waiting for its turn, is dropped then.
async fn run_parts(
    ctx: &Context,
    job: Arc<Job>,
    parts: Vec<PartState>,
    head: usize,
    streams: usize,
    core: InFlightCore,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    let queue: VecDeque<(usize, PartState)> = parts
        .into_iter()
        .enumerate()
        .skip(head)
        .filter(|(_, p)| !p.done)
        .collect();
    let queue = Arc::new(Mutex::new(queue));
    let inflight = Arc::new(InFlight::new(core));
    let mut set = tokio::task::JoinSet::new();
    for w in 0..streams.max(1) {
        let queue = Arc::clone(&queue);
        let inflight = Arc::clone(&inflight);
        let job = Arc::clone(&job);
        let tx = tx.clone();
        let client = ctx.client.clone();
        set.spawn(async move {
            let nothing_left = || queue.lock().expect("queue lock").is_empty();
            loop {
                let next = match inflight.wait(w, nothing_left).await {
                    true => queue.lock().expect("queue lock").pop_front(),
                    false => None,
                };
                let Some((i, mut state)) = next else {
                    inflight.nudge();
                    return Ok(());
                };
                // A part, once taken, is finished by its stream even when the count lowers
                // meanwhile: a part handed back could be left with no stream to take it.
                let mut seen = Seen::default();
                while !state.done {
                    let (_, sent) = inflight
                        .track(next_page(&client, &job, i, &mut state, &mut seen, &tx))
                        .await?;
                    if !sent {
                        inflight.stop();
                        return Ok(());
                    }
                }
            }
        });
    }
    // Kept only to see the writer leave; dropped before the writer is awaited.
    let watch = tx;
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                None => break,
                Some(r) => {
                    let r: anyhow::Result<()> = r?;
                    if let Err(e) = r {
                        set.abort_all();
                        return Err(e);
                    }
                }
            },
            () = watch.closed() => {
                // The writer stopped (a closed pipe, a full disk): nothing more is wanted.
                inflight.stop();
                set.abort_all();
                return Ok(());
            }
        }
    }
    ctx.ui.info(&inflight.snapshot().describe());
    Ok(())
}

/// Fetch, check and send one page of part `i`. Returns the page's latency, and whether the
/// writer took it (false: it has stopped, so should we). A page the server got wrong (out of
/// order, repeated, going back) ends the export with exit 6 unless a fallback keeps it exact.
async fn next_page(
    client: &Client,
    job: &Job,
    i: usize,
    state: &mut PartState,
    seen: &mut Seen,
    tx: &mpsc::Sender<Msg>,
) -> anyhow::Result<(Duration, bool)> {
    loop {
        let paging = job.paging();
        let query = state.query(&job.filters, job.after, job.before, job.page_size, paging);
        let had_cursor = state.cursor.is_some();
        let before = state.clone();
        let url = client.url("/v1/users", &query);
        let (resp, users) = match client.get_with(&url, |r| parse_page(&r.body)).await {
            Ok(ok) => ok,
            Err(HttpError::Clerk(e))
                if paging == Paging::Cursor && had_cursor && matches!(e.status, 400 | 422) =>
            {
                switch_to_offset(client, job, state, tx, &format!("it answered {e}")).await?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let name = seen.name(i);
        if let Some((prev, next)) = verify::out_of_order(&users, paging.descending()) {
            if paging == Paging::Cursor
                && verify::fresh(i, state, seen)
                && verify::newest_first(&users)
            {
                switch_to_descending(client, job, tx).await;
                continue;
            }
            return Err(fail(
                Exit::Server,
                verify::disorder(&name, prev, next, paging),
            ));
        }
        if state.gap(&users, job.page_size, paging) {
            // More users were deleted since the last page than the overlap re-reads: ask
            // again from further back instead of skipping the users between.
            state.widen(job.page_size);
            client.ui().info(&format!(
                "{name} does not join the users written (users deleted meanwhile shifted it); asking it again from offset {}",
                state.offset(job.page_size)
            ));
            continue;
        }
        let acc = state.accept(&users, job.page_size, paging);
        let prev_cursor = before.cursor.as_deref();
        match verify::progress(
            seen,
            &name,
            &users,
            &acc,
            paging,
            job.page_size,
            prev_cursor,
        ) {
            Progress::Fine => {}
            // A page asked again from further back after a gap may hold only users written.
            Progress::Broken(_) if paging == Paging::Offset && before.back > 0 => {}
            Progress::RepeatsFirstPage if paging == Paging::Cursor => {
                // The same users again: the server ignored starting_after.
                *state = before;
                switch_to_offset(client, job, state, tx, "it ignored the cursor").await?;
                continue;
            }
            Progress::RepeatsFirstPage => {
                return Err(fail(
                    Exit::Server,
                    format!("{name} repeats page 1: the server ignores starting_after"),
                ));
            }
            Progress::Broken(why) => return Err(fail(Exit::Server, why)),
        }
        seen.record(&users);
        let latency = resp.latency;
        // The body is parsed: free it before the page's lines are gathered (memory per stream).
        drop(resp);
        let lines = kept_lines(users, &acc.kept);
        let msg = Msg::Page {
            part: i,
            lines,
            users: acc.kept.len() as u64,
            state: state.clone(),
        };
        let sent = tx.send(msg).await.is_ok();
        return Ok((latency, sent));
    }
}

/// The server listed newest first although oldest first was asked: walk newest to oldest over
/// the cursor instead, which the final count check keeps exact.
async fn switch_to_descending(client: &Client, job: &Job, tx: &mpsc::Sender<Msg>) {
    *job.paging.lock().expect("paging lock") = Paging::Descending;
    client.ui().warn(
        "the server lists users newest first whatever order_by asks; walking from the newest to the oldest over starting_after instead (one stream). The file is newest first, users who sign up meanwhile are not in it, and the count check at the end proves it complete",
    );
    let _ = tx.send(Msg::Paging(Paging::Descending)).await;
}

async fn switch_to_offset(
    client: &Client,
    job: &Job,
    state: &mut PartState,
    tx: &mpsc::Sender<Msg>,
    why: &str,
) -> anyhow::Result<()> {
    let first = {
        let mut p = job.paging.lock().expect("paging lock");
        let first = *p == Paging::Cursor;
        *p = Paging::Offset;
        first
    };
    state.use_offset();
    if first {
        client.ui().warn(&format!(
            "the server does not page by starting_after ({why}; an older API version?); paging by offset instead, with overlapping pages and duplicates dropped by id"
        ));
        let _ = tx.send(Msg::Paging(Paging::Offset)).await;
    }
    Ok(())
}

/// How many concurrent streams to split for: the in-flight count the budget needs, no more
/// than there are pages left.
fn streams_for(wanted: usize, pages_left: Option<u64>) -> usize {
    match pages_left {
        // Not worth splitting what a few pages finish.
        Some(p) if p < 2 => 1,
        Some(p) => wanted.min(p as usize),
        None => wanted,
    }
}

/// Split the rest of the range after `first`'s last user into parts, from the newest user's
/// created_at. `None` when there is nothing to split.
async fn replan(
    ctx: &Context,
    job: &Job,
    first: &PartState,
    streams: usize,
    pages_left: Option<u64>,
) -> anyhow::Result<Option<Vec<PartState>>> {
    let Some(lo) = first.last_created_at else {
        return Ok(None);
    };
    let mut q = all_filters(job);
    q.push(("limit".into(), "1".into()));
    q.push(("order_by".into(), "-created_at".into()));
    let url = ctx.client.url("/v1/users", &q);
    let (_, newest) = ctx.client.get_with(&url, |r| parse_page(&r.body)).await?;
    let Some(hi) = newest.first().map(|u| u.created_at) else {
        return Ok(None);
    };
    if hi <= lo {
        return Ok(None);
    }
    // Whole rounds of parts (a part left for a second round doubles the time), several parts a
    // stream when there are pages enough to even out uneven sign-up rates, and each part long
    // enough that its one short last page costs at most 2% more requests.
    let rounds = match pages_left {
        Some(p) => (p / (PAGES_PER_PART * streams as u64)).clamp(1, 4) as usize,
        None => 4,
    };
    let n = streams * rounds;
    let parts = split(first, lo, hi + 1, n);
    Ok((parts.len() > 1).then_some(parts))
}

fn summary_rows(
    cp: &Checkpoint,
    start_users: u64,
    args: &ExportArgs,
    job: &Job,
    json: bool,
) -> Vec<(&'static str, serde_json::Value)> {
    let target = match &args.output {
        Some(p) => p.display().to_string(),
        None => "stdout".into(),
    };
    vec![
        ("users", json!(cp.users)),
        ("users_this_run", json!(cp.users - start_users)),
        ("output", json!(target)),
        (
            "paging",
            json!(match (job.paging(), json) {
                (Paging::Cursor, true) => "cursor",
                (Paging::Offset, true) => "offset",
                (Paging::Descending, true) => "descending",
                (Paging::Cursor, false) => "cursor (starting_after)",
                (Paging::Offset, false) => "offset (fallback)",
                (Paging::Descending, false) => "cursor, newest first (the server ignores order_by)",
            }),
        ),
        ("parts", json!(cp.parts.len())),
    ]
}

/// The command line that resumes this export: the same arguments, with --resume.
fn resume_command(argv: &[String]) -> String {
    let mut out = vec!["clerk-rl".to_string()];
    for a in argv.iter().skip(1) {
        if a == "--force" || a == "--resume" {
            continue;
        }
        out.push(shell_quote(a));
    }
    out.push("--resume".into());
    out.join(" ")
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
