//! `clerk-rl import-users`: JSON Lines of users (export-users' output, or `POST /v1/users`
//! bodies) created in the instance exactly once, at the whole budget.
//!
//! The input streams through in windows. For each window: lines the journal finished are
//! reported as it recorded them (no request); lines it marked `sent` are looked up by identity
//! (100 per `GET /v1/users`); the rest are marked `sent` (one fsync) and created with as many
//! in flight as the budget needs at the measured round trip (`pacing::InFlight`). A create whose
//! answer was lost (no response, 5xx, 408, an unreadable 2xx) is never sent again blindly: its
//! identity is looked up first, and only a line not found goes out again. Each outcome is
//! journaled (fsynced) when known; the window's results are then written in input order.

mod journal;
pub mod line;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::cli::{GlobalArgs, ImportUsersArgs};
use crate::error::{Exit, fail};
use crate::http::{ClerkError, Client, HttpError, Request};
use crate::pacing::{InFlight, InFlightCore};
use crate::settings::context::Context;
use crate::ui::clean;

use journal::{Journal, Outcome};
use line::{IdField, Parsed};

/// Identities one `GET /v1/users?external_id=…` (or `email_address=`) takes: Clerk's maximum.
const LOOKUP_BATCH: usize = 100;
/// The most creates in flight (production at 400 ms needs about 50).
const MAX_IN_FLIGHT: usize = 64;
/// Lines a window holds per create in flight: a window drains before the next is read, so the
/// tail of each costs about one round trip; at 100 per request in flight that is ~1%.
const WINDOW_PER_REQUEST: usize = 100;
/// Rounds of look-up-then-resend for answers lost again and again before the run gives up.
const MAX_ROUNDS: usize = 8;

/// Where the input comes from, checked before the key is looked at.
pub struct Prepared {
    input: Option<PathBuf>,
    name: String,
    journal: Option<PathBuf>,
    total: Option<u64>,
}

pub fn prepare(global: &GlobalArgs, args: &ImportUsersArgs) -> anyhow::Result<Prepared> {
    let input = args.file.clone().filter(|f| f != Path::new("-"));
    if input.is_none() && global.secret_key_file.as_deref() == Some(Path::new("-")) {
        return Err(fail(
            Exit::Usage,
            "stdin cannot carry both the secret key (--secret-key-file -) and the users: give them as a FILE",
        ));
    }
    let journal = match (&args.state, &input) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(f)) => Some(crate::output::sibling(f, ".import-journal")),
        (None, None) if args.dry_run => None,
        (None, None) => {
            return Err(fail(
                Exit::Usage,
                "reading stdin, the journal needs a place: --state PATH (it is what makes a rerun create nobody twice)",
            ));
        }
    };
    let total = match &input {
        Some(f) => {
            let file = File::open(f)
                .map_err(|e| fail(Exit::Usage, format!("cannot read {}: {e}", f.display())))?;
            let mut n = 0u64;
            let mut r = BufReader::new(file);
            let mut buf = Vec::new();
            while r.read_until(b'\n', &mut buf)? > 0 {
                n += 1;
                buf.clear();
            }
            Some(n)
        }
        None => None,
    };
    let name = input
        .as_ref()
        .map_or("stdin".to_string(), |f| f.display().to_string());
    Ok(Prepared {
        input,
        name,
        journal,
        total,
    })
}

fn open_input(p: &Prepared) -> anyhow::Result<Box<dyn BufRead + Send>> {
    Ok(match &p.input {
        Some(f) => Box::new(BufReader::new(File::open(f)?)),
        None => Box::new(BufReader::new(std::io::stdin())),
    })
}

fn open_results(path: Option<&Path>) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(File::create(p).map_err(|e| {
            fail(
                Exit::Usage,
                format!("cannot write the results to {}: {e}", p.display()),
            )
        })?)),
        None => Box::new(BufWriter::new(std::io::stdout())),
    })
}

