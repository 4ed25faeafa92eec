//! `clerk-rl api --paginate`: every item of a list endpoint as JSON Lines, verified as it comes
//! (the walk and its checks live in `crate::api::list`, below every command).
//!
//! A cursor walk (`/v1/users` by `starting_after`) goes one page at a time: each page's cursor
//! is the last one's last id. An offset walk asks its pages ahead ([`ReadAhead`]): as many in
//! flight as the budget needs at the measured round trip (`pacing::InFlight`, as export-users
//! and batch-get keep them; `--concurrency` caps it), answers taken strictly in order (the
//! pages asked ahead are the reorder buffer, no more of them than the in-flight count), each
//! through the same checks as one after another.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use serde_json::json;

use super::jq::Stopped;
use super::{Prepared, print_head};
use crate::api::list::{
    Defect, ListPage, Order, Paging, ReadAhead, Walk, not_a_list, parse_list_page,
};
use crate::api::parse_count;
use crate::cli::ApiArgs;
use crate::error::{Exit, fail};
use crate::http::{HttpError, Response};
use crate::pacing::{InFlight, InFlightCore};
use crate::settings::context::Context;

/// Endpoints that page by `starting_after` (the rest page by offset).
const CURSOR_ENDPOINTS: &[&str] = &["/v1/users"];
/// Endpoints whose count lives at `{path}/count` with the same filters.
const COUNT_ENDPOINTS: &[&str] = &["/v1/users"];
/// Most requests `--concurrency 0` (auto) keeps in flight, as export-users and batch-get:
/// production (100/s) at a 400 ms round trip needs about 50.
const MAX_IN_FLIGHT: usize = 64;
/// Documented default orders, for endpoints whose order can be checked without asking for one.
const DEFAULT_ORDER: &[(&str, Order)] = &[("/v1/organizations", Order::CreatedDesc)];

fn order_of(v: &str) -> Option<Order> {
    match v.trim() {
        "created_at" | "+created_at" | " created_at" => Some(Order::CreatedAsc),
        "-created_at" => Some(Order::CreatedDesc),
        _ => None,
    }
}

/// The walk for this endpoint and the user's query: how it pages, the order it checks, and the
/// filters kept on every page.
fn plan(p: &Prepared, page_size: u32) -> anyhow::Result<(Walk, Vec<(String, String)>)> {
    let mut filters = Vec::new();
    let mut limit = None;
    let mut order_by = None;
    for (k, v) in &p.query {
        match k.as_str() {
            "offset" | "starting_after" => {
                return Err(fail(
                    Exit::Usage,
                    format!("--paginate sets {k} itself; leave it out of the query"),
                ));
            }
            "limit" => {
                let n: u32 = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(|| fail(Exit::Usage, format!("limit={v}: expected 1..500")))?;
                limit = Some(n);
            }
            "order_by" => {
                order_by = Some(v.clone());
                filters.push((k.clone(), v.clone()));
            }
            _ => filters.push((k.clone(), v.clone())),
        }
    }
    let page_size = limit.unwrap_or(page_size);
    let cursor_capable = CURSOR_ENDPOINTS.contains(&p.path.as_str());
    let (paging, order) = match (&order_by, cursor_capable) {
        // Oldest first: sign-ups during the walk land at the end, where the walk still goes.
        (None, true) => {
            filters.push(("order_by".into(), "+created_at".into()));
            (Paging::Cursor, Some(Order::CreatedAsc))
        }
        (Some(o), true) if order_of(o).is_some() => (Paging::Cursor, order_of(o)),
        (Some(o), _) => (Paging::Offset, order_of(o)),
        (None, false) => (
            Paging::Offset,
            DEFAULT_ORDER
                .iter()
                .find(|(path, _)| *path == p.path)
                .map(|(_, o)| *o),
        ),
    };
    Ok((Walk::new(page_size, paging, order), filters))
}

