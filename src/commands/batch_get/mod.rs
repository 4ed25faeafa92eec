//! `clerk-rl batch-get`: users by id, about one request per hundred ids, never one asked twice.
//!
//! The input streams through in windows of [`WINDOW_PER_STREAM`] ids per request in flight: a window
//! is read, its new ids looked up in Redis (one MGET), the misses fetched 100 per request with
//! as many in flight as the budget needs at the measured round trip (`pacing::InFlight`; all
//! paced by the one client), the fetched users cached (the
//! cache's conditional write: never over a later version or a deleted user), and the window's users written in input order before the next window is read.
//! Memory is bounded by the window, whatever the input's length; only a 16-byte digest of each
//! id seen stays for the whole run, so that no id is fetched or written twice.

mod capped;
pub mod ids;
mod output;

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::api::{parse_page, single_user, updated_at};
use crate::cli::{BatchGetArgs, GlobalArgs, Strategy};
use crate::error::{Exit, fail};
use crate::http::{Client, HttpError};
use crate::pacing::{InFlight, InFlightCore};
use crate::redis_store::{self, RedisTarget};
use crate::settings::context::Context;
use crate::ui::clean;
use crate::user_cache::UserCache;

/// Ids per window and per request stream: with 100 ids a request, ten requests per stream
/// keep every stream busy while the window's tail drains.
pub const WINDOW_PER_STREAM: usize = 1000;
/// Most ids one `GET /v1/users?user_id=…` takes (Clerk's documented maximum).
pub const IDS_PER_REQUEST: usize = 100;
/// Ids a window holds per request in flight when the count follows the round trip.
const AUTO_WINDOW_PER_REQUEST: usize = 400;
/// The most requests in flight `--concurrency 0` keeps (production at 400 ms needs about 50).
const MAX_IN_FLIGHT: usize = 64;
/// Missing ids listed in the `--json` summary (all of them are listed on stderr).
const MISSING_IN_SUMMARY: usize = 10_000;

/// Everything checked before the first request: the input, the output, the Redis URL.
pub struct Prepared {
    input: ids::Input,
    target: output::Target,
    redis: Option<RedisTarget>,
}

pub fn prepare(global: &GlobalArgs, args: &BatchGetArgs) -> anyhow::Result<Prepared> {
    let ids_from_stdin = args.file.as_deref().is_none_or(|f| f == Path::new("-"));
    if ids_from_stdin && global.secret_key_file.as_deref() == Some(Path::new("-")) {
        return Err(fail(
            Exit::Usage,
            "stdin cannot carry both the secret key (--secret-key-file -) and the ids: give the ids as a FILE",
        ));
    }
    // The shared budget's Redis caches users too, unless a cache of its own is named.
    let redis = match (args.cache.url.as_deref(), global.budget_store.as_deref()) {
        (Some(u), _) => Some(redis_store::parse_url(u, "--cache")?),
        (None, Some(u)) => Some(redis_store::parse_url(u, "--budget-store")?),
        (None, None) => None,
    };
    if args.cache_required && redis.is_none() {
        return Err(fail(
            Exit::Usage,
            "--cache-required needs --cache redis://HOST:PORT/DB (or CLERK_RL_CACHE)",
        ));
    }
    let target = output::Target::check(args.output.as_deref())?;
    let input = ids::prepare(args.file.as_deref(), args.strict)?;
    Ok(Prepared {
        input,
        target,
        redis,
    })
}

#[derive(Debug, Default)]
struct Stats {
    /// Distinct valid ids.
    ids: u64,
    duplicates: u64,
    found: u64,
    missing: u64,
    missing_ids: Vec<String>,
    cache_hits: u64,
    /// Cached values that were not a user with that id (refetched and overwritten).
    cache_unusable: u64,
    /// Fetched users not cached: Redis knew a later version of them, or that they were deleted.
    cache_refused: u64,
    /// Ids asked of the API.
    fetched: u64,
    /// Requests for them (retries not counted: the HTTP summary has those).
    id_requests: u64,
}

