//! The fetch engine: page every part not yet done and send each page, checked, to the writer.
//!
//! One part pages sequentially; after its first page, when one stream cannot use the budget
//! (latency x rate > 1), the rest of the created_at range is split into parts paged concurrently
//! ([`replan`]). A page the server got wrong falls back to offset or newest-first paging when
//! that keeps the export exact, and ends it with exit 6 when not.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::end::{END_PIECE, EndGame};
use super::part::{Paging, PartState, split};
use super::verify::{self, Progress, Seen};
use super::writer::Msg;
use super::{Job, all_filters};
use crate::api::{lines_in_place, parse_users};
use crate::error::{Exit, fail};
use crate::http::{Client, HttpError};
use crate::pacing::{InFlight, InFlightCore};
use crate::settings::context::Context;

/// Most concurrent page streams `--concurrency 0` (auto) picks: production (100/s) at a
/// 400 ms round trip needs about 50 in flight.
const MAX_AUTO_STREAMS: usize = 64;
/// Pages a part should have at least, so that the one short page that ends each part costs
/// at most 2% more requests.
const PAGES_PER_PART: u64 = 50;

/// Fetch every part not yet done, sending pages to the writer. Returns when all are done, when
/// the writer stops taking pages (closed stdout), or with the first error.
pub(super) async fn fetch_all(
    ctx: &Context,
    job: Arc<Job>,
    plan: Plan,
    total: Option<u64>,
    concurrency: usize,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    // One part: page sequentially, and split the rest of the range after the first page if one
    // stream cannot use the budget.
    if plan.count == 1
        && let [(0, part)] = &plan.pending[..]
        && !part.done
    {
        let mut part = part.clone();
        return first_part(ctx, job, &mut part, total, concurrency, tx).await;
    }
    // A resumed export: its parts are planned already. Start from a few streams and let the
    // round trip set the count.
    let streams = resumed_streams(plan.pending.len().max(1), concurrency);
    let core = match concurrency {
        0 => InFlightCore::auto(ctx.budget.rate.per_second(), streams),
        c => InFlightCore::fixed(c),
    };
    let board = Board::for_plan(ctx, &job, plan, None, total, streams, concurrency);
    run_parts(ctx, job, board, streams, core, tx).await
}

/// The parts an export has yet to page, in the order they are written, and how many parts it
/// has in all (the index the next part split off gets).
pub(super) struct Plan {
    pub pending: Vec<(usize, PartState)>,
    pub count: usize,
    /// Users written already (a resumed export's, or the first part's pages before the split),
    /// left out of what the count says is left.
    pub written: u64,
}

/// Page the one part of a fresh export; after its first page, split the rest of the range into
/// parts over several streams when one stream cannot use the budget.
async fn first_part(
    ctx: &Context,
    job: Arc<Job>,
    state: &mut PartState,
    total: Option<u64>,
    concurrency: usize,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    let mut seen = Seen::default();
    let mut pages = 0u64;
    // The newest user bounds the parts the range is split into. Asked beside the first page,
    // not after it, the parts start a round trip sooner: the export's first window fills that
    // much sooner, and so its last one ends sooner. Not asked where nothing would be split:
    // one stream (`--concurrency 1`), or fewer than 3 pages counted.
    let page_size = u64::from(job.page_size);
    let ask_newest = concurrency != 1
        && !job.paging().descending()
        && total.is_none_or(|t| t.saturating_sub(state.users) >= 3 * page_size);
    let mut newest = None;
    loop {
        let (latency, sent) = if pages == 0 && ask_newest {
            let (page, probe) = tokio::join!(
                next_page(&ctx.client, &job, 0, state, &mut seen, &tx),
                newest_created_at(ctx, &job)
            );
            let page = page?;
            newest = Some(probe?);
            page
        } else {
            next_page(&ctx.client, &job, 0, state, &mut seen, &tx).await?
        };
        if !sent {
            return Ok(());
        }
        pages += 1;
        if state.done {
            return Ok(());
        }
        // A newest-first walk stays one stream: its parts would need a range it cannot bound.
        if pages == 1 && !job.paging().descending() {
            let pages_left = total.map(|t| t.saturating_sub(state.users) / job.page_size as u64);
            let core = match concurrency {
                0 => InFlightCore::auto(ctx.budget.rate.per_second(), MAX_AUTO_STREAMS)
                    .warmed(latency),
                n => InFlightCore::fixed(n),
            };
            // Processes that spend the key beside this one take their part of its budget: the
            // parts are planned for this one's share (each part ends with its own short page:
            // four processes planning for the whole budget sent 2,087-2,135 requests for 2,000
            // pages), and the streams grow back as the others finish (`Board::share`).
            let sharing = match concurrency {
                0 => spending(ctx).await,
                _ => 1,
            };
            let whole = streams_for(core.planned(), pages_left);
            let streams = whole.div_ceil(sharing);
            if streams > 1
                && let Some((new_parts, upper)) =
                    replan(ctx, &job, state, streams, pages_left, newest).await?
            {
                if tx.send(Msg::Replan(new_parts.clone())).await.is_err() {
                    return Ok(());
                }
                let share = if sharing > 1 {
                    format!(" (this process's share: {sharing} processes spend the key)")
                } else {
                    String::new()
                };
                ctx.ui.info(&format!(
                    "one stream cannot use the budget ({} ms per page): {} parts over {streams} streams{share}",
                    latency.as_millis(),
                    new_parts.len()
                ));
                let plan = Plan {
                    written: state.users,
                    count: new_parts.len(),
                    pending: new_parts.into_iter().enumerate().collect(),
                };
                let board =
                    Board::for_plan(ctx, &job, plan, Some(upper), total, streams, concurrency)
                        .growing_to(whole);
                return run_parts(ctx, job, board, streams, core, tx).await;
            }
        }
    }
}