/// One input line as the window carries it.
struct Item {
    line: u64,
    parsed: Result<Parsed, String>,
    /// Set once known.
    outcome: Option<Outcome>,
}

#[derive(Debug, Default)]
struct Stats {
    lines: u64,
    created: u64,
    exists: u64,
    rejected: u64,
    invalid: u64,
    /// Lines the journal had finished before this run.
    already_done: u64,
    creates: u64,
    lookups: u64,
    /// Creates whose answer was lost (looked up afterwards).
    lost_answers: u64,
    /// Lost answers whose user was found by the look-up (created once, answer lost).
    found_after_loss: u64,
    resent: u64,
}

/// Read up to `n` lines (numbered from `next`); empty at the end of the input.
fn read_window(
    r: &mut dyn BufRead,
    next: &mut u64,
    n: usize,
) -> anyhow::Result<Vec<(u64, Vec<u8>)>> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut buf = Vec::new();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        *next += 1;
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        out.push((*next, buf));
    }
    Ok(out)
}

fn result_line(item: &Item) -> Value {
    let (identity, field) = match &item.parsed {
        Ok(p) => (json!(p.identity), json!(p.field.param())),
        Err(_) => (Value::Null, Value::Null),
    };
    let mut v = json!({"line": item.line, "identity": identity, "identity_field": field});
    let m = v.as_object_mut().expect("an object");
    match (&item.parsed, &item.outcome) {
        (Err(why), _) => {
            m.insert("status".into(), json!("invalid"));
            m.insert(
                "error".into(),
                json!({"code": "invalid_line", "message": why}),
            );
        }
        (Ok(_), Some(Outcome::Created { id })) => {
            m.insert("status".into(), json!("created"));
            m.insert("id".into(), json!(id));
        }
        (Ok(_), Some(Outcome::Exists { id })) => {
            m.insert("status".into(), json!("exists"));
            m.insert("id".into(), json!(id));
        }
        (Ok(_), Some(Outcome::Rejected { code, message })) => {
            m.insert("status".into(), json!("rejected"));
            m.insert("error".into(), json!({"code": code, "message": message}));
        }
        (Ok(_), None) => unreachable!("every valid line has an outcome before it is reported"),
    }
    v
}