struct Run<'a> {
    ctx: &'a Context,
    args: &'a BatchGetArgs,
    cache: &'a UserCache,
    bar: ProgressBar,
    /// Digests of every id met so far (16 bytes each instead of the id and a String).
    seen: HashSet<u128>,
    stats: Stats,
    /// Whether the server caps user_id= lists, and at how many.
    caps: capped::CapGuard,
    /// How many requests are in flight: from the round trip, or `--concurrency N`.
    inflight: Arc<InFlight>,
}

pub async fn run(ctx: &Context, args: &BatchGetArgs, p: Prepared) -> anyhow::Result<Exit> {
    let cache = open_cache(ctx, args, &p).await?;
    let mut out = p.target.open()?;
    let (rx, reader) = ids::spawn_reader(&p.input, Arc::clone(&ctx.ui));
    let mut incoming = Incoming {
        rx,
        pending: Vec::new().into_iter(),
        ended: false,
    };
    let mut run = Run {
        ctx,
        args,
        cache: &cache,
        bar: ctx.ui.progress(p.input.total, "ids"),
        seen: HashSet::new(),
        stats: Stats::default(),
        caps: capped::CapGuard::default(),
        inflight: Arc::new(InFlight::new(match args.concurrency {
            0 => InFlightCore::auto(ctx.budget.rate.per_second(), MAX_IN_FLIGHT),
            n => InFlightCore::fixed(n as usize),
        })),
    };
    while !incoming.ended {
        let window = run.next_window(&mut incoming).await?;
        if window.is_empty() {
            continue;
        }
        if !run.step(window, &mut out).await? {
            // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
            ctx.ui.finish_progress();
            return Ok(Exit::Ok);
        }
    }
    drop(incoming);
    // The channel is closed, so the reader thread has returned: this does not block.
    let read = reader.join().unwrap_or_default();
    if let Err(e) = out.finish() {
        if e.kind() == io::ErrorKind::BrokenPipe {
            ctx.ui.finish_progress();
            return Ok(Exit::Ok);
        }
        return Err(anyhow::Error::new(e).context(format!(
            "writing the users to {} failed",
            p.target.describe()
        )));
    }
    ctx.ui.finish_progress();
    let stats = &run.stats;
    let inflight = run.inflight.snapshot();
    if read.invalid > ids::MAX_REPORTED {
        ctx.ui.warn(&format!(
            "{} lines of {} were not user ids and were skipped ({} shown above)",
            read.invalid,
            p.input.name,
            ids::MAX_REPORTED
        ));
    }
    let exit = verdict(ctx, args, stats, &read, &p.input.name)?;
    if stats.id_requests > 0 {
        ctx.ui.info(&inflight.describe());
    }
    let rows = summary_rows(
        stats,
        &read,
        args,
        &cache,
        &p.target.describe(),
        ctx.global.json,
    );
    ctx.summary(&rows);
    Ok(exit)
}

/// The Redis user cache `--redis` names, or none.
async fn open_cache(ctx: &Context, args: &BatchGetArgs, p: &Prepared) -> anyhow::Result<UserCache> {
    Ok(match &p.redis {
        Some(t) => {
            UserCache::open(
                t,
                &ctx.key.fingerprint(),
                args.cache_ttl,
                args.cache_required,
                Arc::clone(&ctx.ui),
            )
            .await?
        }
        None => UserCache::none(Arc::clone(&ctx.ui)),
    })
}

/// The ids as the reader thread sends them: chunks in input order, the one being taken apart,
/// and whether the input has ended.
struct Incoming {
    rx: tokio::sync::mpsc::Receiver<ids::Chunk>,
    pending: std::vec::IntoIter<String>,
    ended: bool,
}