/// How many processes spend the key now, this one included: those the shared budget
/// (`--budget-store`) counts; 1 without it, or when Redis does not answer.
async fn spending(ctx: &Context) -> usize {
    match ctx.client.limiter().shared() {
        Some(sb) => sb.spending_now().await.unwrap_or(1),
        None => 1,
    }
}

/// The streams a resumed export of `parts` parts left starts with: as many as `--concurrency`
/// says, or with auto (0) one a part, up to [`MAX_AUTO_STREAMS`].
fn resumed_streams(parts: usize, concurrency: usize) -> usize {
    match concurrency {
        0 => parts.min(MAX_AUTO_STREAMS),
        c => c,
    }
}

/// What the streams of [`run_parts`] share: the parts waiting for a stream (in the order they
/// are written), how many are being paged, how many streams have nothing to do, and the index
/// the next part split off gets.
struct Board {
    queue: Mutex<VecDeque<(usize, PartState)>>,
    running: AtomicUsize,
    idle: AtomicUsize,
    next_id: tokio::sync::Mutex<usize>,
    changed: Notify,
    /// The newest user's created_at + 1, when known (a fresh export): where the open-ended last
    /// part's users end, to measure what it has left.
    upper: Option<i64>,
    /// The end of the export: see [`EndGame`].
    end: EndGame,
    /// The streams the whole key's budget needs: a process planned for its share of a budget
    /// spent by others grows back toward this as they finish (see [`Board::share`]).
    whole: usize,
}

/// A part is split for an idle stream only when it likely has at least a page left. It then
/// needs two more requests in a row (a full page, then the short one that ends it); split, its
/// halves take one short page each, side by side: a round trip sooner, for no more requests.
const SPLIT_PAGES: f64 = 1.0;

impl Board {
    /// The board for `plan`, its end reckoned from the count less the users written before.
    fn for_plan(
        ctx: &Context,
        job: &Job,
        plan: Plan,
        upper: Option<i64>,
        total: Option<u64>,
        streams: usize,
        concurrency: usize,
    ) -> Self {
        let left = total.map(|t| t.saturating_sub(plan.written));
        let fixed = concurrency != 0;
        let end = EndGame::new(left, job.page_size, streams, fixed, &ctx.budget.rate);
        Board::new(plan, upper, end)
    }

    fn new(plan: Plan, upper: Option<i64>, end: EndGame) -> Self {
        Board {
            queue: Mutex::new(plan.pending.into_iter().filter(|(_, p)| !p.done).collect()),
            running: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            next_id: tokio::sync::Mutex::new(plan.count),
            changed: Notify::new(),
            upper,
            end,
            whole: 0,
        }
    }

    /// Grow back toward `whole` streams as the processes spending the key beside this one
    /// finish.
    fn growing_to(mut self, whole: usize) -> Self {
        self.whole = whole;
        self
    }

    /// Fewer streams run than this process's share of the whole key's budget needs now.
    fn short_of_share(&self) -> bool {
        let share = self.whole.div_ceil(crate::pacing::ahead::sharing());
        self.end.streams() < share
    }

    fn queue_empty(&self) -> bool {
        self.queue.lock().expect("queue lock").is_empty()
    }

    /// No part waits and none is being paged: the export's fetching is over.
    fn finished(&self) -> bool {
        self.queue_empty() && self.running.load(Ordering::SeqCst) == 0
    }

