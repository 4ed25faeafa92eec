//! Verify, don't trust: every page is checked as it arrives (the order asked for, a cursor that
//! advances, something new on every full page), and the users written against the count at the
//! end. A server that breaks one of these ends the export with exit 6 and one line saying what it
//! did, instead of an export that silently lost users or a walk that never ends.

use crate::api::PageUser;

use super::part::{Accepted, Paging, PartState};

/// What this run has seen of one part's pages (memory only: a resumed run starts afresh).
#[derive(Debug, Default)]
pub struct Seen {
    /// Pages of this part taken so far in this run.
    pub pages: u64,
    /// The first and last id of the part's first page in this run, to recognise a repeat.
    first: Option<(String, String)>,
}

impl Seen {
    pub fn record(&mut self, users: &[PageUser]) {
        self.pages += 1;
        if self.first.is_none()
            && let (Some(a), Some(b)) = (users.first(), users.last())
        {
            self.first = Some((a.id.clone(), b.id.clone()));
        }
    }

    fn repeats_first(&self, users: &[PageUser]) -> bool {
        match (&self.first, users.first(), users.last()) {
            (Some((a, b)), Some(x), Some(y)) => *a == x.id && *b == y.id,
            _ => false,
        }
    }

    /// "page 3" (or "page 3 of part 2" once the range is split).
    pub fn name(&self, part: usize) -> String {
        if part == 0 {
            format!("page {}", self.pages + 1)
        } else {
            format!("page {} of part {}", self.pages + 1, part + 1)
        }
    }
}

/// The first user out of the order asked for, with the one before it. Ties (equal created_at)
/// are in whatever order the server breaks them.
pub fn out_of_order(users: &[PageUser], descending: bool) -> Option<(&PageUser, &PageUser)> {
    users
        .windows(2)
        .find(|w| {
            if descending {
                w[1].created_at > w[0].created_at
            } else {
                w[1].created_at < w[0].created_at
            }
        })
        .map(|w| (&w[0], &w[1]))
}

/// A page that is newest first throughout: what a server that ignores `order_by` sends.
pub fn newest_first(users: &[PageUser]) -> bool {
    let times: Vec<i64> = users.iter().map(|u| u.created_at).collect();
    crate::api::list::newest_first(&times)
}

/// Nothing of this part has been read yet (so a newest-first server can still be walked).
pub fn fresh(part: usize, state: &PartState, seen: &Seen) -> bool {
    part == 0
        && seen.pages == 0
        && state.cursor.is_none()
        && state.rows == 0
        && state.users == 0
        && state.lo.is_none()
}

/// The one line for a page out of order.
pub fn disorder(name: &str, prev: &PageUser, next: &PageUser, paging: Paging) -> String {
    let asked = if paging.descending() {
        "-created_at"
    } else {
        "+created_at"
    };
    format!(
        "{name} is not in created_at order: {} (created_at {}) follows {} (created_at {}); the server does not sort as asked (order_by={asked}), so no exact export is possible",
        next.id, next.created_at, prev.id, prev.created_at
    )
}

/// How a page moved the walk on.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    Fine,
    /// The part's first page again, under the cursor: the server ignores `starting_after`.
    RepeatsFirstPage,
    /// The server broke the walk: the one line saying how.
    Broken(String),
}

/// Check a page against what the part had before it (`had_cursor`, `prev_cursor`) and what
/// `accept` made of it.
pub fn progress(
    seen: &Seen,
    name: &str,
    users: &[PageUser],
    acc: &Accepted,
    paging: Paging,
    page_size: u32,
    prev_cursor: Option<&str>,
) -> Progress {
    let Some(last) = users.last() else {
        return Progress::Fine;
    };
    let repeats = seen.repeats_first(users);
    match (paging, prev_cursor) {
        (Paging::Cursor | Paging::Descending, Some(prev)) => {
            if acc.kept.is_empty() && repeats {
                return Progress::RepeatsFirstPage;
            }
            if acc.duplicates > 0 {
                return Progress::Broken(format!(
                    "{name} goes back: {} of its {} users were already written (the server's starting_after jumped back)",
                    acc.duplicates,
                    users.len()
                ));
            }
            if prev == last.id {
                return Progress::Broken(format!(
                    "{name} does not advance the cursor: it ends with {prev} again, the user the request started after"
                ));
            }
        }
        (Paging::Offset, _) if acc.kept.is_empty() && users.len() as u64 >= page_size as u64 => {
            return Progress::Broken(if repeats {
                format!(
                    "{name} repeats page 1: the server ignores both starting_after and offset (a cache keyed on the path?)"
                )
            } else {
                format!("{name} brings no user not yet written: the server's offset went back")
            });
        }
        _ => {}
    }
    Progress::Fine
}

