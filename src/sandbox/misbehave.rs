//! Misbehaviours a proxy, a cache or an older API version can show on `GET /v1/users`, so users
//! can rehearse them (`clerk-rl sandbox --misbehave …`) and tests meet them over real HTTP.
//!
//! Each one rewrites the validated list query before the store answers, or the page after.

use clap::ValueEnum;

use super::query::{ListQuery, Order, SortField};
use super::users::User;

/// The cursor position after which `jump-back` goes back, and by how many users.
pub const JUMP_AFTER: u64 = 600;
pub const JUMP_BY: u64 = 500;
/// The most users `cap-results` returns for a `user_id=` list.
pub const CAP: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Misbehave {
    /// Lists newest first whatever order_by says (Clerk's default order), but honours
    /// starting_after and offset
    IgnoreOrder,
    /// Every page is the first page: starting_after and offset are ignored (a cache keyed on
    /// the path)
    RepeatPage,
    /// Past user 600 the cursor (or offset) goes back 500 users: user 601 is followed by 101..
    JumpBack,
    /// Users inside a page come in a shuffled order
    ShufflePage,
    /// A user_id= list returns at most 10 of the ids asked, all of which exist
    CapResults,
}

impl Misbehave {
    pub fn name(self) -> &'static str {
        match self {
            Misbehave::IgnoreOrder => "ignore-order",
            Misbehave::RepeatPage => "repeat-page",
            Misbehave::JumpBack => "jump-back",
            Misbehave::ShufflePage => "shuffle-page",
            Misbehave::CapResults => "cap-results",
        }
    }
}

/// Rewrite what the list request asked for, before the store answers it.
pub fn rewrite_query(m: &[Misbehave], q: &mut ListQuery) {
    for m in m {
        match m {
            Misbehave::IgnoreOrder => {
                q.order = Order {
                    field: SortField::CreatedAt,
                    desc: true,
                }
            }
            Misbehave::RepeatPage => {
                q.starting_after = None;
                q.offset = 0;
            }
            Misbehave::JumpBack => {
                if let Some(c) = q.starting_after
                    && c >= JUMP_AFTER
                {
                    q.starting_after = Some(c - JUMP_BY);
                }
                if q.offset >= JUMP_AFTER {
                    q.offset -= JUMP_BY;
                }
            }
            Misbehave::ShufflePage | Misbehave::CapResults => {}
        }
    }
}

/// Rewrite the page the store answered.
pub fn rewrite_page(m: &[Misbehave], q: &ListQuery, users: &mut Vec<User>) {
    for m in m {
        match m {
            Misbehave::ShufflePage => shuffle(users),
            Misbehave::CapResults if q.filter.user_ids_include_given => users.truncate(CAP),
            _ => {}
        }
    }
}

/// A fixed permutation that leaves no page of 3 or more users in its order or the reverse: the
/// same page always comes back the same, as a misbehaving server's would.
fn shuffle<T: Clone>(v: &mut [T]) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut perm: Vec<usize> = (0..n).collect();
    let mut state = n as u64 ^ 0x9E37_79B9_7F4A_7C15;
    for i in (1..n).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        perm.swap(i, j);
    }
    let monotone = perm.windows(2).all(|w| w[0] < w[1]) || perm.windows(2).all(|w| w[0] > w[1]);
    if monotone {
        // One swap at the front breaks either order (for two users it reverses them).
        perm.swap(0, 1);
    }
    let old = v.to_vec();
    for (slot, &from) in v.iter_mut().zip(&perm) {
        *slot = old[from].clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffled_pages_are_neither_ascending_nor_descending() {
        for n in 3..600usize {
            let mut v: Vec<usize> = (0..n).collect();
            shuffle(&mut v);
            let asc = v.windows(2).all(|w| w[0] <= w[1]);
            let desc = v.windows(2).all(|w| w[0] >= w[1]);
            assert!(!asc && !desc, "n={n}: {v:?}");
            let mut s = v.clone();
            s.sort();
            assert_eq!(s, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn jump_back_moves_cursor_and_offset_back_past_600() {
        let mut q = ListQuery {
            filter: Default::default(),
            order: Order::default(),
            limit: 10,
            offset: 0,
            starting_after: Some(650),
        };
        rewrite_query(&[Misbehave::JumpBack], &mut q);
        assert_eq!(q.starting_after, Some(150));
        q.starting_after = Some(599);
        q.offset = 700;
        rewrite_query(&[Misbehave::JumpBack], &mut q);
        assert_eq!((q.starting_after, q.offset), (Some(599), 200));
    }
}
