//! A part of the export: a created_at range paged on its own, and what it has written so far.
//!
//! A sequential export is one part with no bounds. To use more of the budget than one stream
//! can, the rest of the range is split into parts paged concurrently. Each part keeps the
//! created_at of the last user it wrote and the ids written at that millisecond: whatever the
//! server sends again (an overlapping offset page, an inclusive boundary, users sharing a
//! millisecond across a boundary) is dropped, with memory bounded by the largest tie.

use serde::{Deserialize, Serialize};

use crate::api::PageUser;

/// How pages are addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Paging {
    /// `starting_after=<last id>`: stable under inserts and deletes.
    Cursor,
    /// `offset=N`, for servers that do not know the cursor; pages overlap so deletions during
    /// the export cannot shift a user past us.
    Offset,
    /// `starting_after=<last id>` newest first, for servers that list newest first whatever
    /// `order_by` asks: one stream, exact with the final count check.
    Descending,
}

impl Paging {
    /// Whether pages run newest first.
    pub fn descending(self) -> bool {
        self == Paging::Descending
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PartState {
    /// Inclusive lower bound of created_at (ms), checked on our side whatever the server does.
    pub lo: Option<i64>,
    /// Exclusive upper bound; `None` for the last part, so sign-ups during the export land in it.
    pub hi: Option<i64>,
    /// The id of the last row the server returned, for `starting_after`.
    pub cursor: Option<String>,
    /// Rows the server returned for this part so far (the offset in offset paging).
    pub rows: u64,
    /// created_at of the last user written from this part.
    pub last_created_at: Option<i64>,
    /// Ids written with created_at == last_created_at.
    pub tie_ids: Vec<String>,
    pub users: u64,
    pub done: bool,
    /// Offset paging: rows the next page steps back besides the overlap, grown when a page
    /// showed that more users were deleted between two pages than the overlap re-reads.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub back: u64,
    /// The last page's users: the milliseconds between its first and last user kept, and the
    /// users after the first. Sign-ups come in bursts (an import, a launch), so what the part
    /// has left is better told by its last page than by its average. Not saved: a resumed
    /// part measures again.
    #[serde(skip)]
    pub recent: Option<(i64, u64)>,
    /// An end piece's own page limit (see [`PartState::page`]); `None`: the export's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one page did to a part.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    pub kept: Vec<usize>,
    /// Rows already written (overlap, boundaries, or a server that ignored the cursor).
    pub duplicates: usize,
    /// Rows outside this part's range (an inclusive server filter).
    pub outside: usize,
}

/// The filters the export itself controls; a user may not pass them with `--filter`.
pub const RESERVED: &[&str] = &["limit", "offset", "order_by", "starting_after"];

impl PartState {
    pub fn bounded(lo: Option<i64>, hi: Option<i64>) -> Self {
        PartState {
            lo,
            hi,
            ..Default::default()
        }
    }

    /// The limit of this part's pages: the export's `page_size`, or an end piece's own. An end
    /// piece is reckoned at under [`super::end::END_PIECE`] pages from the created_at spacing
    /// of its last page, and one that holds a few users more (sign-ups are not evenly spaced)
    /// would need a second request in a row, a round trip after its first, when the budget's
    /// last window is all that is left: it asks for up to twice as many in its one request.
    pub fn page(&self, page_size: u32) -> u32 {
        self.limit.unwrap_or(page_size)
    }

    /// The query of this part's next page. `after`/`before` are the user's own created_at
    /// filters, merged with the part's bounds.
    pub fn query(
        &self,
        filters: &[(String, String)],
        after: Option<i64>,
        before: Option<i64>,
        page_size: u32,
        paging: Paging,
    ) -> Vec<(String, String)> {
        let mut q: Vec<(String, String)> = filters.to_vec();
        let mut push = |k: &str, v: String| q.push((k.to_string(), v));
        push("limit", page_size.to_string());
        let order = if paging.descending() {
            "-created_at"
        } else {
            "+created_at"
        };
        push("order_by", order.into());
        // The server's filters are strict (`>`/`<`) per Clerk's docs; lo-1 and hi are right for
        // strict filters and a superset for inclusive ones, which `accept` trims.
        let server_after = match (self.lo.map(|l| l.saturating_sub(1)), after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let server_before = match (self.hi, before) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Some(a) = server_after {
            push("created_at_after", a.to_string());
        }
        if let Some(b) = server_before {
            push("created_at_before", b.to_string());
        }
        match paging {
            Paging::Cursor | Paging::Descending => {
                if let Some(c) = &self.cursor {
                    push("starting_after", c.clone());
                }
            }
            Paging::Offset => {
                let offset = self.offset(page_size);
                if offset > 0 {
                    push("offset", offset.to_string());
                }
            }
        }
        q
    }

    /// The offset of this part's next page in offset paging.
    pub fn offset(&self, page_size: u32) -> u64 {
        self.rows
            .saturating_sub(overlap(page_size).saturating_add(self.back))
    }

    /// Whether this user was written already (it is behind the walk, or a tie written).
    fn written(&self, u: &PageUser, paging: Paging) -> bool {
        match self.last_created_at {
            Some(last) if u.created_at == last => self.tie_ids.contains(&u.id),
            Some(last) if paging.descending() => u.created_at > last,
            Some(last) => u.created_at < last,
            None => false,
        }
    }

    /// Offset paging: whether a page asked at a non-zero offset fails to start with a user
    /// already written. Each deletion between two pages shifts the next one forward by a row;
    /// once more users are deleted than the overlap re-reads, the page starts past users never
    /// seen (1,000 users, 50 deleted, 40 skipped). Such a page is not taken: the caller steps
    /// back further ([`PartState::widen`]) until the page joins what was written, so the walk
    /// is contiguous whatever was deleted, and the count check at the end stays a check.
    pub fn gap(&self, page: &[PageUser], page_size: u32, paging: Paging) -> bool {
        if paging != Paging::Offset || overlap(page_size) == 0 || self.offset(page_size) == 0 {
            return false;
        }
        let first = page.iter().find(|u| {
            !(self.lo.is_some_and(|lo| u.created_at < lo)
                || self.hi.is_some_and(|hi| u.created_at >= hi))
        });
        match first {
            Some(u) => !self.written(u, paging),
            None => true,
        }
    }

    /// Step the next offset page back further (twice as far each time, down to offset 0).
    pub fn widen(&mut self, page_size: u32) {
        self.back = self.back.max(overlap(page_size)).max(1).saturating_mul(2);
    }

    /// Take a page: keep the users this part has not written, in order, and advance.
    pub fn accept(&mut self, page: &[PageUser], page_size: u32, paging: Paging) -> Accepted {
        let mut acc = Accepted::default();
        for (i, u) in page.iter().enumerate() {
            if self.lo.is_some_and(|lo| u.created_at < lo)
                || self.hi.is_some_and(|hi| u.created_at >= hi)
            {
                acc.outside += 1;
                continue;
            }
            // Behind the walk: older than the last user written (newer, walking newest first).
            let behind = |last: i64| {
                if paging.descending() {
                    u.created_at > last
                } else {
                    u.created_at < last
                }
            };
            match self.last_created_at {
                Some(last) if behind(last) => {
                    acc.duplicates += 1;
                    continue;
                }
                Some(last) if u.created_at == last => {
                    if self.tie_ids.contains(&u.id) {
                        acc.duplicates += 1;
                        continue;
                    }
                    self.tie_ids.push(u.id.clone());
                }
                _ => {
                    self.last_created_at = Some(u.created_at);
                    self.tie_ids.clear();
                    self.tie_ids.push(u.id.clone());
                }
            }
            acc.kept.push(i);
        }
        self.users += acc.kept.len() as u64;
        if let (Some(&a), Some(&b)) = (acc.kept.first(), acc.kept.last())
            && b > a
        {
            let span = (page[b].created_at - page[a].created_at).abs();
            self.recent = Some((span, acc.kept.len() as u64 - 1));
        }
        match paging {
            Paging::Cursor | Paging::Descending => {
                if let Some(last) = page.last() {
                    self.cursor = Some(last.id.clone());
                }
                self.rows += page.len() as u64;
            }
            Paging::Offset => {
                // The page started where `offset` says: the rows up to its end are consumed.
                self.rows = self.offset(page_size) + page.len() as u64;
                self.back = 0;
            }
        }
        // The first page shorter than the limit is the last (Clerk's documented rule).
        self.done = (page.len() as u64) < page_size as u64;
        acc
    }

    /// Switch this part to offset paging: the rows seen so far become the offset.
    pub fn use_offset(&mut self) {
        self.cursor = None;
    }

    /// The pages this part likely has left: users per millisecond, over the milliseconds left
    /// up to its end (`upper`, the newest user's created_at + 1, for the open-ended last part).
    /// Users per millisecond is the part's average, or its last page's when that is over twice
    /// the average: a burst of sign-ups ahead is not taken for the sparse years behind, and a
    /// page merely denser than the average by chance (a page of 50 varies by about 15%) does
    /// not make a part look longer than it is, which splits it for a request more.
    /// `None` before it has a measure.
    pub fn pages_left(&self, page_size: u32, upper: Option<i64>) -> Option<f64> {
        let (lo, last) = (self.lo?, self.last_created_at?);
        let hi = self.hi.or(upper)?;
        if last <= lo || hi <= last || self.done {
            return None;
        }
        let average = self.users as f64 / (last - lo) as f64;
        let recent = self
            .recent
            .map_or(0.0, |(ms, n)| n as f64 / ms.max(1) as f64);
        let per_ms = if recent > 2.0 * average {
            recent
        } else {
            average
        };
        Some(per_ms * (hi - last) as f64 / f64::from(page_size.max(1)))
    }

    /// Give the rest of this part's range above its `of`/`pieces` point to a new part (1, 2:
    /// the upper half), for a stream that has nothing to do: this part then ends at that point,
    /// the new one starts there (and stays open-ended if this one was). `None` when no
    /// millisecond is left to split.
    pub fn split_rest(&mut self, upper: Option<i64>, of: i64, pieces: i64) -> Option<PartState> {
        let last = self.last_created_at?;
        let hi = self.hi.or(upper)?;
        // This part keeps the millisecond it ended on (its ties), the new one starts after it.
        let mid = last + 1 + (hi - last - 1) * of / pieces.max(1);
        if mid <= last || mid >= hi {
            return None;
        }
        let new = PartState::bounded(Some(mid), self.hi);
        self.hi = Some(mid);
        Some(new)
    }
}

/// Rows each offset page re-reads from the previous one: a tenth of a page, at least one (none
/// for pages of one user, which cannot overlap and advance). More deletions between two pages
/// than this are found by [`PartState::gap`], and the page asked again from further back.
pub fn overlap(page_size: u32) -> u64 {
    if page_size < 2 {
        0
    } else {
        (page_size as u64 / 10).max(1)
    }
}

/// Split `[lo, hi_excl)` into at most `n` parts of equal time span; the last is open-ended.
/// The first part continues from `first`.
pub fn split(first: &PartState, lo: i64, hi_excl: i64, n: usize) -> Vec<PartState> {
    let span = (hi_excl - lo).max(1);
    let n = (n as i64).clamp(1, span) as usize;
    let mut parts = Vec::with_capacity(n);
    for i in 0..n {
        let a = lo + span * i as i64 / n as i64;
        let b = (i + 1 < n).then(|| lo + span * (i + 1) as i64 / n as i64);
        let mut p = PartState::bounded(Some(a), b);
        if i == 0 {
            p.last_created_at = first.last_created_at;
            p.tie_ids = first.tie_ids.clone();
        }
        parts.push(p);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piece_with_its_own_limit_asks_for_it_and_ends_on_a_page_short_of_it() {
        let mut piece = PartState::bounded(Some(0), Some(1_000));
        piece.limit = Some(20);
        assert_eq!(piece.page(10), 20);
        assert!(has(
            &piece.query(&[], None, None, piece.page(10), Paging::Cursor),
            "limit",
            "20"
        ));
        // 12 users: over the export's page of 10, short of the piece's 20: the piece is done.
        let page: Vec<PageUser> = (0..12).map(|i| u(&format!("user_{i}"), i)).collect();
        piece.accept(&page, piece.page(10), Paging::Cursor);
        assert!(piece.done);
        assert_eq!(PartState::bounded(None, None).page(10), 10);
    }

    fn has(q: &[(String, String)], k: &str, v: &str) -> bool {
        q.iter().any(|(a, b)| a == k && b == v)
    }

    fn u(id: &str, t: i64) -> PageUser {
        PageUser {
            id: id.into(),
            created_at: t,
            span: 0..0,
        }
    }

    #[test]
    fn cursor_paging_advances_and_stops_on_a_short_page() {
        let mut p = PartState::default();
        let q = p.query(&[], None, None, 2, Paging::Cursor);
        assert!(!q.iter().any(|(k, _)| k == "starting_after"));
        let a = p.accept(&[u("a", 1), u("b", 1)], 2, Paging::Cursor);
        assert_eq!(a.kept, vec![0, 1]);
        assert!(!p.done);
        let q = p.query(&[], None, None, 2, Paging::Cursor);
        assert!(has(&q, "starting_after", "b"));
        assert!(has(&q, "order_by", "+created_at"));
        p.accept(&[u("c", 2)], 2, Paging::Cursor);
        assert!(p.done);
        assert_eq!(p.users, 3);
    }

    #[test]
    fn a_server_that_ignores_the_cursor_yields_only_duplicates() {
        let mut p = PartState::default();
        p.accept(&[u("a", 1), u("b", 1)], 2, Paging::Cursor);
        let a = p.accept(&[u("a", 1), u("b", 1)], 2, Paging::Cursor);
        assert_eq!((a.kept.len(), a.duplicates), (0, 2));
    }

    #[test]
    fn offset_pages_overlap_and_duplicates_are_dropped() {
        let mut p = PartState::default();
        let ps = 10;
        let page1: Vec<PageUser> = (0..10).map(|i| u(&format!("u{i}"), i)).collect();
        p.accept(&page1, ps, Paging::Offset);
        assert_eq!(p.rows, 10);
        let q = p.query(&[], None, None, ps, Paging::Offset);
        assert!(has(&q, "offset", "9"), "{q:?}");
        // u3 was deleted meanwhile: the server's rows shift left by one.
        let page2: Vec<PageUser> = (9..19)
            .filter(|i| *i != 3)
            .map(|i| u(&format!("u{}", i + 1), i + 1))
            .collect();
        let page2: Vec<PageUser> = std::iter::once(u("u9", 9)).chain(page2).take(10).collect();
        let a = p.accept(&page2, ps, Paging::Offset);
        assert_eq!(a.duplicates, 1);
        assert_eq!(p.users, 19);
    }

    #[test]
    fn a_page_past_more_deletions_than_the_overlap_is_asked_again_from_further_back() {
        // 30 users u0..u29, pages of 10 (overlap 1); 4 of the first page deleted after it.
        let mut p = PartState::default();
        let ps = 10;
        let all: Vec<PageUser> = (0..30).map(|i| u(&format!("u{i}"), i)).collect();
        p.accept(&all[..10], ps, Paging::Offset);
        let live: Vec<PageUser> = all[4..].to_vec();
        // Offset 9 of the live list starts at u13: u10..u12 would be skipped.
        assert_eq!(p.offset(ps), 9);
        assert!(p.gap(&live[9..19], ps, Paging::Offset));
        p.widen(ps);
        // 2 back besides the overlap: offset 7, u11 first, still a gap; then 4 back: offset 5.
        assert_eq!(p.offset(ps), 7);
        assert!(p.gap(&live[7..17], ps, Paging::Offset));
        p.widen(ps);
        assert_eq!(p.offset(ps), 5);
        let page = &live[5..15];
        assert!(!p.gap(page, ps, Paging::Offset));
        let a = p.accept(page, ps, Paging::Offset);
        assert_eq!(a.kept.len(), 9, "u10..u18, none skipped");
        assert_eq!((p.rows, p.back), (15, 0));
        // Cursor paging and offset 0 never look for a gap.
        assert!(!PartState::default().gap(&live[9..19], ps, Paging::Offset));
        assert!(!p.gap(&live[14..], ps, Paging::Cursor));
    }

    #[test]
    fn bounds_are_enforced_client_side_and_merged_with_user_filters() {
        let mut p = PartState::bounded(Some(100), Some(200));
        let q = p.query(&[], Some(150), Some(500), 5, Paging::Cursor);
        assert!(has(&q, "created_at_after", "150"));
        assert!(has(&q, "created_at_before", "200"));
        let q = p.query(&[], None, None, 5, Paging::Cursor);
        assert!(has(&q, "created_at_after", "99"));
        // An inclusive server sends 99 and 200 too: both are trimmed.
        let a = p.accept(
            &[u("x", 99), u("y", 100), u("z", 199), u("w", 200)],
            5,
            Paging::Cursor,
        );
        assert_eq!(a.kept, vec![1, 2]);
        assert_eq!(a.outside, 2);
        assert!(p.done);
    }

    #[test]
    fn ties_across_a_boundary_are_written_once() {
        let mut first = PartState::default();
        first.accept(&[u("a", 5), u("b", 7), u("c", 7)], 3, Paging::Cursor);
        let parts = split(&first, 7, 20, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].lo, Some(7));
        assert_eq!(parts[2].hi, None);
        assert_eq!(parts[0].hi, parts[1].lo);
        let mut p0 = parts[0].clone();
        // The server sends b and c again (same millisecond), then d, a new user at 7.
        let a = p0.accept(&[u("b", 7), u("c", 7), u("d", 7)], 3, Paging::Cursor);
        assert_eq!(a.kept, vec![2]);
        assert_eq!(a.duplicates, 2);
    }

    #[test]
    fn a_descending_walk_keeps_older_users_and_drops_newer_ones() {
        let mut p = PartState::default();
        let q = p.query(&[], None, None, 3, Paging::Descending);
        assert!(has(&q, "order_by", "-created_at"));
        let a = p.accept(&[u("c", 9), u("b", 7), u("a", 7)], 3, Paging::Descending);
        assert_eq!(a.kept, vec![0, 1, 2]);
        assert!(has(
            &p.query(&[], None, None, 3, Paging::Descending),
            "starting_after",
            "a"
        ));
        // A newer user again is behind a newest-first walk.
        let a = p.accept(&[u("c", 9), u("z", 5)], 3, Paging::Descending);
        assert_eq!((a.kept.clone(), a.duplicates), (vec![1], 1));
        assert!(p.done);
    }

    #[test]
    fn a_part_that_would_finish_last_splits_its_rest_in_two() {
        // 100 users over its first 1,000 ms: 0.1 a ms, 900 ms left, so 90 users, 1.8 pages of 50.
        let mut p = PartState::bounded(Some(0), Some(2_000));
        p.last_created_at = Some(1_000);
        p.users = 100;
        p.hi = Some(1_900);
        let left = p.pages_left(50, None).unwrap();
        assert!((left - 1.8).abs() < 1e-9, "{left}");
        let new = p.split_rest(None, 1, 2).unwrap();
        assert_eq!(
            (p.hi, new.lo, new.hi),
            (Some(1_450), Some(1_450), Some(1_900))
        );
        assert!(new.cursor.is_none() && new.users == 0 && !new.done);
        // The open-ended last part splits up to the newest user, and the new part stays open.
        let mut last = PartState::bounded(Some(0), None);
        last.last_created_at = Some(10);
        last.users = 5;
        assert_eq!(last.pages_left(5, None), None, "no end to measure against");
        assert_eq!(last.pages_left(5, Some(21)), Some(1.1));
        let new = last.split_rest(Some(21), 1, 2).unwrap();
        assert_eq!((last.hi, new.lo, new.hi), (Some(16), Some(16), None));
        // A burst ahead: the last page's 9 users in 9 ms say more than the sparse average.
        let mut burst = PartState::bounded(Some(0), Some(1_100));
        burst.last_created_at = Some(1_000);
        burst.users = 10;
        assert_eq!(burst.pages_left(10, None), Some(0.1));
        burst.recent = Some((9, 9));
        assert_eq!(burst.pages_left(10, None), Some(10.0));
        // A page only somewhat denser than the average is chance: the average stands.
        burst.recent = Some((900, 15));
        assert_eq!(burst.pages_left(10, None), Some(0.1));
        // Nothing to split: the millisecond written last is the only one left.
        let mut tight = PartState::bounded(Some(0), Some(11));
        tight.last_created_at = Some(10);
        assert_eq!(tight.split_rest(None, 1, 2), None);
        assert_eq!(tight.hi, Some(11));
    }

    #[test]
    fn split_never_makes_empty_spans() {
        let parts = split(&PartState::default(), 10, 12, 8);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].lo, parts[0].hi, parts[1].lo, parts[1].hi),
            (Some(10), Some(11), Some(11), None)
        );
    }
}