/// `1200` as `1,200`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The end-of-run check: fewer users written than the smaller of the two counts means the
/// server's pages left some out. `None`: the export is proven complete.
pub fn lost(written: u64, start: u64, end: u64) -> Option<String> {
    let least = start.min(end);
    (written < least).then(|| {
        format!(
            "wrote {} of {} users: the server's pages left out {} (count {} at the start, {} at the end)",
            thousands(written),
            thousands(least),
            thousands(least - written),
            thousands(start),
            thousands(end)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: &str, t: i64) -> PageUser {
        PageUser {
            id: id.into(),
            created_at: t,
            span: 0..0,
        }
    }

    #[test]
    fn order_is_checked_ties_allowed() {
        assert!(out_of_order(&[u("a", 1), u("b", 1), u("c", 2)], false).is_none());
        let page = [u("a", 1), u("b", 3), u("c", 2)];
        let (p, n) = out_of_order(&page, false).unwrap();
        assert_eq!((p.id.as_str(), n.id.as_str()), ("b", "c"));
        assert!(out_of_order(&[u("c", 3), u("b", 3), u("a", 1)], true).is_none());
        assert!(newest_first(&[u("c", 3), u("b", 3), u("a", 1)]));
        assert!(!newest_first(&[u("a", 3), u("b", 3)]));
        assert!(!newest_first(&[u("a", 3), u("b", 1), u("c", 2)]));
    }

    #[test]
    fn repeated_and_backward_pages_are_named() {
        let page1 = [u("a", 1), u("b", 2)];
        let mut seen = Seen::default();
        seen.record(&page1);
        let dup = Accepted {
            kept: vec![],
            duplicates: 2,
            outside: 0,
        };
        let name = seen.name(0);
        assert_eq!(name, "page 2");
        assert_eq!(
            progress(&seen, &name, &page1, &dup, Paging::Cursor, 2, Some("b")),
            Progress::RepeatsFirstPage
        );
        let back = [u("b", 2), u("c", 3)];
        let one_dup = Accepted {
            kept: vec![1],
            duplicates: 1,
            outside: 0,
        };
        assert!(matches!(
            progress(&seen, &name, &back, &one_dup, Paging::Cursor, 2, Some("b")),
            Progress::Broken(m) if m.contains("goes back")
        ));
        assert!(matches!(
            progress(&seen, &name, &page1, &dup, Paging::Offset, 2, None),
            Progress::Broken(m) if m.contains("repeats page 1")
        ));
        // A short offset page of overlap only is the legitimate end.
        assert_eq!(
            progress(&seen, &name, &page1[..1], &dup, Paging::Offset, 2, None),
            Progress::Fine
        );
        let fine = Accepted {
            kept: vec![0, 1],
            duplicates: 0,
            outside: 0,
        };
        assert_eq!(
            progress(
                &seen,
                &name,
                &[u("c", 3), u("d", 4)],
                &fine,
                Paging::Cursor,
                2,
                Some("b")
            ),
            Progress::Fine
        );
    }

    #[test]
    fn losses_are_measured_against_the_smaller_count() {
        assert_eq!(lost(1200, 1200, 1201), None);
        assert_eq!(lost(1199, 1200, 1199), None);
        let m = lost(1000, 1200, 1200).unwrap();
        assert!(m.starts_with("wrote 1,000 of 1,200 users"), "{m}");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
