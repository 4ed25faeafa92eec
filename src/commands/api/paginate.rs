//! `clerk-rl api --paginate`: every item of a list endpoint as JSON Lines, verified as it comes
//! (the walk and its checks live in `crate::api::list`, below every command).

use std::io::{self, BufWriter, Write};

use serde_json::json;

use super::jq::Stopped;
use super::{Prepared, print_head};
use crate::api::list::{Defect, Order, Paging, Walk, not_a_list, parse_list_page};
use crate::api::parse_count;
use crate::cli::ApiArgs;
use crate::error::{Exit, fail};
use crate::http::HttpError;
use crate::settings::context::Context;

/// Endpoints that page by `starting_after` (the rest page by offset).
const CURSOR_ENDPOINTS: &[&str] = &["/v1/users"];
/// Endpoints whose count lives at `{path}/count` with the same filters.
const COUNT_ENDPOINTS: &[&str] = &["/v1/users"];
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
    let result = walk_pages(ctx, args, &p, &mut walk, &filters, &mut out, &bar).await;
    ctx.ui.finish_progress();
    let closed = match result {
        Ok(closed) => closed,
        Err(e) => {
            let _ = out.flush();
            summary(ctx, &p, &walk, None);
            return Err(e);
        }
    };
    if closed {
        // `| head`: the reader has what it wanted. Stop quietly, spend nothing more.
        return Ok(Exit::Ok);
    }
    counts.extend(count(ctx, &p.path, &filters).await?);
    let checked = walk.finish(&counts);
    summary(ctx, &p, &walk, checked.as_ref().ok().copied().flatten());
    match checked {
        Ok(_) => Ok(Exit::Ok),
        Err(d) => Err(fail(Exit::Server, format!("{} {}: {d}", p.method, p.path))),
    }
}

/// Fetch, check and write pages until the last. `Ok(true)`: stdout was closed.
async fn walk_pages(
    ctx: &Context,
    args: &ApiArgs,
    p: &Prepared,
    walk: &mut Walk,
    filters: &[(String, String)],
    out: &mut impl Write,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<bool> {
    while !walk.done {
        let mut q = filters.to_vec();
        q.extend(walk.query());
        let url = ctx.client.url(&p.path, &q);
        // The first page that is a complete answer of another shape (`users/count`) is not a
        // list: final at once, not retried as a cut-off page would be.
        let first = walk.pages == 0;
        let parse = |r: &crate::http::Response| match parse_list_page(&r.body) {
            Ok(page) => Ok(Ok(page)),
            Err(why) => match not_a_list(&r.body).filter(|_| first) {
                Some(not_list) => Ok(Err(not_list)),
                None => Err(why),
            },
        };
        // The reader of stdout may leave while a page is paced or fetched: nobody would read
        // it, so the walk stops at once instead of sending it (issue 23 row 1).
        let fetched = tokio::select! {
            r = ctx.client.get_with(&url, parse) => r,
            () = crate::output::stdout_reader_gone() => return Ok(true),
        };
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
        if args.include {
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
        // A filter computes without yielding: Ctrl-C must still end the run meanwhile.
        let _stop = p.jq.as_ref().map(|_| crate::signals::HardStop::arm());
        bar.inc(kept.len() as u64);
        for i in kept {
            let item = &page.items[i];
            // With --jq, each item is the filter's input: what is printed without it.
            let written = match &p.jq {
                None => out.write_all(&item.line).map_err(Stopped::Write),
                Some(jq) => jq.run(&item.line, out),
            };
            if let Err(stopped) = written {
                let _ = out.flush();
                let hint = p.jq.as_ref().map_or("", |jq| jq.per_item_hint());
                let about = format!(" (item {}{hint})", crate::ui::clean(&item.id));
                // Ended quietly (the reader left, `halt`): no more pages, no count check.
                return stopped.settle(&about).map(|()| true);
            }
        }
        match out.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(true),
            Err(e) => return Err(anyhow::Error::new(e).context("writing the items failed")),
            Ok(()) => {}
        }
    }
    Ok(false)
}

fn offset_instead(ctx: &Context, walk: &mut Walk, why: &str) {
    walk.use_offset();
    ctx.ui.line(&format!(
        "note: the server does not page by starting_after ({why}); paging by offset instead, with overlapping pages and duplicates dropped by id"
    ));
}

fn summary(ctx: &Context, p: &Prepared, walk: &Walk, count: Option<u64>) {
    ctx.summary(&[
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
    ]);
}
