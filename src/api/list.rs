//! Any list endpoint, walked page by page and verified: whichever shape it answers (a plain array
//! as `/v1/users`, or `{data, total_count}` as `/v1/organizations`), by cursor where the endpoint
//! has one and by offset otherwise.
//!
//! Nothing a server sends is trusted: items must come in the order asked for (when the order is
//! known to be by created_at), every full page must bring something not yet written, and at the
//! end the items written are compared with the count (the smaller of the first and the last one
//! seen, so deletions during the walk are no false alarm). A defect is a [`Defect`]: the caller
//! stops and says what the server did, never a plausible short output.
//!
//! Offset pages overlap the previous one by a tenth of a page, and items are de-duplicated by id.
//! A page that does not start with an item already written (more items deleted between two pages
//! than the overlap re-reads) is not taken: it is asked again from further back, so no deletion
//! during the walk can shift an item past us.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::value::RawValue;

/// How a list endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A plain JSON array (`GET /v1/users`).
    Array,
    /// `{"data": [...], "total_count": N}` (`GET /v1/organizations` and most other lists).
    Envelope,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Array => "array",
            Shape::Envelope => "{data, total_count}",
        }
    }
}

/// One item of a page: what verification needs, and its JSON as sent, on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub created_at: Option<i64>,
    pub line: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub shape: Shape,
    pub items: Vec<Item>,
    pub total_count: Option<u64>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Vec<&'a RawValue>,
    total_count: Option<u64>,
}

#[derive(Deserialize)]
struct Keys {
    id: Option<serde_json::Value>,
    created_at: Option<serde_json::Value>,
}

/// Parse one page, either shape. Any defect fails the whole page (the core retries it as a
/// transient fault): not JSON, neither shape, an item that is not an object or has no string id.
pub fn parse_list_page(body: &[u8]) -> Result<ListPage, String> {
    let first = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied()
        .unwrap_or(b' ');
    let (shape, raws, total_count): (Shape, Vec<&RawValue>, Option<u64>) = match first {
        b'[' => {
            let raws = serde_json::from_slice(body)
                .map_err(|e| format!("the page is not a complete JSON array ({e})"))?;
            (Shape::Array, raws, None)
        }
        b'{' => {
            let env: Envelope = serde_json::from_slice(body).map_err(|e| {
                format!("the page is neither a JSON array nor {{\"data\": [...]}} ({e})")
            })?;
            (Shape::Envelope, env.data, env.total_count)
        }
        _ => return Err("the page is not JSON (neither an array nor an object)".into()),
    };
    let mut items = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let text = raw.get();
        let keys: Keys = serde_json::from_str(text)
            .map_err(|_| format!("item {i} of the page is not a JSON object"))?;
        let id = match keys.id {
            Some(serde_json::Value::String(s)) if !s.is_empty() => s,
            _ => return Err(format!("item {i} of the page has no string id")),
        };
        let created_at = keys.created_at.and_then(|v| v.as_i64());
        items.push(Item {
            id,
            created_at,
            line: super::page::one_line(text),
        });
    }
    Ok(ListPage {
        shape,
        items,
        total_count,
    })
}

/// A complete JSON answer that is neither list shape (an object without a `data` array, a
/// number, a string): the endpoint is not a list, and asking again cannot change that. `None`
/// for a body that is not complete JSON (cut off, a proxy's page), which is worth a retry.
pub fn not_a_list(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let what = match &v {
        serde_json::Value::Array(_) => return None,
        serde_json::Value::Object(m) => match m.get("data") {
            Some(serde_json::Value::Array(_)) => return None,
            _ => match m.get("object").and_then(|o| o.as_str()) {
                Some(o) => format!("one JSON object (\"object\": \"{}\")", crate::ui::clean(o)),
                None => "one JSON object without a data array".to_string(),
            },
        },
        _ => "a single JSON value".to_string(),
    };
    Some(format!(
        "the answer is {what}, not a list: this path is not a list endpoint; leave out --paginate to get the object as is"
    ))
}

/// How pages are addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `starting_after=<last id>`.
    Cursor,
    /// `offset=N`, overlapping the previous page.
    Offset,
}

/// The order items must come in, when it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    CreatedAsc,
    CreatedDesc,
}

