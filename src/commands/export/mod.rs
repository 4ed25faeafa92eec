//! `clerk-rl export-users`: every user exactly once, as JSON Lines, as fast as the budget allows.
//!
//! Pages of up to 500 users over the `starting_after` cursor, oldest first, so sign-ups during
//! the export land at the end and deletions never shift a page. One request per page, one count
//! at the start for the progress bar. When one stream cannot use the budget (latency x rate > 1),
//! the rest of the created_at range is split into parts paged concurrently; the writer still
//! writes in created_at order. A file export is resumable from its checkpoint at any instant.

pub mod checkpoint;
mod end;
mod fetch;
mod finished;
mod part;
mod prepare;
mod verify;
mod writer;

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::ProgressBar;
use serde_json::json;
use tokio::sync::mpsc;

use crate::api::parse_count;
use crate::cli::ExportArgs;
use crate::error::{Exit, exit_of, fail, one_line};
use crate::http::HttpError;
use crate::settings::context::Context;
use crate::signals::{CommandSignals, Stop};
use checkpoint::Checkpoint;
use part::{Paging, RESERVED};
use prepare::{Prepared, prepare, spill_dir_of};
use writer::{Outcome, Writer, finish_file};

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

/// How the fetchers ended: all done (or an error), stopped by a signal, or the reader of
/// stdout left.
enum Fetched {
    Done(anyhow::Result<()>),
    Stopped(Stop),
    ReaderLeft,
}