/// The run's exit: no ids in a file of lines is a usage error, missing users exit 7 unless
/// `--allow-missing`.
fn verdict(
    ctx: &Context,
    args: &BatchGetArgs,
    stats: &Stats,
    read: &ids::ReadStats,
    input: &str,
) -> anyhow::Result<Exit> {
    if stats.ids == 0 && read.invalid > 0 {
        // Lines were there but none held an id (a binary file, the wrong file): saying "nothing
        // fetched" with exit 0 would let a script believe it got every user.
        return Err(fail(
            Exit::Usage,
            format!(
                "none of the {} lines of {input} holds a user id (one id per line, or JSON Lines of users with an \"id\" field, as export-users writes); nothing fetched",
                read.invalid
            ),
        ));
    }
    if stats.ids == 0 {
        ctx.ui.line(&format!(
            "clerk-rl: no user ids in {input}; nothing fetched"
        ));
        return Ok(Exit::Ok);
    }
    if stats.missing == 0 {
        return Ok(Exit::Ok);
    }
    ctx.ui.always(&format!(
        "clerk-rl: {} of {} ids not found{}{}",
        stats.missing,
        stats.ids,
        missing_where(stats, ctx.global.quiet),
        if args.allow_missing {
            ""
        } else {
            "; exit 7 (--allow-missing makes it 0)"
        }
    ));
    Ok(if args.allow_missing {
        Exit::Ok
    } else {
        Exit::Partial
    })
}

/// Where the missing ids are to be read: each got a "not found" line above, except with -q, which
/// silences those lines, so the ids are listed here (the first [`MISSING_LISTED_QUIET`]).
fn missing_where(stats: &Stats, quiet: bool) -> String {
    if !quiet {
        return " (listed above)".into();
    }
    let shown: Vec<&str> = stats
        .missing_ids
        .iter()
        .take(MISSING_LISTED_QUIET)
        .map(String::as_str)
        .collect();
    let more = stats.missing - shown.len() as u64;
    if more == 0 {
        format!(": {}", shown.join(", "))
    } else {
        format!(": {} and {more} more (--json lists them)", shown.join(", "))
    }
}

/// Missing ids named in the final line under -q.
const MISSING_LISTED_QUIET: usize = 20;

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn digest(id: &str) -> u128 {
    let d = Sha256::digest(id.as_bytes());
    u128::from_le_bytes(d[..16].try_into().expect("16 bytes"))
}

