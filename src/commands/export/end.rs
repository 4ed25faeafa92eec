//! The end of an export: when the pages left are about all its last window will hold, every
//! page left should be asked side by side.
//!
//! A part with two pages left needs two round trips in a row. When the budget binds for long
//! (its pages wait for a later window), such a part's last page waits for the window and then
//! for its other page's answer: the export ends a round trip late. Four processes sharing one
//! budget through Redis met their last window that way, each with parts one or two pages
//! short (the window's first requests took the budget in a burst, then every stream waited
//! 8 s), and the run ended at 95.6-96.8% of the ceiling where 97.8% was possible.
//!
//! So, at the end ([`EndGame::reached`]: the requests left are under a quarter of a window's
//! budget, over the processes that spend the key) and while the budget binds for long
//! ([`EndGame::binds`], or the stream's own last page waited over a tenth of a window; see
//! [`EndGame::cuts`]), a part that likely has [`END_PIECE`] pages or more left is cut into
//! pieces of under [`END_PIECE`] pages each, given to idle streams or to streams started for
//! them ([`EndGame::take_streams`]), so each piece is one request. Where
//! the budget does not bind for long, the end is the idle streams' as before (the small
//! budgets' rows lost 2-4% when pieces were cut there too: each piece ends with its own short
//! page, about half a request more).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::pacing::budget::Rate;

/// The end begins with this many users' pages left at most (256 pages of 50, 25 of 500),
/// and its streams may have twice that under way (a million-user export's pages of 500 stay
/// within its RSS target).
pub(super) const END_USERS: usize = 12_800;
/// The most pages an end piece is meant to hold: under one by a margin, for a piece of exactly
/// a page costs a second, empty request. 1.7 pages left make 2 pieces, 1.9 make 3.
pub(super) const END_PIECE: f64 = 0.9;
/// The most users a page may hold (Clerk's documented limit for `GET /v1/users`).
const MOST_A_PAGE: u32 = 500;
/// Most streams the end may have, whatever the page size.
const MOST_STREAMS: usize = 512;

pub(super) struct EndGame {
    /// Users still to fetch when the board was made (the count less what was written); `None`
    /// without a count: no end.
    left: Option<u64>,
    fetched: AtomicU64,
    reached: AtomicBool,
    page_size: u64,
    /// The requests left at which the end begins.
    threshold: u64,
    /// Streams running, and how many the end may have (never past `--concurrency` when given).
    streams: AtomicUsize,
    cap: usize,
    /// Streams taken and not yet started; the board's runner starts them when told by `more`.
    pub(super) unstarted: AtomicUsize,
    pub(super) more: Notify,
    /// Parts cut into pieces, and the pieces given away.
    cut: AtomicUsize,
    pieces: AtomicUsize,
    window: Duration,
}

impl EndGame {
    /// `streams`: those the board starts with; `fixed`: `--concurrency` was given (the end
    /// starts no stream past it).
    pub(super) fn new(
        left: Option<u64>,
        page_size: u32,
        streams: usize,
        fixed: bool,
        rate: &Rate,
    ) -> Self {
        let page = page_size.max(1) as usize;
        let threshold = (END_USERS / page).min(rate.limit as usize / 4).max(1) as u64;
        let cap = if fixed {
            streams
        } else {
            streams.max((2 * END_USERS / page).min(MOST_STREAMS))
        };
        EndGame {
            left,
            fetched: AtomicU64::new(0),
            reached: AtomicBool::new(false),
            page_size: page as u64,
            threshold,
            streams: AtomicUsize::new(streams),
            cap,
            unstarted: AtomicUsize::new(0),
            more: Notify::new(),
            cut: AtomicUsize::new(0),
            pieces: AtomicUsize::new(0),
            window: rate.window,
        }
    }

    /// The budget binds for long: a request of this process is booked over a tenth of a
    /// window ahead (for a later window), not merely until the next slot frees.
    pub(super) fn binds(&self) -> bool {
        crate::pacing::ahead::binds_beyond(tokio::time::Instant::now(), self.window / 10)
    }

    /// A page that waited this long for the budget says it binds: over a tenth of a window.
    pub(super) fn long(&self, wait: Duration) -> bool {
        wait > self.window / 10
    }

    pub(super) fn fetched(&self, users: u64) {
        self.fetched.fetch_add(users, Ordering::Relaxed);
    }

    /// The requests left to ask: full pages not yet asked, less the `under_way` being asked,
    /// plus one short page for each of the `parts` parts being paged or waiting. `None`
    /// without a count.
    fn requests_left(&self, parts: usize, under_way: usize) -> Option<u64> {
        let users = self
            .left?
            .saturating_sub(self.fetched.load(Ordering::Relaxed));
        Some((users / self.page_size).saturating_sub(under_way as u64) + parts as u64)
    }