    fn take(&self) -> Option<(usize, PartState)> {
        let mut q = self.queue.lock().expect("queue lock");
        let next = q.pop_front();
        if next.is_some() {
            self.running.fetch_add(1, Ordering::SeqCst);
        }
        next
    }

    fn part_done(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Wait, with nothing to do, until a part is split off for this stream or fetching is over.
    async fn idle(&self) {
        let notified = self.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.queue_empty() || self.finished() {
            return;
        }
        self.idle.fetch_add(1, Ordering::SeqCst);
        notified.await;
        self.idle.fetch_sub(1, Ordering::SeqCst);
    }

    /// Before its next page, the stream paging part `from` gives the upper half of the rest of its
    /// range to a stream that has nothing to do, if it likely has pages enough left for that to
    /// finish sooner. At the end of the export ([`EndGame::cuts`]: the budget binds for long, or
    /// `waited_long`, this stream's last page waited for a later window, with this process's part
    /// of the end left; the end counts the `under_way` requests of the streams as asked already),
    /// it is cut into pieces of under [`END_PIECE`] pages, all but the first given to idle streams
    /// or to streams started for them. When this process's share of the key grew as others
    /// spending it finished ([`Board::short_of_share`]), the upper half goes to a stream started
    /// for it. The new parts reach the writer before any of their pages and before `from`'s
    /// next. False when the writer has stopped.
    async fn share(
        &self,
        job: &Job,
        from: usize,
        state: &mut PartState,
        waited_long: bool,
        under_way: usize,
        tx: &mpsc::Sender<Msg>,
    ) -> bool {
        let Some(pages) = state
            .pages_left(job.page_size, self.upper)
            .filter(|&p| p >= END_PIECE && job.paging() == Paging::Cursor)
        else {
            return true;
        };
        // Idle streams not spoken for by a part already waiting.
        let queued = self.queue.lock().expect("queue lock").len();
        let idle = self.idle.load(Ordering::SeqCst).saturating_sub(queued);
        let parts = self.running.load(Ordering::SeqCst) + queued;
        let (pieces, extra, at_end) = if self.end.cuts(
            self.end.binds(),
            waited_long,
            idle > 0,
            crate::pacing::ahead::sharing(),
            parts,
            under_way,
        ) {
            let pieces = EndGame::pieces_for(pages);
            let extra = self.end.take_streams((pieces - 1).saturating_sub(idle));
            ((idle + extra + 1).min(pieces), extra, true)
        } else if idle > 0 && pages >= SPLIT_PAGES {
            (2, 0, false)
        } else if pages >= SPLIT_PAGES && self.short_of_share() {
            // Others spending the key finished: this process's share grew.
            match self.end.take_streams(1) {
                0 => return true,
                extra => (2, extra, false),
            }
        } else {
            return true;
        };
        if pieces < 2 {
            return true;
        }
        // Held while sending: the writer takes new parts in the order of their indexes.
        let mut next_id = self.next_id.lock().await;
        let mut rest = state.clone();
        let mut split_off = Vec::new();
        // End pieces ask for up to two pages in their one request (`PartState::page`).
        let limit = at_end.then(|| EndGame::piece_limit(job.page_size));
        // From the top down: each new part is written right after `from`, so the last split
        // off (the lowest) comes first.
        for j in (1..pieces).rev() {
            let Some(mut new) = rest.split_rest(self.upper, j as i64, j as i64 + 1) else {
                continue;
            };
            if limit.is_some() {
                new.limit = limit;
                rest.limit = limit;
            }
            let id = *next_id;
            let msg = Msg::Split {
                from,
                state: rest.clone(),
                id,
                new: new.clone(),
            };
            if tx.send(msg).await.is_err() {
                return false;
            }
            *next_id += 1;
            split_off.push((id, new));
        }
        *state = rest;
        if at_end && !split_off.is_empty() {
            self.end.cut(split_off.len());
        }
        // Streams taken and not needed (no millisecond left to split) are given back.
        self.end.give_back(extra.saturating_sub(split_off.len()));
        let started = extra.min(split_off.len());
        let mut q = self.queue.lock().expect("queue lock");
        for part in split_off {
            q.push_front(part);
        }
        drop(q);
        if started > 0 {
            self.end.unstarted.fetch_add(started, Ordering::SeqCst);
            self.end.more.notify_one();
        }
        self.changed.notify_waiters();
        true
    }
}

/// Page the board's parts, `streams` at a time at most (as many as the in-flight count
/// admits), first in write order first. A stream that finds nothing left waits for a part
/// still being paged to give it half of what it has left ([`Board::share`]): the end of the
/// export does not wait for one part's last pages in a row. Ends at once when the writer stops
/// taking pages (the reader of stdout left): every stream, paging or waiting, is dropped then.
async fn run_parts(
    ctx: &Context,
    job: Arc<Job>,
    board: Board,
    streams: usize,
    core: InFlightCore,
    tx: mpsc::Sender<Msg>,
) -> anyhow::Result<()> {
    let board = Arc::new(board);
    let inflight = Arc::new(InFlight::new(core));
    let mut set = tokio::task::JoinSet::new();
    let stream = |w: Option<usize>| Stream {
        gate: w,
        board: Arc::clone(&board),
        inflight: Arc::clone(&inflight),
        job: Arc::clone(&job),
        tx: tx.clone(),
        client: ctx.client.clone(),
    };
    for w in 0..streams.max(1) {
        set.spawn(stream(Some(w)).run());
    }
    // Kept only to see the writer leave; dropped before the writer is awaited.
    let watch = tx.clone();
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
            // The end cut a part with no stream idle: more streams take the pieces.
            () = board.end.more.notified() => {
                for _ in 0..board.end.unstarted.swap(0, Ordering::SeqCst) {
                    set.spawn(stream(None).run());
                }
            }
            () = watch.closed() => {
                // The writer stopped (a closed pipe, a full disk): nothing more is wanted.
                inflight.stop();
                set.abort_all();
                return Ok(());
            }
        }
    }
    ctx.ui.info(&inflight.snapshot().describe());
    if let Some(end) = board.end.describe() {
        ctx.ui.info(&end);
    }
    Ok(())
}

