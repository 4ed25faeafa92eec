//! `clerk-rl api --batch FILE`: every request of a file through the one HTTP core, in order
//! where it matters, resumable, a window of the file at a time.
//!
//! Lines on the same resource (a user, an organization, a membership, from the path) form a
//! chain run in file order; a line that fails holds the rest of its chain (`skipped`, naming
//! it), so a resource never ends older than the file says. Chains run side by side
//! (`exec.rs`). The file is read a window at a time (`source.rs`), so memory does not grow
//! with it. The journal (`journal.rs`) records each line before it is sent and when it
//! finished, so a rerun sends only what is not finished, and never a second time a line that
//! is not safe to repeat.

mod exec;
mod journal;
mod line;
mod outcome;
mod plan;
mod source;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::cli::{ApiArgs, GlobalArgs};
use crate::error::{Exit, exit_of, fail};
use crate::pacing::endpoint_limits::EndpointLimits;
use crate::pacing::{InFlight, InFlightCore};
use crate::settings::context::Context;
use exec::{Emitter, Env, Slots};
use journal::{Index, Journal, Prior};
use line::Line;
use source::Source;

/// The most requests in flight when the round trip asks for more.
const MAX_IN_FLIGHT: usize = 128;
/// The in-flight count is rate x round trip at this many times the budget's average rate.
const BURST_FACTOR: f64 = 3.0;