    /// Whether `left` requests left ([`EndGame::requests_left`]) are under the threshold. Once
    /// reached, the end stays reached: its own pieces add parts to the estimate.
    fn reached(&self, left: Option<u64>) -> bool {
        if self.reached.load(Ordering::Relaxed) {
            return true;
        }
        let reached = left.is_some_and(|r| r <= self.threshold);
        if reached {
            self.reached.store(true, Ordering::Relaxed);
        }
        reached
    }

    /// Whether `left` requests left are under this process's part of the threshold: the
    /// threshold over the `sharing` processes that spend the key (1 without
    /// `--budget-store`).
    fn within_share(&self, left: Option<u64>, sharing: usize) -> bool {
        let share = (self.threshold / sharing.max(1) as u64).max(1);
        left.is_some_and(|r| r <= share)
    }

    /// Whether a part is cut into pieces now, before its stream's next page: at the end
    /// ([`EndGame::reached`], and [`EndGame::within_share`]: this process's part of it), when a
    /// request of this process is booked for a later window (`booked_later`, [`EndGame::binds`]),
    /// when this stream's last page waited for one (`waited_long`), or when a stream has nothing to
    /// do (`idle`). The end is this process's part of the threshold, not all of it: four processes
    /// sharing one budget each had about a quarter of a window left when their second window
    /// opened, and every part, back from that wait, was cut into pieces there, though most of the
    /// window was still to come: 200 pieces a process, and 2,170 requests for 2,000 pages.
    pub(super) fn cuts(
        &self,
        booked_later: bool,
        waited_long: bool,
        idle: bool,
        sharing: usize,
        parts: usize,
        under_way: usize,
    ) -> bool {
        let left = self.requests_left(parts, under_way);
        ((booked_later || idle) && self.reached(left) || waited_long)
            && self.within_share(left, sharing)
    }

    /// The page limit of an end piece ([`super::part::PartState::page`]): twice the export's
    /// page, at most [`MOST_A_PAGE`]. A piece costs one request whatever its limit.
    pub(super) fn piece_limit(page_size: u32) -> u32 {
        page_size.saturating_mul(2).min(MOST_A_PAGE).max(page_size)
    }

    /// How many pieces `pages` left should be cut into.
    pub(super) fn pieces_for(pages: f64) -> usize {
        ((pages / END_PIECE).ceil() as usize).max(1)
    }