/// `--dry-run`: every line checked offline, the bodies printed, the budget's time estimated.
pub fn dry_run(global: &GlobalArgs, args: &ImportUsersArgs, p: Prepared) -> anyhow::Result<Exit> {
    let budget = global.budget();
    let mut input = open_input(&p)?;
    let mut out = open_results(args.results.as_deref())?;
    let journal = match &p.journal {
        Some(j) if j.exists() => Some(Journal::open(j)?),
        _ => None,
    };
    let (mut n, mut valid, mut invalid, mut done) = (0u64, 0u64, 0u64, 0u64);
    loop {
        let window = read_window(&mut *input, &mut n, 10_000)?;
        if window.is_empty() {
            break;
        }
        for (line_no, bytes) in window {
            let v = match line::parse(&bytes, args.require_password) {
                Ok(p) => {
                    let finished = journal
                        .as_ref()
                        .and_then(|j| j.known(line_no))
                        .and_then(|k| k.outcome.as_ref());
                    if finished.is_some() {
                        done += 1;
                    } else {
                        valid += 1;
                    }
                    json!({"line": line_no, "identity": p.identity,
                           "identity_field": p.field.param(),
                           "status": if finished.is_some() { "done" } else { "would_create" },
                           "body": p.body})
                }
                Err(why) => {
                    invalid += 1;
                    json!({"line": line_no, "identity": null, "status": "invalid",
                           "error": {"code": "invalid_line", "message": why}})
                }
            };
            serde_json::to_writer(&mut out, &v)?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    let secs = valid as f64 / budget.rate.per_second();
    let needs = humantime::format_duration(Duration::from_secs(secs.ceil() as u64)).to_string();
    if global.json {
        let v = json!({"dry_run": true, "lines": n, "would_create": valid, "invalid": invalid,
                       "already_done": done, "budget": budget.rate.to_string(),
                       "budget_seconds": secs});
        eprintln!("{v}");
    } else if !global.quiet {
        eprintln!(
            "clerk-rl: dry run of {}: {n} lines, {valid} to create, {invalid} invalid, {done} already done by the journal; at {} that needs at least {needs}; nothing sent",
            p.name, budget.rate
        );
    }
    Ok(if invalid > 0 { Exit::Partial } else { Exit::Ok })
}

pub async fn run(ctx: &Context, args: &ImportUsersArgs, p: Prepared) -> anyhow::Result<Exit> {
    let journal_path = p.journal.clone().expect("a journal outside --dry-run");
    let journal = Journal::open(&journal_path)?;
    let mut input = open_input(&p)?;
    let mut out = open_results(args.results.as_deref())?;
    let rate = ctx.budget.rate.per_second();
    let bar = ctx
        .ui
        .progress_with_eta(p.total, 0, "lines", move |done, total, _elapsed| {
            Duration::from_secs_f64(total.saturating_sub(done) as f64 / rate)
        });
    let inflight = Arc::new(InFlight::new(match args.concurrency {
        0 => InFlightCore::auto(rate, MAX_IN_FLIGHT),
        n => InFlightCore::fixed(n as usize),
    }));
    let mut stats = Stats::default();
    let mut next_line = 0u64;
    loop {
        let size = inflight.limit().max(4) * WINDOW_PER_REQUEST;
        let raw = tokio::task::block_in_place(|| read_window(&mut *input, &mut next_line, size))
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", p.name))?;
        if raw.is_empty() {
            break;
        }
        let mut items: Vec<Item> = raw
            .into_iter()
            .map(|(line, bytes)| Item {
                line,
                parsed: line::parse(&bytes, args.require_password),
                outcome: None,
            })
            .collect();
        window(ctx, &journal, &inflight, &mut items, &mut stats).await?;
        tokio::task::block_in_place(|| -> anyhow::Result<()> {
            for item in &items {
                serde_json::to_writer(&mut out, &result_line(item))?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            Ok(())
        })?;
        stats.lines += items.len() as u64;
        for item in &items {
            match (&item.parsed, &item.outcome) {
                (Err(_), _) => stats.invalid += 1,
                (_, Some(Outcome::Created { .. })) => stats.created += 1,
                (_, Some(Outcome::Exists { .. })) => stats.exists += 1,
                (_, Some(Outcome::Rejected { .. })) => stats.rejected += 1,
                (_, None) => {}
            }
        }
        bar.inc(items.len() as u64);
    }
    ctx.ui.finish_progress();
    if stats.creates + stats.lookups > 0 {
        ctx.ui.info(&inflight.snapshot().describe());
    }
    let bad = stats.rejected + stats.invalid;
    if bad > 0 {
        ctx.ui.always(&format!(
            "clerk-rl: {} rejected and {} invalid of {} lines (each named by its line number in the results); exit 7",
            stats.rejected, stats.invalid, stats.lines
        ));
    }
    let rows = summary_rows(
        &stats,
        journal.path(),
        args.results.as_deref(),
        ctx.global.json,
    );
    ctx.summary(&rows);
    Ok(if bad > 0 { Exit::Partial } else { Exit::Ok })
}

fn summary_rows(
    s: &Stats,
    journal: &Path,
    results: Option<&Path>,
    json: bool,
) -> Vec<(&'static str, Value)> {
    let rows: Vec<(&'static str, &'static str, Value)> = vec![
        ("lines", "lines", json!(s.lines)),
        ("created", "created", json!(s.created)),
        ("exists", "exists (already there)", json!(s.exists)),
        ("rejected", "rejected", json!(s.rejected)),
        ("invalid", "invalid lines", json!(s.invalid)),
        (
            "already_done",
            "finished by an earlier run",
            json!(s.already_done),
        ),
        ("creates_sent", "creates sent", json!(s.creates)),
        ("lookups", "identity look-ups", json!(s.lookups)),
        ("lost_answers", "answers lost", json!(s.lost_answers)),
        (
            "found_after_loss",
            "created, answer lost, found",
            json!(s.found_after_loss),
        ),
        ("resent", "sent again (not found)", json!(s.resent)),
        ("journal", "journal", json!(journal.display().to_string())),
        (
            "results",
            "results",
            json!(results.map_or("stdout".to_string(), |p| p.display().to_string())),
        ),
    ];
    rows.into_iter()
        .map(|(k, label, v)| (if json { k } else { label }, v))
        .collect()
}

/// Bring every valid line of the window to an outcome, journaled.
async fn window(
    ctx: &Context,
    journal: &Journal,
    inflight: &Arc<InFlight>,
    items: &mut [Item],
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let (mut uncertain, mut to_send) = triage(journal, items, stats)?;
    let sent: Vec<(u64, &str)> = to_send
        .iter()
        .map(|&i| (items[i].line, identity(&items[i])))
        .collect();
    journal.sent(&sent)?;
    let mut rounds = 0;
    while !uncertain.is_empty() || !to_send.is_empty() {
        rounds += 1;
        if rounds > MAX_ROUNDS {
            return Err(lost_too_often(items, &uncertain));
        }
        // The lines whose create may have happened: found ones are done, the rest go again.
        if !uncertain.is_empty() {
            let again = find_lost(ctx, journal, inflight, items, &uncertain, stats).await?;
            uncertain.clear();
            to_send.extend(again);
        }
        if to_send.is_empty() {
            continue;
        }
        let to_send = std::mem::take(&mut to_send);
        let taken = send(
            ctx,
            journal,
            inflight,
            items,
            to_send,
            stats,
            &mut uncertain,
        )
        .await?;
        // The identity was there before: its Clerk id, found by the same look-up.
        if !taken.is_empty() {
            find_taken(ctx, journal, inflight, items, taken, stats).await?;
        }
    }
    Ok(())
}

/// Sort the window's valid lines by what the journal knows of them: done (their outcome taken
/// from it), sent without a known answer (uncertain), or never sent. A line the journal holds
/// for another identity means it was written for another input.
fn triage(
    journal: &Journal,
    items: &mut [Item],
    stats: &mut Stats,
) -> anyhow::Result<(Vec<usize>, Vec<usize>)> {
    let mut uncertain: Vec<usize> = Vec::new();
    let mut to_send: Vec<usize> = Vec::new();
    for (i, item) in items.iter_mut().enumerate() {
        let Ok(p) = &item.parsed else { continue };
        match journal.known(item.line) {
            Some(k) if k.identity != p.identity => {
                return Err(fail(
                    Exit::Usage,
                    format!(
                        "the journal {} was written for another input: its line {} is {}, this input's is {}; give this import its own --state",
                        journal.path().display(),
                        item.line,
                        clean(&k.identity),
                        clean(&p.identity)
                    ),
                ));
            }
            Some(k) => match &k.outcome {
                Some(o) => {
                    item.outcome = Some(o.clone());
                    stats.already_done += 1;
                }
                None => uncertain.push(i),
            },
            None => to_send.push(i),
        }
    }
    Ok((uncertain, to_send))
}

/// The error when answers kept being lost for [`MAX_ROUNDS`] rounds.
fn lost_too_often(items: &[Item], uncertain: &[usize]) -> anyhow::Error {
    let lines: Vec<String> = uncertain
        .iter()
        .map(|&i| items[i].line.to_string())
        .collect();
    fail(
        Exit::Server,
        format!(
            "the answers to the creates of lines {} were lost {MAX_ROUNDS} times over; the journal keeps them: run the same command again",
            lines.join(", ")
        ),
    )
}

/// Look up the lines whose answer was lost: a user found is the line's outcome (journaled);
/// the lines returned were not created and go again.
async fn find_lost(
    ctx: &Context,
    journal: &Journal,
    inflight: &Arc<InFlight>,
    items: &mut [Item],
    uncertain: &[usize],
    stats: &mut Stats,
) -> anyhow::Result<Vec<usize>> {
    let found = lookup(ctx, inflight, items, uncertain, stats).await?;
    let mut again = Vec::new();
    for &i in uncertain {
        match found.get(&i) {
            Some(id) => {
                let o = Outcome::Created { id: id.clone() };
                journal.outcome(items[i].line, identity(&items[i]), &o)?;
                items[i].outcome = Some(o);
                stats.found_after_loss += 1;
            }
            None => {
                stats.resent += 1;
                again.push(i);
            }
        }
    }
    Ok(again)
}

/// Send the creates, as many in flight as the count admits, each outcome journaled as it
/// comes. Lines whose answer was lost join `uncertain`; the lines whose identity was taken
/// are returned with the outcome a look-up that finds nobody leaves them.
async fn send(
    ctx: &Context,
    journal: &Journal,
    inflight: &Arc<InFlight>,
    items: &mut [Item],
    to_send: Vec<usize>,
    stats: &mut Stats,
    uncertain: &mut Vec<usize>,
) -> anyhow::Result<Vec<(usize, Outcome)>> {
    let client = &ctx.client;
    let answers = {
        let items_ref: &[Item] = items;
        inflight
            .run_all(to_send, |i| async move {
                let p = items_ref[i].parsed.as_ref().expect("valid lines only");
                let answer = create(client, p).await?;
                if let Answer::Done(o) = &answer {
                    journal.outcome(items_ref[i].line, &p.identity, o)?;
                }
                anyhow::Ok((i, answer))
            })
            .await?
    };
    let mut taken: Vec<(usize, Outcome)> = Vec::new();
    for (i, answer) in answers {
        stats.creates += 1;
        match answer {
            Answer::Done(o) => items[i].outcome = Some(o),
            Answer::Lost => {
                stats.lost_answers += 1;
                uncertain.push(i);
            }
            Answer::IdentityTaken(rejected) => taken.push((i, rejected)),
        }
    }
    Ok(taken)
}

/// The lines whose identity existed before: the Clerk id that holds it, found by the same
/// look-up, else the rejection; journaled.
async fn find_taken(
    ctx: &Context,
    journal: &Journal,
    inflight: &Arc<InFlight>,
    items: &mut [Item],
    taken: Vec<(usize, Outcome)>,
    stats: &mut Stats,
) -> anyhow::Result<()> {
    let idx: Vec<usize> = taken.iter().map(|(i, _)| *i).collect();
    let found = lookup(ctx, inflight, items, &idx, stats).await?;
    for (i, rejected) in taken {
        let o = match found.get(&i) {
            Some(id) => Outcome::Exists { id: id.clone() },
            None => rejected,
        };
        journal.outcome(items[i].line, identity(&items[i]), &o)?;
        items[i].outcome = Some(o);
    }
    Ok(())
}

fn identity(item: &Item) -> &str {
    item.parsed.as_ref().map_or("", |p| p.identity.as_str())
}

/// What one create came to.
enum Answer {
    Done(Outcome),
    /// The server may or may not have created the user: look it up before sending again.
    Lost,
    /// 422 `form_identifier_exists` on the line's own identity (the outcome if the look-up
    /// finds nobody).
    IdentityTaken(Outcome),
}

async fn create(client: &Client, p: &Parsed) -> anyhow::Result<Answer> {
    let req = Request {
        method: Method::POST,
        url: client.url("/v1/users", &[] as &[(&str, &str)]),
        headers: HeaderMap::new(),
        body: Some(Bytes::from(serde_json::to_vec(&p.body)?)),
    };
    let resp = match client.execute(&req).await {
        Ok(r) => r,
        // No answer (dropped, timed out): the core does not repeat a create; we look it up.
        Err(HttpError::NotRetried { .. }) | Err(HttpError::Transport { .. }) => {
            return Ok(Answer::Lost);
        }
        Err(e) => return Err(e.into()),
    };
    let status = resp.status.as_u16();
    if resp.status.is_success() {
        let id = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string));
        return Ok(match id {
            Some(id) => Answer::Done(Outcome::Created { id }),
            // A 2xx we cannot read: the user exists, its id is found by the look-up.
            None => Answer::Lost,
        });
    }
    if status == 408 || status >= 500 {
        return Ok(Answer::Lost);
    }
    let e = ClerkError::parse(status, &resp.headers, &resp.body);
    if matches!(status, 400 | 404 | 422) {
        let code = e.code.clone().unwrap_or_else(|| format!("http_{status}"));
        let message = e
            .long_message
            .clone()
            .or(e.message.clone())
            .unwrap_or_default();
        let rejected = Outcome::Rejected {
            code: code.clone(),
            message: clean(&message),
        };
        if code == "form_identifier_exists" && param_name(&resp.body) == Some(p.field.param()) {
            return Ok(Answer::IdentityTaken(rejected));
        }
        return Ok(Answer::Done(rejected));
    }
    // 401, 402, 403 and the like: no line can succeed; the usual exit codes.
    Err(HttpError::Clerk(e).into())
}

/// `meta.param_name` of a ClerkErrors body's first error.
fn param_name(body: &[u8]) -> Option<&'static str> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let name = v["errors"][0]["meta"]["param_name"].as_str()?;
    [IdField::ExternalId, IdField::Email]
        .into_iter()
        .map(IdField::param)
        .find(|p| *p == name)
}