/// The file opened and its first window read and checked, with what an earlier run finished.
pub struct Prepared {
    source: Source,
    first: Vec<Line>,
    /// The file's requests (blank lines and comments not counted); `None` for stdin.
    total: Option<u64>,
    journal: Option<PathBuf>,
    prior: Index,
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

/// Open FILE, read its first window and the journal; nothing is sent and no key is read.
pub fn prepare(args: &ApiArgs) -> anyhow::Result<Prepared> {
    let usage = |m: String| fail(Exit::Usage, m);
    let file = args.batch.clone().unwrap_or_else(|| "-".into());
    let shown = if file.as_os_str() == "-" {
        "stdin".to_string()
    } else {
        file.display().to_string()
    };
    let total = source::count(&file).map_err(|e| usage(format!("--batch {shown}: {e}")))?;
    let mut source = Source::open(&file).map_err(|e| usage(format!("--batch {shown}: {e}")))?;
    let window = source::window();
    let first = source
        .chunk(window)
        .map_err(|e| usage(format!("--batch {shown}: {e}")))?;
    if first.is_empty() {
        return Err(usage(format!("--batch {shown}: no request in it")));
    }
    if first.iter().all(|l| l.request.is_err()) {
        let l = &first[0];
        let whole = if first.len() < window {
            ""
        } else {
            " in its first lines"
        };
        return Err(usage(format!(
            "--batch {shown}: no valid request{whole} (line {}: {})",
            l.no,
            l.request.as_ref().err().map_or("", String::as_str)
        )));
    }
    let journal = journal_path(args, &file);
    let prior = match &journal {
        Some(j) => {
            journal::load(j).map_err(|e| usage(format!("the journal {}: {e}", j.display())))?
        }
        None => Index::default(),
    };
    Ok(Prepared {
        source,
        first,
        total,
        journal,
        prior,
    })
}

/// What `--dry-run` counts of the file.
#[derive(Default)]
struct Tally {
    lines: u64,
    to_send: u64,
    finished: u64,
    lost: u64,
    invalid: u64,
    /// Of the resources' names: a count, not a list (memory stays small).
    resources: HashSet<u64>,
}

impl Tally {
    /// Count one line; its (method, path) when it is to be sent.
    fn add(&mut self, l: &Line, prior: &Index, source: &str) -> Option<(String, String)> {
        self.lines += 1;
        if let Some(r) = &l.resource {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            r.hash(&mut h);
            self.resources.insert(h.finish());
        }
        let req = match &l.request {
            Err(why) => {
                self.invalid += 1;
                if self.invalid <= 20 {
                    eprintln!("clerk-rl: error: {source} line {}: {why}", l.no);
                }
                return None;
            }
            Ok(r) => r,
        };
        match prior.get(l.no, &l.hash) {
            Some((Prior::Final, _)) => {
                self.finished += 1;
                None
            }
            Some((Prior::Sending, _)) if !req.idempotent() => {
                self.lost += 1;
                None
            }
            _ => {
                self.to_send += 1;
                Some((req.method.as_str().to_string(), req.path.clone()))
            }
        }
    }
}

/// `--dry-run`: every line checked, the plan and the least time the budgets need; the file is
/// read through once, a line at a time.
pub fn dry_run(global: &GlobalArgs, p: Prepared) -> anyhow::Result<Exit> {
    let budget = global.budget();
    let limits = EndpointLimits::new(&global.endpoint_rate);
    let Prepared {
        mut source,
        first,
        journal,
        prior,
        ..
    } = p;
    let name = source.name.clone();
    let mut tally = Tally::default();
    let mut failed: Option<io::Error> = None;
    let mut first = first.into_iter();
    let requests = std::iter::from_fn(|| {
        loop {
            let l = match first.next() {
                Some(l) => l,
                None => match source.next_text() {
                    Ok(Some((no, text))) => line::parse(no, &text),
                    Ok(None) => return None,
                    Err(e) => {
                        failed = Some(e);
                        return None;
                    }
                },
            };
            if let Some(r) = tally.add(&l, &prior, &name) {
                return Some(r);
            }
        }
    });
    let plan = plan::Plan::of(requests, &budget.rate, &limits);
    if let Some(e) = failed {
        return Err(fail(Exit::Usage, format!("--batch {name}: {e}")));
    }
    let out = if global.json {
        json!({
            "lines": tally.lines,
            "to_send": tally.to_send,
            "finished_before": tally.finished,
            "unknown_before": tally.lost,
            "invalid": tally.invalid,
            "resources": tally.resources.len(),
            "journal": journal.as_ref().map(|j| j.display().to_string()),
            "plan": plan.to_json(),
        })
        .to_string()
    } else {
        let mut s = format!(
            "{} lines in {name}: {} to send, {} finished by an earlier run, {} lost by one (reported unknown), {} invalid\n\
             {} resources (users, organizations, memberships), each kept in file order\n",
            tally.lines,
            tally.to_send,
            tally.finished,
            tally.lost,
            tally.invalid,
            tally.resources.len()
        );
        s.push_str(&plan.describe());
        s
    };
    println!("{}", out.trim_end());
    Ok(if tally.invalid == 0 {
        Exit::Ok
    } else {
        Exit::Usage
    })
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
    let Prepared {
        mut source,
        first,
        total,
        journal: journal_path,
        prior,
    } = p;
    let prior_file = match (&journal_path, prior.len()) {
        (Some(j), 1..) => Some(BufReader::new(File::open(j).map_err(|e| {
            fail(
                Exit::Other,
                format!("cannot read the journal {}: {e}", j.display()),
            )
        })?)),
        _ => None,
    };
    // Sized to send a window's budget in its first third, not at the window's average rate:
    // a batch a few windows long is otherwise held back by its own count (the first 1000 of
    // 2,000 updates at 1000/10s take 3 s at 100 in flight, 7.7 s at 39), while the pacer still
    // holds the rate and the count still shrinks to a server that queues. It starts with a
    // place for each chain of the first window: their first requests are the critical path
    // (a user's 20th update is 19 round trips after its first), and the pacer, not the count,
    // holds the rate; the first answers then set the count.
    let inflight = Arc::new(InFlight::new(
        InFlightCore::auto(BURST_FACTOR * ctx.budget.rate.per_second(), MAX_IN_FLIGHT)
            .starting(exec::chains(&first).len()),
    ));
    let env = Env {
        ctx,
        source: source.name.clone(),
        journal,
        prior,
        prior_file: Mutex::new(prior_file),
        limits: EndpointLimits::new(&ctx.global.endpoint_rate),
        gates: Mutex::new(Default::default()),
        inflight: Arc::clone(&inflight),
        slots: Slots::new(Arc::clone(&inflight)),
        emitter: Mutex::new(Emitter::new(out)),
        held: Mutex::new(Default::default()),
        stop: AtomicBool::new(false),
        abort: Mutex::new(None),
        progress: ctx.ui.progress(total, "lines"),
        earlier: AtomicU64::new(0),
        invalid_seen: AtomicU64::new(0),
    };
    let window = source::window();
    let mut read = 0usize;
    let mut next = Some(first);
    while let Some(lines) = next.take() {
        env.run_window(&lines, read).await;
        read += lines.len();
        if env.stopped() || lines.len() < window {
            break;
        }
        let (s, chunk) = source.chunk_async(window).await;
        source = s;
        match chunk {
            Ok(c) if c.is_empty() => {}
            Ok(c) => next = Some(c),
            Err(e) => env.abort(fail(Exit::Other, format!("--batch {}: {e}", source.name))),
        }
    }
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
    let lines = lines_of_run(total, read);
    let unfinished = lines - counts.values().sum::<u64>();
    let run = Ran {
        source: &source.name,
        journal: journal_path.as_deref(),
        lines,
        counts: &counts,
        unfinished,
        earlier: env.earlier.load(Ordering::Relaxed),
    };
    summarize(ctx, &run);
    if !ctx.global.json && ctx.global.verbose > 0 {
        ctx.ui.info(&inflight.snapshot().describe());
    }
    let abort = env.abort.lock().unwrap_or_else(|e| e.into_inner()).take();
    verdict(ctx, &run, abort)
}

/// The lines a run accounts for: the file's count, so that lines not read (a stopped run) are
/// unfinished too; the lines read when there is no count (stdin) or when the file grew after it
/// was counted (the count alone would then be below the results, and the unfinished negative).
fn lines_of_run(total: Option<u64>, read: usize) -> u64 {
    total.unwrap_or(0).max(read as u64)
}

/// What a run came to, for its summary and its exit.
struct Ran<'a> {
    source: &'a str,
    journal: Option<&'a Path>,
    lines: u64,
    counts: &'a BTreeMap<String, u64>,
    unfinished: u64,
    earlier: u64,
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

/// The end-of-run summary: lines by result, those left unfinished and those finished before.
fn summarize(ctx: &Context, run: &Ran) {
    let count = |s: &str| run.counts.get(s).copied().unwrap_or(0);
    ctx.summary(&[
        ("lines", json!(run.lines)),
        ("ok", json!(count("ok"))),
        ("failed", json!(count("failed"))),
        ("skipped", json!(count("skipped"))),
        ("unknown", json!(count("unknown"))),
        ("invalid", json!(count("invalid"))),
        ("unfinished", json!(run.unfinished)),
        ("finished_before", json!(run.earlier)),
        (
            "journal",
            json!(run.journal.map(|j| j.display().to_string())),
        ),
    ]);
}

/// The run's exit: the error that stopped it, 7 when lines are not done, else 0; each says how
/// a rerun goes on.
fn verdict(ctx: &Context, run: &Ran, abort: Option<anyhow::Error>) -> anyhow::Result<Exit> {
    let count = |s: &str| run.counts.get(s).copied().unwrap_or(0);
    let rerun = match run.journal {
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
                "{e:#}; stopped with {} of {} lines unfinished ({}); {rerun}",
                run.unfinished, run.lines, run.source
            ),
        ));
    }
    let bad = count("failed") + count("skipped") + count("unknown") + count("invalid");
    if bad > 0 {
        ctx.ui.always(&format!(
            "clerk-rl: {bad} of {} lines not done ({} failed, {} skipped behind them, {} unknown, {} invalid); {rerun}",
            run.lines,
            count("failed"),
            count("skipped"),
            count("unknown"),
            count("invalid")
        ));
        return Ok(Exit::Partial);
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_grew_after_it_was_counted_no_longer_makes_the_unfinished_negative() {
        assert_eq!(lines_of_run(Some(10), 4), 10, "a stopped run: 6 unread");
        assert_eq!(lines_of_run(Some(10), 12), 12, "grew by 2 after the count");
        assert_eq!(lines_of_run(None, 7), 7, "stdin");
    }
}