/// What the server did wrong (the walk ends with exit 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// A full page brought nothing new: the server does not advance.
    NoProgress { page: u64 },
    /// An item out of the order asked for.
    OutOfOrder { page: u64, id: String },
    /// Fewer items than the count.
    Short { written: u64, count: u64 },
    /// The first page was shorter than the limit, yet items follow it: the server caps pages.
    Capped { got: u64, limit: u32 },
}

impl std::fmt::Display for Defect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Defect::NoProgress { page } => write!(
                f,
                "page {page} holds only items already written: the server does not advance (an ignored cursor or offset, or a cache keyed on the path)"
            ),
            Defect::OutOfOrder { page, id } => write!(
                f,
                "pages are not in created_at order: item {id} on page {page} comes after a later one"
            ),
            Defect::Short { written, count } => write!(
                f,
                "wrote {written} of {count} items: the server's pages left some out"
            ),
            Defect::Capped { got, limit } => write!(
                f,
                "page 1 held {got} items for limit={limit}, yet more follow it: the server caps its pages below the limit asked, so a short page does not mean the end; walk it with --page-size {got}"
            ),
        }
    }
}

/// A walk over one list, one page at a time.
#[derive(Debug, Clone)]
pub struct Walk {
    pub page_size: u32,
    pub paging: Paging,
    pub order: Option<Order>,
    cursor: Option<String>,
    /// Rows the server returned so far, in offset terms.
    rows: u64,
    seen: HashSet<String>,
    last_created: Option<i64>,
    pub pages: u64,
    pub written: u64,
    pub duplicates: u64,
    pub first_total: Option<u64>,
    pub last_total: Option<u64>,
    pub shape: Option<Shape>,
    pub done: bool,
    /// A count is taken outside the pages (e.g. `/v1/users/count`): it checks the end.
    pub has_count: bool,
    /// The offset of the one request that checks a short first page really was the end.
    probe: Option<u64>,
    /// Rows the next offset page steps back besides the overlap (grown after a gap).
    back: u64,
    /// Pages asked again from further back because items were deleted between two pages.
    pub gaps: u64,
    /// The server listed newest first although oldest first was asked, and the walk turned
    /// to newest first over the cursor (as export-users does).
    pub turned: bool,
}

/// Created_at times that run newest first throughout (ties allowed), at least two and not all
/// equal: what a server that ignores `order_by` sends. Shared by every walk over users.
pub fn newest_first(times: &[i64]) -> bool {
    times.len() >= 2 && times.windows(2).all(|w| w[1] <= w[0]) && times[0] > times[times.len() - 1]
}

/// Rows each offset page re-reads from the previous one: a tenth of a page, at least one (none
/// for pages of one item, which cannot overlap and advance).
pub fn overlap(page_size: u32) -> u64 {
    if page_size < 2 {
        0
    } else {
        (page_size as u64 / 10).max(1)
    }
}

impl Walk {
    pub fn new(page_size: u32, paging: Paging, order: Option<Order>) -> Self {
        Walk {
            page_size,
            paging,
            order,
            cursor: None,
            rows: 0,
            seen: HashSet::new(),
            last_created: None,
            pages: 0,
            written: 0,
            duplicates: 0,
            first_total: None,
            last_total: None,
            shape: None,
            done: false,
            has_count: false,
            probe: None,
            back: 0,
            gaps: 0,
            turned: false,
        }
    }

    /// The offset of the next page in offset paging.
    fn offset(&self) -> u64 {
        self.rows
            .saturating_sub(overlap(self.page_size).saturating_add(self.back))
    }

    /// The paging parameters of the next page (`limit`, and `starting_after` or `offset`).
    pub fn query(&self) -> Vec<(String, String)> {
        let mut q = vec![("limit".to_string(), self.page_size.to_string())];
        match self.paging {
            Paging::Cursor => {
                if let Some(c) = &self.cursor {
                    q.push(("starting_after".into(), c.clone()));
                }
            }
            Paging::Offset if self.probe.is_some() => {
                q.push(("offset".into(), self.probe.unwrap_or(0).to_string()));
            }
            Paging::Offset => {
                let offset = self.offset();
                if offset > 0 {
                    q.push(("offset".into(), offset.to_string()));
                }
            }
        }
        q
    }