    /// Take up to `n` streams beyond those running, as many as the cap allows.
    pub(super) fn take_streams(&self, n: usize) -> usize {
        let mut taken = 0;
        let _ = self
            .streams
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                taken = n.min(self.cap.saturating_sub(s));
                Some(s + taken)
            });
        taken
    }

    /// Streams running (and taken to start).
    pub(super) fn streams(&self) -> usize {
        self.streams.load(Ordering::SeqCst)
    }

    pub(super) fn give_back(&self, n: usize) {
        self.streams.fetch_sub(n, Ordering::SeqCst);
    }

    /// A part was cut and `given` pieces given away.
    pub(super) fn cut(&self, given: usize) {
        self.cut.fetch_add(1, Ordering::Relaxed);
        self.pieces.fetch_add(given, Ordering::Relaxed);
    }

    /// What the end did, for `-v`; `None` when it cut nothing.
    pub(super) fn describe(&self) -> Option<String> {
        let cut = self.cut.load(Ordering::Relaxed);
        (cut > 0).then(|| {
            format!(
                "the end: {cut} parts cut into {} more pieces while the budget bound, {} streams at most",
                self.pieces.load(Ordering::Relaxed),
                self.streams.load(Ordering::Relaxed)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_end_piece_asks_for_up_to_twice_the_page_and_never_past_clerk_s_500() {
        assert_eq!(EndGame::piece_limit(10), 20);
        assert_eq!(EndGame::piece_limit(50), 100);
        assert_eq!(EndGame::piece_limit(300), 500);
        assert_eq!(EndGame::piece_limit(500), 500);
    }

    fn rate(limit: u32, secs: u64) -> Rate {
        Rate {
            limit,
            window: Duration::from_secs(secs),
        }
    }

    #[test]
    fn the_end_begins_at_a_quarter_of_a_window_and_never_past_what_pieces_may_hold() {
        // Production, pages of 50: a quarter of 1000 (under 256 pages), 512 streams at most.
        let e = EndGame::new(Some(25_000), 50, 40, false, &rate(1000, 10));
        assert_eq!((e.threshold, e.cap), (250, 512));
        // Development: a quarter of 100.
        assert_eq!(
            EndGame::new(Some(10_000), 50, 4, false, &rate(100, 10)).threshold,
            25
        );
        // Pages of 500: 25 requests, and 51 streams at most (or the 64 there are).
        let big = EndGame::new(Some(1_000_000), 500, 40, false, &rate(1000, 10));
        assert_eq!((big.threshold, big.cap), (25, 51));
        assert_eq!(
            EndGame::new(Some(1), 500, 64, false, &rate(1000, 10)).cap,
            64
        );
        // --concurrency is a cap: no stream past it.
        assert_eq!(
            EndGame::new(Some(25_000), 50, 8, true, &rate(1000, 10)).cap,
            8
        );
    }

    #[test]
    fn the_end_is_reached_from_the_pages_not_yet_asked_and_stays_reached() {
        let e = EndGame::new(Some(20_000), 50, 40, false, &rate(1000, 10));
        // 400 pages left, 40 parts: 440 requests.
        assert!(!e.reached(e.requests_left(40, 0)));
        // 100 of them asked and under way: 300 + 40.
        assert!(!e.reached(e.requests_left(40, 100)));
        e.fetched(5_000);
        // 300 pages left, 100 under way: 200 + 40 = 240, under 250.
        assert!(e.reached(e.requests_left(40, 100)));
        // Pieces add parts; the end stays.
        assert!(e.reached(e.requests_left(400, 0)));
        // Without a count there is no end.
        let e = EndGame::new(None, 50, 40, false, &rate(1000, 10));
        assert!(!e.reached(e.requests_left(0, 0)));
    }

    #[test]
    fn a_page_back_from_a_window_s_wait_no_longer_cuts_every_part_while_most_of_the_window_is_to_come()
     {
        // One of four processes sharing 1000/10s: 25,000 users, 40 streams and parts; its
        // second window opens with 250 pages left, a quarter of the window.
        let e = EndGame::new(Some(25_000), 50, 40, false, &rate(1000, 10));
        e.fetched(12_500);
        // A page back from the window's wait: 250 requests left, over this process's part of
        // the threshold (250 / 4): most of the window is to come, so no cut, whatever binds.
        // Before, every part was cut here.
        assert!(!e.cuts(false, true, false, 4, 40, 40));
        assert!(!e.cuts(true, false, false, 4, 40, 40));
        assert!(!e.cuts(false, false, true, 4, 40, 40));
        // 30 requests left, under 62: the end.
        e.fetched(11_000);
        assert!(e.cuts(false, true, false, 4, 30, 30));
        assert!(e.cuts(true, false, false, 4, 30, 30));
        assert!(e.cuts(false, false, true, 4, 30, 30));
        // Nothing binds and no stream is idle: no cut.
        assert!(!e.cuts(false, false, false, 4, 30, 30));
    }

    #[test]
    fn alone_on_the_key_the_end_is_the_whole_threshold() {
        let e = EndGame::new(Some(25_000), 50, 40, false, &rate(1000, 10));
        e.fetched(12_500);
        assert!(e.cuts(false, true, false, 1, 40, 40));
    }

    #[test]
    fn pieces_hold_under_nine_tenths_of_a_page() {
        assert_eq!(EndGame::pieces_for(0.95), 2);
        assert_eq!(EndGame::pieces_for(1.7), 2);
        assert_eq!(EndGame::pieces_for(1.9), 3);
        assert_eq!(EndGame::pieces_for(2.28), 3);
        for p in [0.9, 1.0, 1.33, 2.5, 6.3, 13.7] {
            let n = EndGame::pieces_for(p);
            assert!(p / n as f64 <= END_PIECE + 1e-9, "{p} in {n}");
        }
    }

    #[test]
    fn streams_past_the_cap_are_never_taken_and_come_back_when_unused() {
        let e = EndGame::new(Some(25_000), 50, 506, false, &rate(1000, 10));
        assert_eq!(e.take_streams(4), 4);
        assert_eq!(e.take_streams(4), 2, "512 at most");
        assert_eq!(e.take_streams(1), 0);
        e.give_back(3);
        assert_eq!(e.take_streams(5), 3);
    }

    #[test]
    fn a_wait_over_a_tenth_of_the_window_is_long() {
        let e = EndGame::new(Some(1), 50, 1, false, &rate(1000, 10));
        assert!(!e.long(Duration::from_millis(900)));
        assert!(e.long(Duration::from_millis(1_100)));
    }
}