pub async fn run(ctx: &Context, args: &ExportArgs) -> anyhow::Result<Exit> {
    // Before any work: a SIGTERM that comes early still finds the checkpoint saved.
    let mut signals = CommandSignals::install()?;
    let job = job_of(args)?;
    if args.dry_run {
        return dry_run(ctx, &job).await;
    }
    let Some(prepared) = prepare(ctx, args, &job)? else {
        return Ok(Exit::Ok);
    };
    *job.paging.lock().expect("paging lock") = prepared.cp.paging;
    let resume = prepared
        .checkpoint_path
        .as_ref()
        .map(|_| resume_command(&ctx.argv));
    let total = if args.no_count {
        None
    } else {
        // The count may wait long for the budget (a window others filled): a signal during it
        // stops the export as it would later, with the checkpoint kept for --resume.
        let filters = all_filters(&job);
        tokio::select! {
            total = count(ctx, &filters) => total?,
            stop = signals.recv() => {
                return interrupted(ctx, stop, prepared.cp.users, resume.as_deref());
            }
        }
    };
    let start_users = prepared.cp.users;
    let checkpoint_path = prepared.checkpoint_path.clone();
    let job = Arc::new(job);
    let (fetched, written, cp) = export(ctx, args, &job, prepared, total, &mut signals).await?;
    let fetched = match fetched {
        Fetched::Done(r) => Ok(r),
        Fetched::Stopped(stop) => Err(stop),
        Fetched::ReaderLeft => {
            // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
            ctx.ui.finish_progress();
            return Ok(Exit::Ok);
        }
    };
    let outcome = match written {
        Ok(o) => o,
        Err(e) => return write_failed(ctx, e, &cp, checkpoint_path.as_deref()),
    };
    let extra = summary_rows(&cp, start_users, args, &job, ctx.global.json);
    match (fetched, outcome) {
        (Err(stop), _) => {
            ctx.summary(&extra);
            interrupted(ctx, stop, cp.users, resume.as_deref())
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

/// Fetch and write: the fetchers page into the channel, the writer drains it on a blocking
/// thread, until the fetchers end, a signal comes or the reader of stdout leaves. Returns how
/// the fetchers ended, what the writer made of it, and the last checkpoint.
async fn export(
    ctx: &Context,
    args: &ExportArgs,
    job: &Arc<Job>,
    prepared: Prepared,
    total: Option<u64>,
    signals: &mut CommandSignals,
) -> anyhow::Result<(Fetched, io::Result<Outcome>, Checkpoint)> {
    let Prepared {
        _lock: _held,
        out,
        spill_dir,
        temp,
        cp,
        checkpoint_path: _,
    } = prepared;
    let bar = progress_bar(ctx, job, total, cp.users);
    bar.set_position(cp.users);
    let plan = fetch::Plan {
        pending: cp.order[cp.head..]
            .iter()
            .map(|&i| (i, cp.parts[i].state.clone()))
            .collect(),
        count: cp.parts.len(),
        written: cp.users,
    };

    let (tx, rx) = mpsc::channel(CHANNEL_PAGES);
    let writer = Writer::new(out, spill_dir, temp, cp, bar);
    let writer = tokio::task::spawn_blocking(move || writer.run(rx));

    let to_stdout = args.output.is_none();
    let concurrency = args.concurrency as usize;
    let fetched = tokio::select! {
        r = fetch::fetch_all(ctx, Arc::clone(job), plan, total, concurrency, tx) => Fetched::Done(r),
        stop = signals.recv() => Fetched::Stopped(stop),
        () = crate::output::stdout_reader_gone(), if to_stdout => Fetched::ReaderLeft,
    };
    // The fetchers are gone and the channel is closed: the writer drains what was sent,
    // checkpoints, and ends.
    let (written, cp) = writer.await?;
    Ok((fetched, written, cp))
}

/// The progress bar, its ETA from the budget: the users left, in pages, at the budget's pace.
fn progress_bar(ctx: &Context, job: &Job, total: Option<u64>, start_users: u64) -> ProgressBar {
    let (budget, page_size) = (ctx.budget, u64::from(job.page_size));
    ctx.ui
        .progress_with_eta(total, start_users, "users", move |done, len, elapsed| {
            budget.eta(
                len.saturating_sub(done),
                page_size,
                done.saturating_sub(start_users),
                elapsed,
            )
        })
}

/// The writer failed: a closed pipe ends quietly, a full disk says how to resume, anything
/// else is an error.
fn write_failed(
    ctx: &Context,
    e: io::Error,
    cp: &Checkpoint,
    checkpoint_path: Option<&Path>,
) -> anyhow::Result<Exit> {
    ctx.ui.finish_progress();
    if e.kind() == io::ErrorKind::BrokenPipe {
        // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
        return Ok(Exit::Ok);
    }
    if !disk_full(&e) {
        return Err(anyhow::Error::new(e).context("writing the export failed"));
    }
    let Some(path) = checkpoint_path else {
        return Err(anyhow::Error::new(e).context("writing the export failed: the disk is full"));
    };
    ctx.ui.line(&format!(
        "clerk-rl: {} users are saved (checkpoint {}); once space is freed, resume with:\n  {}",
        cp.users,
        path.display(),
        resume_command(&ctx.argv)
    ));
    Err(fail(
        Exit::Other,
        format!(
            "the disk is full: writing beside {} failed ({e}); free some space, then --resume continues from the checkpoint {}",
            cp.output.display(),
            path.display()
        ),
    ))
}

/// A signal stopped the export: say how far it got and how to go on.
fn interrupted(
    ctx: &Context,
    stop: Stop,
    users: u64,
    resume: Option<&str>,
) -> anyhow::Result<Exit> {
    let by = stop.name();
    match resume {
        Some(cmd) => ctx.ui.always(&format!(
            "clerk-rl: interrupted ({by}) after {users} users; the checkpoint is saved. Resume with:\n  {cmd}"
        )),
        None => ctx.ui.always(&format!(
            "clerk-rl: interrupted ({by}) after {users} users (stdout exports cannot be resumed; use --output FILE)"
        )),
    }
    Ok(stop.exit())
}

/// Every user is written: check the export against the count, then put a file into place. An
/// export that cannot be proven complete stays `.partial`, its checkpoint kept.
async fn conclude(
    ctx: &Context,
    args: &ExportArgs,
    job: &Job,
    total: Option<u64>,
    mut cp: Checkpoint,
    checkpoint_path: Option<&Path>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_resume_command_drops_force_and_adds_resume() {
        let a = argv(&[
            "/usr/bin/clerk-rl",
            "export-users",
            "-o",
            "u.jsonl",
            "--force",
        ]);
        assert_eq!(
            resume_command(&a),
            "clerk-rl export-users -o u.jsonl --resume"
        );
        let a = argv(&["clerk-rl", "export-users", "--resume", "-o", "u.jsonl"]);
        assert_eq!(
            resume_command(&a),
            "clerk-rl export-users -o u.jsonl --resume"
        );
    }

    #[test]
    fn the_resume_command_quotes_what_the_shell_would_split() {
        let a = argv(&[
            "clerk-rl",
            "export-users",
            "-o",
            "my users.jsonl",
            "--filter",
            "q=it's",
        ]);
        assert_eq!(
            resume_command(&a),
            r"clerk-rl export-users -o 'my users.jsonl' --filter 'q=it'\''s' --resume"
        );
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a-b_c./=:,@%+"), "a-b_c./=:,@%+");
    }

    #[test]
    fn the_created_at_bounds_leave_the_filters_and_come_back_for_the_count() {
        let filters = vec![
            ("created_at_after".to_string(), "5".to_string()),
            ("email_address".to_string(), "a@b.c".to_string()),
            ("created_at_before".to_string(), "9".to_string()),
        ];
        let job = Job {
            filters: vec![("email_address".into(), "a@b.c".into())],
            after: Some(5),
            before: Some(9),
            page_size: 500,
            paging: Mutex::new(Paging::Cursor),
        };
        let mut all = all_filters(&job);
        all.sort();
        let mut want = filters;
        want.sort();
        assert_eq!(all, want);
    }
}