impl Run<'_> {
    /// The next window of ids not met before; empty (with `incoming.ended`) once the input ends.
    async fn next_window(&mut self, incoming: &mut Incoming) -> anyhow::Result<Vec<String>> {
        // A window holds exactly `window_size` ids not met before (a multiple of 100), so that
        // without cache hits every request but the very last carries 100 ids.
        // As many ids as the requests now in flight serve in a few round trips each (a window
        // drains before the next is read, so larger windows waste less of the budget).
        // Memory: about 400 users a request in flight (40 at production's 300 ms: ~40 MB).
        let window_size = match self.args.concurrency {
            0 => self.inflight.limit().max(4) * AUTO_WINDOW_PER_REQUEST,
            n => n as usize * WINDOW_PER_STREAM,
        };
        let mut window: Vec<String> = Vec::with_capacity(window_size);
        while window.len() < window_size {
            if let Some(id) = incoming.pending.next() {
                if self.seen.insert(digest(&id)) {
                    window.push(id);
                } else {
                    self.stats.duplicates += 1;
                    self.bar.inc(1);
                }
                continue;
            }
            match incoming.rx.recv().await {
                Some(Ok(chunk)) => incoming.pending = chunk.into_iter(),
                Some(Err(e)) => return Err(fail(Exit::Other, e)),
                None => {
                    incoming.ended = true;
                    break;
                }
            }
        }
        Ok(window)
    }

    /// Fetch and write one window. `false`: the reader of stdout left (or closed the pipe), so
    /// the run stops quietly.
    async fn step(
        &mut self,
        window: Vec<String>,
        out: &mut output::Output,
    ) -> anyhow::Result<bool> {
        let to_stdout = matches!(out, output::Output::Stdout(_));
        let step = self.window(window, out);
        let stepped = if to_stdout {
            // The reader of stdout may leave while a window is being fetched: the window's
            // results would be written nowhere, so its requests stop at once (issue 23 row 1).
            tokio::select! {
                r = step => r,
                () = crate::output::stdout_reader_gone() => return Ok(false),
            }
        } else {
            step.await
        };
        match stepped {
            Ok(()) => Ok(true),
            // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
            Err(e) if is_broken_pipe(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Resolve one window of ids (input order, each new to this run) and write its users.
    async fn window(
        &mut self,
        mut uniq: Vec<String>,
        out: &mut output::Output,
    ) -> anyhow::Result<()> {
        self.stats.ids += uniq.len() as u64;
        let mut found: Vec<Option<Vec<u8>>> = vec![None; uniq.len()];

        if !self.args.refresh && self.cache.active() {
            let cached = self.cache.get_many(&uniq).await?;
            let mut hits = 0;
            for (i, value) in cached.into_iter().enumerate() {
                let Some(value) = value else { continue };
                match single_user(&value, &uniq[i]) {
                    Ok(line) => {
                        found[i] = Some(line);
                        hits += 1;
                    }
                    // Left a miss: fetched again, and the good value overwrites it.
                    Err(_) => self.stats.cache_unusable += 1,
                }
            }
            self.stats.cache_hits += hits;
            self.bar.inc(hits);
        }

        let misses: Vec<usize> = (0..uniq.len()).filter(|&i| found[i].is_none()).collect();
        // An entry is at most --cache-ttl old counted from the fetch, not from the write: so a
        // write held up after its fetch can never outlive a newer version's guard.
        let asked = Instant::now();
        let fetched = self.fetch(&uniq, &misses).await?;
        let left = self.cache.ttl().saturating_sub(asked.elapsed());
        if !fetched.is_empty() && self.cache.active() && left >= Duration::from_millis(1) {
            let items: Vec<(&str, &[u8], Option<i64>)> = fetched
                .iter()
                .map(|(i, line)| {
                    let line = line.strip_suffix(b"\n").unwrap_or(line);
                    (uniq[*i].as_str(), line, updated_at(line))
                })
                .collect();
            let done = self.cache.put_many(&items, left).await?;
            self.stats.cache_refused += done.refused;
        }
        for (i, line) in fetched {
            found[i] = Some(line);
        }

        // Writes may block on a slow reader downstream; keep them off the async workers' backs.
        let mut missing = Vec::new();
        tokio::task::block_in_place(|| -> io::Result<()> {
            for (i, f) in found.iter().enumerate() {
                match f {
                    Some(line) => out.write(line)?,
                    None => missing.push(i),
                }
            }
            out.flush()
        })?;
        self.stats.found += (uniq.len() - missing.len()) as u64;
        for i in missing {
            self.ctx.ui.line(&format!("not found: {}", uniq[i]));
            self.stats.missing += 1;
            if self.stats.missing_ids.len() < MISSING_IN_SUMMARY {
                self.stats.missing_ids.push(std::mem::take(&mut uniq[i]));
            }
        }
        Ok(())
    }

    /// Fetch the users at `misses` (indices into `uniq`): `(index, JSON line)` for those found.
    async fn fetch(
        &mut self,
        uniq: &[String],
        misses: &[usize],
    ) -> anyhow::Result<Vec<(usize, Vec<u8>)>> {
        if misses.is_empty() {
            return Ok(Vec::new());
        }
        let strategy = self.args.strategy;
        let per = match strategy {
            Strategy::List => IDS_PER_REQUEST,
            Strategy::Get => 1,
        };
        let client = &self.ctx.client;
        let bar = &self.bar;
        let caps = &self.caps;
        let chunks = misses.chunks(per);
        let requests = chunks.len() as u64;
        let parts: Vec<Vec<(usize, Vec<u8>)>> = self
            .inflight
            .run_all(chunks, |chunk| async move {
                let got = match strategy {
                    Strategy::List => caps.fetch(client, uniq, chunk).await?,
                    Strategy::Get => fetch_one(client, uniq, chunk[0]).await?,
                };
                bar.inc(chunk.len() as u64);
                anyhow::Ok(got)
            })
            .await?;
        self.stats.fetched += misses.len() as u64;
        self.stats.id_requests += requests;
        Ok(parts.into_iter().flatten().collect())
    }
}

/// One `GET /v1/users?limit=100&user_id=…` for up to 100 ids. Ids not found are simply absent
/// from the answer, as Clerk documents.
async fn fetch_list(
    client: &Client,
    uniq: &[String],
    chunk: &[usize],
) -> anyhow::Result<Vec<(usize, Vec<u8>)>> {
    let limit = IDS_PER_REQUEST.to_string();
    let mut query: Vec<(&str, &str)> = Vec::with_capacity(chunk.len() + 1);
    query.push(("limit", &limit));
    query.extend(chunk.iter().map(|&i| ("user_id", uniq[i].as_str())));
    let url = client.url("/v1/users", &query);
    let (_, users) = match client.get_with(&url, |r| parse_page(&r.body)).await {
        Ok(ok) => ok,
        Err(e @ HttpError::Clerk(_)) if matches!(e.exit(), Exit::Usage) => {
            return Err(anyhow::Error::new(e).context(
                "the server refused GET /v1/users?user_id=… (if it lacks that filter, try --strategy get)",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let wanted: HashMap<&str, usize> = chunk.iter().map(|&i| (uniq[i].as_str(), i)).collect();
    let mut out: Vec<(usize, Vec<u8>)> = Vec::with_capacity(users.len());
    for u in users {
        let Some(&i) = wanted.get(u.id.as_str()) else {
            // Retrying cannot fix this, and using the answer would mislabel users as missing.
            return Err(fail(
                Exit::Server,
                format!(
                    "GET /v1/users?user_id=… answered user {}, which was not asked for: the server ignores the user_id filter; use --strategy get",
                    clean(&u.id)
                ),
            ));
        };
        if !out.iter().any(|(j, _)| *j == i) {
            out.push((i, u.line));
        }
    }
    Ok(out)
}

/// One `GET /v1/users/{id}`; a 404 `resource_not_found` means the user does not exist.
async fn fetch_one(
    client: &Client,
    uniq: &[String],
    i: usize,
) -> anyhow::Result<Vec<(usize, Vec<u8>)>> {
    let id = uniq[i].as_str();
    // The id is checked to be base62, so it needs no escaping in the path.
    let url = client.url(&format!("/v1/users/{id}"), &[] as &[(&str, &str)]);
    match client.get_with(&url, |r| single_user(&r.body, id)).await {
        Ok((_, line)) => Ok(vec![(i, line)]),
        Err(HttpError::Clerk(e))
            if e.status == 404 && e.code.as_deref() == Some("resource_not_found") =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(e.into()),
    }
}

fn summary_rows(
    s: &Stats,
    read: &ids::ReadStats,
    args: &BatchGetArgs,
    cache: &UserCache,
    output: &str,
    json: bool,
) -> Vec<(&'static str, Value)> {
    let saved = s.fetched.saturating_sub(s.id_requests);
    let strategy = match (args.strategy, json) {
        (Strategy::List, true) => "list",
        (Strategy::Get, true) => "get",
        (Strategy::List, false) => "list (GET /v1/users?user_id=…, 100 ids per request)",
        (Strategy::Get, false) => "get (GET /v1/users/{id}, one request per id)",
    };
    // The same figures under JSON names and under human labels.
    let rows: Vec<(&'static str, &'static str, Value)> = vec![
        ("ids", "ids", json!(s.ids)),
        ("duplicates", "duplicate lines", json!(s.duplicates)),
        ("invalid_lines", "invalid lines", json!(read.invalid)),
        ("found", "found", json!(s.found)),
        ("missing", "missing", json!(s.missing)),
        ("cache_hits", "cache hits", json!(s.cache_hits)),
        (
            "cache_unusable",
            "cached values unusable",
            json!(s.cache_unusable),
        ),
        (
            "cache_refused",
            "not cached (newer or deleted)",
            json!(s.cache_refused),
        ),
        ("fetched", "ids fetched", json!(s.fetched)),
        ("id_requests", "requests for ids", json!(s.id_requests)),
        (
            "requests_saved_by_batching",
            "requests saved by batching",
            json!(saved),
        ),
        ("strategy", "strategy", json!(strategy)),
        ("cache", "cache", json!(cache.describe())),
        ("output", "output", json!(output)),
    ];
    let mut out: Vec<(&'static str, Value)> = rows
        .into_iter()
        .map(|(key, label, v)| (if json { key } else { label }, v))
        .collect();
    if json {
        out.push(("missing_ids", json!(s.missing_ids)));
        out.push((
            "missing_ids_truncated",
            json!(s.missing as usize > s.missing_ids.len()),
        ));
    }
    out
}