/// One stream of [`run_parts`]: it takes the next part waiting and pages it to its end, then
/// the next. Stream `gate: Some(w)` runs while `w` is under the in-flight count; a stream
/// started later (`None`) is not held by it: it exists only when the pages left fit the end's
/// streams, or when this process's share of a key's budget grew as others finished (within
/// the in-flight count the whole budget needs), and the pacer still holds every request to
/// the budget.
struct Stream {
    gate: Option<usize>,
    board: Arc<Board>,
    inflight: Arc<InFlight>,
    job: Arc<Job>,
    tx: mpsc::Sender<Msg>,
    client: Client,
}

impl Stream {
    async fn run(self) -> anyhow::Result<()> {
        let Stream {
            gate,
            board,
            inflight,
            job,
            tx,
            client,
        } = self;
        loop {
            let may_run = match gate {
                Some(w) => inflight.wait(w, || board.finished()).await,
                None => !inflight.stopped() && !board.finished(),
            };
            let next = if may_run { board.take() } else { None };
            let Some((i, mut state)) = next else {
                if inflight.stopped() || board.finished() {
                    inflight.nudge();
                    board.changed.notify_waiters();
                    return Ok(());
                }
                board.idle().await;
                continue;
            };
            // A part, once taken, is finished by its stream even when the count lowers
            // meanwhile: a part handed back could be left with no stream to take it. (Handed
            // back only when the server's answers set the count, it waited for a stream within
            // the count to finish its own: at production's limit the loaded sandbox's answers,
            // slowing from 256 to 385 ms, set it, and a million users ended at 94.6% of the
            // ceiling with 2,048 requests where 95.5-98.3% is usual.)
            let mut seen = Seen::default();
            // This stream's last page waited for a later window: the budget binds, whatever
            // the other bookings say now.
            let mut waited_long = false;
            while !state.done {
                if !board
                    .share(&job, i, &mut state, waited_long, inflight.under_way(), &tx)
                    .await
                {
                    inflight.stop();
                    return Ok(());
                }
                let before = state.users;
                let asked = tokio::time::Instant::now();
                let (latency, sent) = inflight
                    .track(next_page(&client, &job, i, &mut state, &mut seen, &tx))
                    .await?;
                waited_long = board.end.long(asked.elapsed().saturating_sub(latency));
                board.end.fetched(state.users.saturating_sub(before));
                if !sent {
                    inflight.stop();
                    return Ok(());
                }
            }
            board.part_done();
            // Streams past the in-flight count wait there: the end may be theirs to see.
            inflight.nudge();
        }
    }
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
        let page_size = state.page(job.page_size);
        let query = state.query(&job.filters, job.after, job.before, page_size, paging);
        let had_cursor = state.cursor.is_some();
        let before = state.clone();
        let url = client.url("/v1/users", &query);
        let (resp, users) = match client.get_with(&url, |r| parse_users(&r.body)).await {
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
        if state.gap(&users, page_size, paging) {
            // More users were deleted since the last page than the overlap re-reads: ask
            // again from further back instead of skipping the users between.
            state.widen(page_size);
            client.ui().info(&format!(
                "{name} does not join the users written (users deleted meanwhile shifted it); asking it again from offset {}",
                state.offset(page_size)
            ));
            continue;
        }
        let acc = state.accept(&users, page_size, paging);
        let prev_cursor = before.cursor.as_deref();
        match verify::progress(seen, &name, &users, &acc, paging, page_size, prev_cursor) {
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
        // The body becomes the kept users' lines in place: a page is held once, never twice.
        let mut lines = Vec::from(resp.body);
        lines_in_place(&mut lines, &users, &acc.kept);
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

/// How many parts to split the rest into for `streams` streams: whole rounds of parts, up to 4
/// a stream, each part at least [`PAGES_PER_PART`] pages when the pages left are known.
fn parts_for(streams: usize, pages_left: Option<u64>) -> usize {
    let rounds = match pages_left {
        Some(p) => (p / (PAGES_PER_PART * streams as u64)).clamp(1, 4) as usize,
        None => 4,
    };
    streams * rounds
}

/// The newest user's created_at (a one-user page, newest first); `None` without users.
async fn newest_created_at(ctx: &Context, job: &Job) -> anyhow::Result<Option<i64>> {
    let mut q = all_filters(job);
    q.push(("limit".into(), "1".into()));
    q.push(("order_by".into(), "-created_at".into()));
    let url = ctx.client.url("/v1/users", &q);
    let (_, newest) = ctx.client.get_with(&url, |r| parse_users(&r.body)).await?;
    Ok(newest.first().map(|u| u.created_at))
}

/// Split the rest of the range after `first`'s last user into parts, from the newest user's
/// created_at (`newest`: its answer when asked beside the first page; else asked now). `None`
/// when there is nothing to split.
async fn replan(
    ctx: &Context,
    job: &Job,
    first: &PartState,
    streams: usize,
    pages_left: Option<u64>,
    newest: Option<Option<i64>>,
) -> anyhow::Result<Option<(Vec<PartState>, i64)>> {
    let Some(lo) = first.last_created_at else {
        return Ok(None);
    };
    // Asked beside the first page already (`Some`, even when it found no user), or now.
    let newest = match newest {
        Some(asked) => asked,
        None => newest_created_at(ctx, job).await?,
    };
    let Some(hi) = newest else {
        return Ok(None);
    };
    if hi <= lo {
        return Ok(None);
    }
    // Whole rounds of parts (a part left for a second round doubles the time), several parts a
    // stream when there are pages enough to even out uneven sign-up rates, and each part long
    // enough that its one short last page costs at most 2% more requests.
    let parts = split(first, lo, hi + 1, parts_for(streams, pages_left));
    Ok((parts.len() > 1).then_some((parts, hi + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_pages_left_are_not_split() {
        assert_eq!(streams_for(50, Some(0)), 1);
        assert_eq!(streams_for(50, Some(1)), 1);
    }

    #[test]
    fn streams_are_no_more_than_the_pages_left() {
        assert_eq!(streams_for(50, Some(2)), 2);
        assert_eq!(streams_for(50, Some(30)), 30);
        assert_eq!(streams_for(50, Some(1_000)), 50);
    }

    #[test]
    fn an_unknown_count_takes_the_streams_wanted() {
        assert_eq!(streams_for(7, None), 7);
    }

    #[test]
    fn parts_are_whole_rounds_of_long_enough_parts() {
        // Fewer pages than one round of full-length parts: still one part a stream.
        assert_eq!(parts_for(10, Some(10)), 10);
        // Two rounds of 50-page parts fit.
        assert_eq!(parts_for(10, Some(2 * PAGES_PER_PART * 10)), 20);
        // Never more than 4 rounds, however many pages are left.
        assert_eq!(parts_for(10, Some(1_000_000)), 40);
        // Without a count: 4 rounds, to even out uneven sign-up rates.
        assert_eq!(parts_for(3, None), 12);
    }

    #[test]
    fn a_resumed_export_starts_with_a_stream_a_part_under_auto() {
        assert_eq!(resumed_streams(5, 0), 5);
        assert_eq!(resumed_streams(500, 0), MAX_AUTO_STREAMS);
        // A fixed --concurrency is taken as given, parts or not.
        assert_eq!(resumed_streams(5, 8), 8);
        assert_eq!(resumed_streams(500, 8), 8);
    }
}