/// `{path}/count` with the filters, where the endpoint has one; `None` when it cannot count.
async fn count(
    ctx: &Context,
    path: &str,
    filters: &[(String, String)],
) -> anyhow::Result<Option<u64>> {
    if !COUNT_ENDPOINTS.contains(&path) {
        return Ok(None);
    }
    let filters: Vec<(String, String)> = filters
        .iter()
        .filter(|(k, _)| k != "order_by")
        .cloned()
        .collect();
    let url = ctx.client.url(&format!("{path}/count"), &filters);
    let parse = |r: &crate::http::Response| parse_count(&r.body);
    match ctx.client.get_with(&url, parse).await {
        Ok((_, n)) => Ok(Some(n)),
        Err(HttpError::Clerk(e)) if matches!(e.status, 404 | 405) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub async fn run(ctx: &Context, args: &ApiArgs, p: Prepared) -> anyhow::Result<Exit> {
    let (mut walk, filters) = plan(&p, args.page_size)?;
    let mut counts = Vec::new();
    counts.extend(count(ctx, &p.path, &filters).await?);
    walk.has_count = !counts.is_empty();
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    // Items written against the count, where the endpoint has one (a spinner elsewhere); on
    // stderr, hidden with -q, --no-progress or no terminal.
    let bar = ctx.ui.progress(counts.first().copied(), "items");
    let mut ahead = Ahead::default();
    let result = {
        let mut w = Walker {
            ctx,
            args,
            p: &p,
            filters: &filters,
            count: counts.first().copied(),
            out: &mut out,
            bar: &bar,
        };
        w.walk_pages(&mut walk, &mut ahead).await
    };
    ctx.ui.finish_progress();
    let closed = match result {
        Ok(closed) => closed,
        Err(e) => {
            let _ = out.flush();
            summary(ctx, &p, &walk, None, &ahead);
            return Err(e);
        }
    };
    if closed {
        // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
        return Ok(Exit::Ok);
    }
    counts.extend(count(ctx, &p.path, &filters).await?);
    let checked = walk.finish(&counts);
    summary(
        ctx,
        &p,
        &walk,
        checked.as_ref().ok().copied().flatten(),
        &ahead,
    );
    match checked {
        Ok(_) => Ok(Exit::Ok),
        Err(d) => Err(fail(Exit::Server, format!("{} {}: {d}", p.method, p.path))),
    }
}

/// What the offset walk's read-ahead did, for the summary.
#[derive(Debug, Default)]
struct Ahead {
    /// The in-flight count and why (`InFlightCore::describe`); `None`: no page was read ahead.
    in_flight: Option<String>,
    /// Requests sent for pages past the short page that ended the walk (answers discarded).
    past_the_end: u64,
    /// Requests sent for pages dropped because the walk asked elsewhere (a page asked again from
    /// further back after deletions).
    off_the_plan: u64,
}

/// One walk's fixed parts: where it reads from and writes to.
struct Walker<'a, W: Write> {
    ctx: &'a Context,
    args: &'a ApiArgs,
    p: &'a Prepared,
    filters: &'a [(String, String)],
    /// `{path}/count` at the start, where the endpoint has one.
    count: Option<u64>,
    out: &'a mut W,
    bar: &'a indicatif::ProgressBar,
}

/// What taking a page came to.
enum Taken {
    /// Written; the walk goes on (or is done).
    Next,
    /// The reader of stdout left, or a filter ended the output: stop quietly.
    Closed,
}

impl<W: Write> Walker<'_, W> {
    fn url(&self, paging: Vec<(String, String)>) -> reqwest::Url {
        let mut q = self.filters.to_vec();
        q.extend(paging);
        self.ctx.client.url(&self.p.path, &q)
    }

    /// Fetch, check and write pages until the last. `Ok(true)`: stdout was closed.
    async fn walk_pages(&mut self, walk: &mut Walk, ahead: &mut Ahead) -> anyhow::Result<bool> {
        // The last round trip seen: the read-ahead starts from what it needs.
        let mut latency = None;
        while !walk.done {
            if walk.paging == Paging::Offset && walk.pages > 0 && !walk.probing() {
                return self.offset_pages(walk, latency, ahead).await;
            }
            let url = self.url(walk.query());
            // The first page that is a complete answer of another shape (`users/count`) is not
            // a list: final at once, not retried as a cut-off page would be.
            let first = walk.pages == 0;
            let parse = |r: &Response| match parse_list_page(&r.body) {
                Ok(page) => Ok(Ok(page)),
                Err(why) => match not_a_list(&r.body).filter(|_| first) {
                    Some(not_list) => Ok(Err(not_list)),
                    None => Err(why),
                },
            };
            // The reader of stdout may leave while a page is paced or fetched: nobody would
            // read it, so the walk stops at once instead of sending it (issue 23 row 1).
            let fetched = tokio::select! {
                r = self.ctx.client.get_with(&url, parse) => r,
                () = crate::output::stdout_reader_gone() => return Ok(true),
            };
            let (p, ctx) = (self.p, self.ctx);
            let (resp, page) = match fetched {
                Ok((resp, Ok(page))) => (resp, page),
                Ok((_, Err(not_list))) => {
                    return Err(fail(
                        Exit::Server,
                        format!("{} {}: {not_list}", p.method, p.path),
                    ));
                }
                Err(HttpError::Clerk(e))
                    if walk.paging == Paging::Cursor
                        && walk.has_cursor()
                        && matches!(e.status, 400 | 422) =>
                {
                    offset_instead(ctx, walk, &format!("it answered {e}"));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            latency = Some(resp.latency);
            if self.args.include {
                print_head(&resp);
            }
            let turned = walk.turned;
            let kept = match walk.accept(&page) {
                Ok(k) if walk.turned && !turned => {
                    ctx.ui.warn(&format!(
                        "{} lists newest first whatever order_by asks; walking it from the newest to the oldest over starting_after instead. Items added meanwhile are not in the output, and the count check at the end proves it complete",
                        p.path
                    ));
                    k
                }
                Ok(k) => k,
                Err(Defect::NoProgress { .. }) if walk.paging == Paging::Cursor => {
                    offset_instead(ctx, walk, "it ignored the cursor");
                    continue;
                }
                Err(d) => return Err(fail(Exit::Server, format!("{} {}: {d}", p.method, p.path))),
            };
            if let Taken::Closed = self.write(&page, kept)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The rest of an offset walk, its pages asked ahead: as many in flight as the in-flight
    /// count allows, taken in order. `Ok(true)`: stdout was closed.
    async fn offset_pages(
        &mut self,
        walk: &mut Walk,
        latency: Option<Duration>,
        ahead: &mut Ahead,
    ) -> anyhow::Result<bool> {
        let core = match self.args.concurrency {
            0 => {
                let core = InFlightCore::auto(self.ctx.budget.rate.per_second(), MAX_IN_FLIGHT);
                match latency {
                    Some(l) => core.warmed(l),
                    None => core,
                }
            }
            n => InFlightCore::fixed(n as usize),
        };
        let inflight = Arc::new(InFlight::new(core));
        let monitor = self.ctx.client.monitor();
        let mut spent = Spent {
            before: monitor.counters().requests,
            taken: 0,
        };
        let result = self
            .read_ahead(walk, &inflight, &mut spent, &mut ahead.off_the_plan)
            .await;
        // Every page asked ahead is dropped by now: what was sent and not taken was spent past
        // the end (or, counted apart, off the plan).
        let unused = spent.unused(monitor.counters().requests);
        ahead.past_the_end = unused.saturating_sub(ahead.off_the_plan);
        ahead.in_flight = Some(inflight.snapshot().describe());
        result
    }

    async fn read_ahead(
        &mut self,
        walk: &mut Walk,
        inflight: &Arc<InFlight>,
        spent: &mut Spent,
        off_the_plan: &mut u64,
    ) -> anyhow::Result<bool> {
        let count = self.count;
        let total = |walk: &Walk| walk.latest_total().or(count);
        let mut planned_for = total(walk);
        let Some(mut plan) = ReadAhead::new(walk, planned_for) else {
            return Ok(false);
        };
        let ctx = self.ctx;
        let monitor = ctx.client.monitor();
        let mut asked = FuturesOrdered::new();
        while !walk.done {
            if !plan.fits(walk) {
                // The walk asks from elsewhere (a page again from further back, after items
                // were deleted): the pages asked ahead are of no use. Dropped, not sent if
                // they were still waiting for the budget; a new plan from there.
                asked = FuturesOrdered::new();
                *off_the_plan = spent.unused(monitor.counters().requests);
                planned_for = total(walk);
                let Some(p) = ReadAhead::new(walk, planned_for) else {
                    return Ok(false);
                };
                plan = p;
            }
            while asked.len() < inflight.limit() {
                let Some(offset) = plan.ask() else { break };
                asked.push_back(fetch(
                    &ctx.client,
                    inflight,
                    self.offset_url(walk.page_size, offset),
                ));
            }
            if asked.is_empty() {
                // Past the page the total said was the last: items were added meanwhile.
                plan.past_the_plan();
                if let Some(offset) = plan.ask() {
                    asked.push_back(fetch(
                        &ctx.client,
                        inflight,
                        self.offset_url(walk.page_size, offset),
                    ));
                }
            }
            let fetched = tokio::select! {
                r = asked.next() => r,
                () = crate::output::stdout_reader_gone() => return Ok(true),
            };
            let Some(fetched) = fetched else {
                return Ok(false);
            };
            plan.took();
            let (resp, page) = fetched?;
            spent.taken += u64::from(resp.attempts);
            if self.args.include {
                print_head(&resp);
            }
            drop(resp);
            let kept = walk.accept(&page).map_err(|d| {
                fail(
                    Exit::Server,
                    format!("{} {}: {d}", self.p.method, self.p.path),
                )
            })?;
            // A page's total_count that changed (items added or deleted meanwhile) re-plans
            // the end; an unchanged one leaves a plan that went past it open-ended.
            let now = total(walk);
            if now != planned_for {
                if let Some(t) = now {
                    plan.set_total(t);
                }
                planned_for = now;
            }
            if let Taken::Closed = self.write(&page, kept)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The URL of the offset page at `offset`.
    fn offset_url(&self, page_size: u32, offset: u64) -> reqwest::Url {
        let mut q = vec![("limit".to_string(), page_size.to_string())];
        if offset > 0 {
            q.push(("offset".into(), offset.to_string()));
        }
        self.url(q)
    }

    /// Write the page's new items (`kept`), through the filter when there is one.
    fn write(&mut self, page: &ListPage, kept: Vec<usize>) -> anyhow::Result<Taken> {
        // A filter computes without yielding: Ctrl-C must still end the run meanwhile.
        let _stop = self.p.jq.as_ref().map(|_| crate::signals::HardStop::arm());
        self.bar.inc(kept.len() as u64);
        for i in kept {
            let item = &page.items[i];
            // With --jq, each item is the filter's input: what is printed without it.
            let written = match &self.p.jq {
                None => self.out.write_all(&item.line).map_err(Stopped::Write),
                Some(jq) => jq.run(&item.line, self.out),
            };
            if let Err(stopped) = written {
                let _ = self.out.flush();
                let hint = self.p.jq.as_ref().map_or("", |jq| jq.per_item_hint());
                let about = format!(" (item {}{hint})", crate::ui::clean(&item.id));
                // Ended quietly (the reader left, `halt`): no more pages, no count check.
                return stopped.settle(&about).map(|()| Taken::Closed);
            }
        }
        match self.out.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Taken::Closed),
            Err(e) => Err(anyhow::Error::new(e).context("writing the items failed")),
            Ok(()) => Ok(Taken::Next),
        }
    }
}

/// One offset page, counted in flight (its round trip feeds the count).
async fn fetch(
    client: &crate::http::Client,
    inflight: &Arc<InFlight>,
    url: reqwest::Url,
) -> Result<(Response, ListPage), HttpError> {
    inflight
        .track(client.get_with(&url, |r| parse_list_page(&r.body)))
        .await
}

/// Requests sent during the read-ahead, against those the pages taken cost.
struct Spent {
    /// The client's requests sent before it started.
    before: u64,
    /// The tries of the pages taken.
    taken: u64,
}

impl Spent {
    fn unused(&self, now: u64) -> u64 {
        now.saturating_sub(self.before).saturating_sub(self.taken)
    }
}

fn offset_instead(ctx: &Context, walk: &mut Walk, why: &str) {
    walk.use_offset();
    ctx.ui.line(&format!(
        "note: the server does not page by starting_after ({why}); paging by offset instead, with overlapping pages and duplicates dropped by id"
    ));
}

fn summary(ctx: &Context, p: &Prepared, walk: &Walk, count: Option<u64>, ahead: &Ahead) {
    let mut fields = vec![
        ("request", json!(format!("{} {}", p.method, p.path))),
        ("items", json!(walk.written)),
        ("pages", json!(walk.pages)),
        ("shape", json!(walk.shape.map(|s| s.name()))),
        (
            "paging",
            json!(match walk.paging {
                Paging::Cursor => "cursor (starting_after)",
                Paging::Offset => "offset",
            }),
        ),
        (
            "count_checked",
            json!(count.map_or("no count available".to_string(), |c| c.to_string())),
        ),
        ("duplicates_dropped", json!(walk.duplicates)),
    ];
    if let Some(in_flight) = &ahead.in_flight {
        fields.push(("in_flight", json!(in_flight)));
        fields.push(("requests_past_the_end", json!(ahead.past_the_end)));
        if ahead.off_the_plan > 0 {
            fields.push(("requests_off_the_plan", json!(ahead.off_the_plan)));
        }
    }
    ctx.summary(&fields);
}