    /// The offset the next page asks for, in offset paging (`None` by cursor).
    pub fn next_offset(&self) -> Option<u64> {
        match self.paging {
            Paging::Cursor => None,
            Paging::Offset => Some(self.probe.unwrap_or_else(|| self.offset())),
        }
    }

    /// The next page is the one check after a short first page with no count (see `accept`):
    /// one request, never read ahead of.
    pub fn probing(&self) -> bool {
        self.probe.is_some()
    }

    /// The most recent count the pages' own `total_count` gave.
    pub fn latest_total(&self) -> Option<u64> {
        self.last_total
    }

    /// Whether a cursor page was already taken (a cursor the server refuses is then a fallback).
    pub fn has_cursor(&self) -> bool {
        self.cursor.is_some()
    }

    /// Switch to offset paging: the rows seen so far become the offset.
    pub fn use_offset(&mut self) {
        self.paging = Paging::Offset;
        self.cursor = None;
    }

    /// Take a page: the indexes of the items to write (new ones, in order), or what is wrong.
    /// On a defect the walk is unchanged.
    pub fn accept(&mut self, page: &ListPage) -> Result<Vec<usize>, Defect> {
        if let Some(got) = self.probe {
            return self.accept_probe(page, got);
        }
        if self.leaves_a_gap(page) {
            // The page does not join what was written: more items were deleted since the
            // last page than the overlap re-reads, and the ones between would be skipped.
            // Not taken; asked again from twice as far back (down to offset 0).
            self.back = self
                .back
                .max(overlap(self.page_size))
                .max(1)
                .saturating_mul(2);
            self.gaps += 1;
            return Ok(Vec::new());
        }
        self.notice_ignored_order(page);
        let rereading = self.back > 0;
        let number = self.pages + 1;
        let (kept, last) = self.new_items(page, number)?;
        let full = page.items.len() as u64 >= self.page_size as u64;
        if full && kept.is_empty() && !rereading {
            return Err(Defect::NoProgress { page: number });
        }
        for &i in &kept {
            self.seen.insert(page.items[i].id.clone());
        }
        self.last_created = last;
        self.duplicates += (page.items.len() - kept.len()) as u64;
        self.written += kept.len() as u64;
        self.pages = number;
        self.shape.get_or_insert(page.shape);
        if let Some(t) = page.total_count {
            self.first_total.get_or_insert(t);
            self.last_total = Some(t);
        }
        self.advance(page);
        // The first page shorter than the limit is the last (Clerk's documented rule). With no
        // count to check the end against, a short first page is also what a server capping
        // pages below the limit sends (100 of 1,000, exit 0): one request after it tells them
        // apart. Later short pages end the walk: a cap would have shown on the first.
        self.done = !full;
        if !full
            && number == 1
            && !page.items.is_empty()
            && page.total_count.is_none()
            && !self.has_count
        {
            self.probe = Some(page.items.len() as u64);
            self.done = false;
        }
        Ok(kept)
    }

    /// The page after a short first page with no count: anything new means the first page was
    /// capped by the server, not the end.
    fn accept_probe(&mut self, page: &ListPage, got: u64) -> Result<Vec<usize>, Defect> {
        if page.items.iter().any(|i| !self.seen.contains(&i.id)) {
            return Err(Defect::Capped {
                got,
                limit: self.page_size,
            });
        }
        self.probe = None;
        self.pages += 1;
        self.done = true;
        Ok(Vec::new())
    }

    /// An offset page that does not start among the items already written.
    fn leaves_a_gap(&self, page: &ListPage) -> bool {
        self.paging == Paging::Offset
            && overlap(self.page_size) > 0
            && self.offset() > 0
            && page
                .items
                .first()
                .is_none_or(|i| !self.seen.contains(&i.id))
    }

    /// Oldest first was asked and the first page is newest first throughout: the server ignores
    /// order_by. Walk it newest first over the cursor instead; the count check at the end proves
    /// it complete.
    fn notice_ignored_order(&mut self, page: &ListPage) {
        if self.order == Some(Order::CreatedAsc)
            && self.paging == Paging::Cursor
            && self.pages == 0
            && self.cursor.is_none()
        {
            let times: Option<Vec<i64>> = page.items.iter().map(|i| i.created_at).collect();
            if times.is_some_and(|t| newest_first(&t)) {
                self.order = Some(Order::CreatedDesc);
                self.turned = true;
            }
        }
    }