/// Find the users holding these lines' identities: item index -> Clerk id.
async fn lookup(
    ctx: &Context,
    inflight: &Arc<InFlight>,
    items: &[Item],
    idx: &[usize],
    stats: &mut Stats,
) -> anyhow::Result<HashMap<usize, String>> {
    let mut batches: Vec<(IdField, Vec<usize>)> = Vec::new();
    for field in [IdField::ExternalId, IdField::Email] {
        let of: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| items[i].parsed.as_ref().is_ok_and(|p| p.field == field))
            .collect();
        for c in of.chunks(LOOKUP_BATCH) {
            batches.push((field, c.to_vec()));
        }
    }
    stats.lookups += batches.len() as u64;
    let client = &ctx.client;
    let parts = inflight
        .run_all(batches, |(field, chunk)| async move {
            let limit = LOOKUP_BATCH.to_string();
            let mut query: Vec<(&str, &str)> = vec![("limit", &limit)];
            for &i in &chunk {
                query.push((field.param(), identity(&items[i])));
            }
            let url = client.url("/v1/users", &query);
            let (_, users) = client
                .get_with(&url, |r| {
                    serde_json::from_slice::<Vec<Value>>(&r.body)
                        .map_err(|e| format!("GET /v1/users is not a list of users: {e}"))
                })
                .await?;
            let mut found = Vec::new();
            for u in &users {
                let Some(id) = u.get("id").and_then(Value::as_str) else {
                    continue;
                };
                for &i in &chunk {
                    let want = identity(&items[i]);
                    let hit = match field {
                        IdField::ExternalId => u["external_id"].as_str() == Some(want),
                        IdField::Email => u["email_addresses"].as_array().is_some_and(|a| {
                            a.iter().any(|e| {
                                e["email_address"]
                                    .as_str()
                                    .is_some_and(|s| s.eq_ignore_ascii_case(want))
                            })
                        }),
                    };
                    if hit {
                        found.push((i, id.to_string()));
                    }
                }
            }
            anyhow::Ok(found)
        })
        .await?;
    Ok(parts.into_iter().flatten().collect())
}