    /// The indexes of the page's items not seen before (a repeat within the page counts once),
    /// checked against the walk's order, and the newest creation time among them.
    fn new_items(&self, page: &ListPage, number: u64) -> Result<(Vec<usize>, Option<i64>), Defect> {
        let mut kept = Vec::new();
        let mut fresh: HashSet<&str> = HashSet::new();
        let mut last = self.last_created;
        for (i, item) in page.items.iter().enumerate() {
            if self.seen.contains(&item.id) || !fresh.insert(item.id.as_str()) {
                continue;
            }
            if let (Some(order), Some(t)) = (self.order, item.created_at) {
                let wrong = match (order, last) {
                    (Order::CreatedAsc, Some(l)) => t < l,
                    (Order::CreatedDesc, Some(l)) => t > l,
                    (_, None) => false,
                };
                if wrong {
                    return Err(Defect::OutOfOrder {
                        page: number,
                        id: item.id.clone(),
                    });
                }
                last = Some(t);
            }
            kept.push(i);
        }
        Ok((kept, last))
    }

    /// Move the cursor or the offset past this page.
    fn advance(&mut self, page: &ListPage) {
        match self.paging {
            Paging::Cursor => {
                if let Some(l) = page.items.last() {
                    self.cursor = Some(l.id.clone());
                }
                self.rows += page.items.len() as u64;
            }
            Paging::Offset => {
                self.rows = self.offset() + page.items.len() as u64;
                self.back = 0;
            }
        }
    }

    /// The count check at the end: `counts` are the counts taken outside the pages (e.g.
    /// `/v1/users/count` at the start and the end); the pages' own totals are added. `None`
    /// when no count was available to check against.
    pub fn finish(&self, counts: &[u64]) -> Result<Option<u64>, Defect> {
        let count = counts
            .iter()
            .copied()
            .chain(self.first_total)
            .chain(self.last_total)
            .min();
        match count {
            Some(c) if self.written < c => Err(Defect::Short {
                written: self.written,
                count: c,
            }),
            other => Ok(other),
        }
    }
}

/// The pages an offset walk asks ahead of the one it takes next, so that several are in flight
/// while the walk still takes them one at a time, in order, with every check of [`Walk::accept`].
///
/// Pages are planned on the grid the walk itself would follow over full pages: from the offset it
/// asks next (`base`), one page every `page_size - overlap` rows. A page the walk asks elsewhere
/// (after a gap, or a page longer than the limit) is off the grid: the caller drops what was read
/// ahead and starts a new plan there ([`ReadAhead::fits`]). With a total known (`total_count`, a
/// `/count`), exactly the pages the walk needs are asked, the last being the short page that ends
/// it; without one the plan is open-ended and the caller stops at the first short page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadAhead {
    base: u64,
    stride: u64,
    page_size: u64,
    /// Pages asked from `base`.
    asked: u64,
    /// Pages taken (answered and handed to the walk, in order).
    taken: u64,
    /// The pages from `base` the total says the walk needs; `None`: unknown, or the list grew
    /// past it.
    end: Option<u64>,
}

impl ReadAhead {
    /// A plan from the walk's next page; `None` for a cursor walk (each page needs the last).
    pub fn new(walk: &Walk, total: Option<u64>) -> Option<Self> {
        let base = walk.next_offset()?;
        let page_size = walk.page_size.max(1) as u64;
        let mut plan = ReadAhead {
            base,
            stride: page_size - overlap(walk.page_size),
            page_size,
            asked: 0,
            taken: 0,
            end: None,
        };
        if let Some(t) = total {
            plan.set_total(t);
        }
        Some(plan)
    }

    /// The pages needed from `base` when the list holds `total` items: up to and including the
    /// first that comes back short (Clerk's rule for the end, which the walk follows).
    fn pages_for(&self, total: u64) -> u64 {
        if total < self.base + self.page_size {
            1
        } else {
            (total - self.page_size - self.base) / self.stride + 2
        }
    }

    /// A (newer) total: the plan asks for the pages it needs, never fewer than asked already.
    pub fn set_total(&mut self, total: u64) {
        self.end = Some(self.pages_for(total).max(self.asked));
    }

    /// The walk needs a page past the planned end (items were added meanwhile): read ahead
    /// open-ended from now on.
    pub fn past_the_plan(&mut self) {
        self.end = None;
    }

    /// The offset of the next page to ask, if the plan has one more.
    pub fn ask(&mut self) -> Option<u64> {
        if self.end.is_some_and(|e| self.asked >= e) {
            return None;
        }
        let offset = self.base + self.asked * self.stride;
        self.asked += 1;
        Some(offset)
    }

    /// Whether the page the walk asks next is the next one planned (asked or not).
    pub fn fits(&self, walk: &Walk) -> bool {
        walk.next_offset() == Some(self.base + self.taken * self.stride)
    }

    /// The next planned page was taken.
    pub fn took(&mut self) {
        self.taken += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(shape: Shape, items: &[(&str, i64)], total: Option<u64>) -> ListPage {
        ListPage {
            shape,
            items: items
                .iter()
                .map(|(id, t)| Item {
                    id: id.to_string(),
                    created_at: Some(*t),
                    line: vec![],
                })
                .collect(),
            total_count: total,
        }
    }

    #[test]
    fn parses_both_shapes_and_keeps_items_as_sent() {
        let a = parse_list_page(br#"[{"id":"u1","created_at":5,"x":{"id":"no"}}]"#).unwrap();
        assert_eq!(a.shape, Shape::Array);
        assert_eq!(a.items[0].id, "u1");
        assert_eq!(a.items[0].created_at, Some(5));
        assert_eq!(
            a.items[0].line,
            b"{\"id\":\"u1\",\"created_at\":5,\"x\":{\"id\":\"no\"}}\n"
        );
        let e =
            parse_list_page(b"{\n \"data\": [{\"id\": \"org_1\"}],\n \"total_count\": 7}").unwrap();
        assert_eq!(e.shape, Shape::Envelope);
        assert_eq!(e.total_count, Some(7));
        assert_eq!(e.items[0].created_at, None);
        for bad in [
            &b"{\"errors\":[]}"[..],
            b"[1]",
            b"[{\"name\":\"x\"}]",
            b"[{\"id\":1}]",
            b"\"x\"",
            b"[{\"id\":\"a\"}",
            b"",
        ] {
            assert!(
                parse_list_page(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn cursor_walk_advances_and_ends_on_a_short_page() {
        let mut w = Walk::new(2, Paging::Cursor, Some(Order::CreatedAsc));
        assert_eq!(w.query(), vec![("limit".to_string(), "2".to_string())]);
        assert_eq!(
            w.accept(&page(Shape::Array, &[("a", 1), ("b", 2)], None)),
            Ok(vec![0, 1])
        );
        assert!(w.query().contains(&("starting_after".into(), "b".into())));
        assert!(!w.done);
        assert_eq!(
            w.accept(&page(Shape::Array, &[("c", 2)], None)),
            Ok(vec![0])
        );
        assert!(w.done);
        assert_eq!(w.written, 3);
        assert_eq!(w.finish(&[3]), Ok(Some(3)));
        assert_eq!(w.finish(&[]), Ok(None));
        assert_eq!(
            w.finish(&[4, 5]),
            Err(Defect::Short {
                written: 3,
                count: 4
            })
        );
    }

    #[test]
    fn offset_pages_overlap_and_envelope_totals_are_checked() {
        let mut w = Walk::new(10, Paging::Offset, Some(Order::CreatedDesc));
        let p1: Vec<(String, i64)> = (0..10).map(|i| (format!("o{i}"), 100 - i)).collect();
        let p1: Vec<(&str, i64)> = p1.iter().map(|(a, b)| (a.as_str(), *b)).collect();
        assert_eq!(
            w.accept(&page(Shape::Envelope, &p1, Some(15)))
                .unwrap()
                .len(),
            10
        );
        assert!(w.query().contains(&("offset".into(), "9".into())));
        let p2: Vec<(String, i64)> = (9..15).map(|i| (format!("o{i}"), 100 - i)).collect();
        let p2: Vec<(&str, i64)> = p2.iter().map(|(a, b)| (a.as_str(), *b)).collect();
        assert_eq!(
            w.accept(&page(Shape::Envelope, &p2, Some(15)))
                .unwrap()
                .len(),
            5
        );
        assert_eq!(w.duplicates, 1);
        assert!(w.done);
        assert_eq!(w.finish(&[]), Ok(Some(15)));
        // The totals alone catch a short walk.
        let mut short = Walk::new(10, Paging::Offset, None);
        short
            .accept(&page(Shape::Envelope, &[("x", 1)], Some(2)))
            .unwrap();
        assert!(matches!(short.finish(&[]), Err(Defect::Short { .. })));
    }

    /// Items `r` of the list `live`, as an envelope page without a total.
    fn items(r: std::ops::Range<usize>, live: &[(String, i64)]) -> ListPage {
        let v: Vec<(&str, i64)> = live[r].iter().map(|(a, b)| (a.as_str(), *b)).collect();
        page(Shape::Envelope, &v, None)
    }

    #[test]
    fn a_page_past_more_deletions_than_the_overlap_is_not_taken_and_asked_from_further_back() {
        let ids: Vec<(String, i64)> = (0..30).map(|i| (format!("o{i:02}"), i)).collect();
        let mut w = Walk::new(10, Paging::Offset, Some(Order::CreatedAsc));
        w.has_count = true;
        assert_eq!(w.accept(&items(0..10, &ids)).unwrap().len(), 10);
        // 4 of the first page deleted: offset 9 now starts at o13.
        let live = ids[4..].to_vec();
        assert_eq!(w.accept(&items(9..19, &live)), Ok(vec![]));
        assert_eq!((w.written, w.gaps, w.done), (10, 1, false));
        assert!(w.query().contains(&("offset".into(), "7".into())));
        assert_eq!(w.accept(&items(7..17, &live)), Ok(vec![]));
        assert!(w.query().contains(&("offset".into(), "5".into())));
        // o09 first: it joins; o10..o18 new, none skipped.
        assert_eq!(w.accept(&items(5..15, &live)).unwrap().len(), 9);
        assert_eq!((w.written, w.gaps), (19, 2));
        // Back to the plain overlap: offset 14 of the live list.
        assert!(w.query().contains(&("offset".into(), "14".into())));
        assert_eq!(w.accept(&items(14..24, &live)).unwrap().len(), 9);
        assert_eq!(w.accept(&items(23..26, &live)).unwrap().len(), 2);
        assert!(w.done);
        assert_eq!(w.written, 30);
        assert_eq!(w.finish(&[30, 26]), Ok(Some(26)));
    }

    #[test]
    fn read_ahead_asks_exactly_the_pages_the_sequential_walk_takes() {
        // 57 items in pages of 10 (overlap 1, stride 9) from a total: offsets 9, 18, .., 54, the
        // page at 54 being the short one; the same offsets the walk asks one after another.
        let items: Vec<(String, i64)> = (0..57).map(|i| (format!("o{i:02}"), 100 - i)).collect();
        let at = |o: usize| {
            let v: Vec<(&str, i64)> = items[o.min(57)..(o + 10).min(57)]
                .iter()
                .map(|(a, b)| (a.as_str(), *b))
                .collect();
            page(Shape::Envelope, &v, Some(57))
        };
        let mut w = Walk::new(10, Paging::Offset, Some(Order::CreatedDesc));
        w.accept(&at(0)).unwrap();
        let mut plan = ReadAhead::new(&w, w.latest_total()).unwrap();
        let mut asked = Vec::new();
        while let Some(o) = plan.ask() {
            asked.push(o);
        }
        assert_eq!(asked, vec![9, 18, 27, 36, 45, 54]);
        let mut walked = Vec::new();
        while !w.done {
            assert!(plan.fits(&w));
            let o = w.next_offset().unwrap();
            walked.push(o);
            w.accept(&at(o as usize)).unwrap();
            plan.took();
        }
        assert_eq!(walked, asked);
        assert_eq!(w.written, 57);
        // A total that ends on a full page still needs the short (here empty) page after it.
        let mut w = Walk::new(10, Paging::Offset, None);
        w.accept(&page(Shape::Envelope, &[("a", 1); 10], Some(19)))
            .unwrap();
        let mut plan = ReadAhead::new(&w, Some(19)).unwrap();
        assert_eq!(
            (plan.ask(), plan.ask(), plan.ask()),
            (Some(9), Some(18), None)
        );
        // No total: open-ended; a cursor walk has no plan.
        let mut open = ReadAhead::new(&w, None).unwrap();
        assert_eq!(open.ask(), Some(9));
        assert_eq!(open.ask(), Some(18));
        assert!(ReadAhead::new(&Walk::new(10, Paging::Cursor, None), None).is_none());
        // A total that grows past the plan, and pages of one (no overlap).
        plan.past_the_plan();
        assert_eq!(plan.ask(), Some(27));
        let one = Walk::new(1, Paging::Offset, None);
        let mut plan = ReadAhead::new(&one, Some(3)).unwrap();
        let all: Vec<u64> = std::iter::from_fn(|| plan.ask()).collect();
        assert_eq!(all, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_gap_takes_the_walk_off_the_plan() {
        let ids: Vec<(String, i64)> = (0..30).map(|i| (format!("o{i:02}"), i)).collect();
        let mut w = Walk::new(10, Paging::Offset, Some(Order::CreatedAsc));
        w.has_count = true;
        w.accept(&items(0..10, &ids)).unwrap();
        let mut plan = ReadAhead::new(&w, Some(30)).unwrap();
        assert!(plan.fits(&w));
        let live = ids[4..].to_vec();
        assert_eq!(w.accept(&items(9..19, &live)), Ok(vec![]));
        plan.took();
        assert!(
            !plan.fits(&w),
            "asked again from further back: off the grid"
        );
        let plan = ReadAhead::new(&w, Some(26)).unwrap();
        assert!(plan.fits(&w));
    }

    #[test]
    fn a_newest_first_first_page_turns_an_oldest_first_walk() {
        let mut w = Walk::new(2, Paging::Cursor, Some(Order::CreatedAsc));
        assert!(
            w.accept(&page(Shape::Array, &[("c", 3), ("b", 2)], None))
                .is_ok()
        );
        assert!(w.turned);
        assert_eq!(w.order, Some(Order::CreatedDesc));
        assert!(w.accept(&page(Shape::Array, &[("a", 1)], None)).is_ok());
        assert_eq!(w.written, 3);
        // Later pages never turn it: out of order stays a defect.
        let mut w = Walk::new(2, Paging::Cursor, Some(Order::CreatedAsc));
        w.accept(&page(Shape::Array, &[("a", 1), ("b", 2)], None))
            .unwrap();
        assert!(
            w.accept(&page(Shape::Array, &[("d", 4), ("c", 3)], None))
                .is_err()
        );
        assert!(newest_first(&[3, 3, 1]) && !newest_first(&[3, 3]) && !newest_first(&[1]));
    }

    #[test]
    fn a_repeated_page_and_an_order_violation_are_defects() {
        let mut w = Walk::new(2, Paging::Cursor, Some(Order::CreatedAsc));
        let p = page(Shape::Array, &[("a", 1), ("b", 2)], None);
        w.accept(&p).unwrap();
        assert_eq!(w.accept(&p), Err(Defect::NoProgress { page: 2 }));
        assert_eq!(w.pages, 1, "a defect leaves the walk unchanged");
        assert_eq!(
            w.accept(&page(Shape::Array, &[("c", 3), ("d", 0)], None)),
            Err(Defect::OutOfOrder {
                page: 2,
                id: "d".into()
            })
        );
        // Without a known order, the same page is fine.
        let mut any = Walk::new(2, Paging::Cursor, None);
        any.accept(&p).unwrap();
        assert!(
            any.accept(&page(Shape::Array, &[("c", 3), ("d", 0)], None))
                .is_ok()
        );
    }
}

#[cfg(test)]
mod not_a_list_tests {
    use super::not_a_list;

    #[test]
    fn a_complete_non_list_answer_is_named_a_cut_off_one_is_not() {
        let m = not_a_list(br#"{"object":"total_count","total_count":3}"#).unwrap();
        assert!(m.contains("\"object\": \"total_count\""), "{m}");
        assert!(not_a_list(b"7").is_some());
        assert_eq!(not_a_list(br#"{"data":[]}"#), None);
        assert_eq!(not_a_list(b"[]"), None);
        assert_eq!(not_a_list(br#"{"object":"total_co"#), None);
    }
}
