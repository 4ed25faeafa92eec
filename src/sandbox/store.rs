//! The sandbox's users: the generated ones plus what the API changed (created, patched, deleted),
//! and the listing logic of `GET /v1/users` and `/v1/users/count`.
//!
//! Index order is created_at order: generated users are created in index order, and users created
//! through the API get `created_at = max(now, newest)` and the next index. So the created_at
//! orderings, cursors and created_at bounds are all index ranges, and `(created_at, index)` is the
//! total order that keeps cursor paging exact over users sharing a millisecond.

use std::collections::{BTreeSet, BinaryHeap, HashMap};

use super::query::{Filter, Keyed, ListQuery, SortField, UserIds, sort_key};
use super::users::{
    Contact, Generator, User, Verification, decode_user_id, new_contact_id, user_id,
};

/// The fields `POST /v1/users` and `PATCH /v1/users/{id}` take.
#[derive(Debug, Clone, Default)]
pub struct UserFields {
    pub external_id: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub username: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub email_addresses: Vec<String>,
    pub phone_numbers: Vec<String>,
    pub password: bool,
    pub public_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub private_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub unsafe_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub banned: Option<bool>,
    pub delete_self_enabled: Option<bool>,
    pub create_organization_enabled: Option<bool>,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    NotFound,
    /// An identifier (email, phone, username, external id) another user holds: param name.
    Taken(&'static str),
}

#[derive(Debug)]
pub struct Store {
    generator: Generator,
    /// Users created through the API; `created[k]` has index `n + k`. Deleted ones stay here
    /// (marked in `deleted`) so their ids still decode as cursors.
    created: Vec<User>,
    patched: HashMap<u64, User>,
    deleted: BTreeSet<u64>,
}

impl Store {
    pub fn new(seed: u64, users: u64) -> Self {
        Store {
            generator: Generator::new(seed, users),
            created: Vec::new(),
            patched: HashMap::new(),
            deleted: BTreeSet::new(),
        }
    }

    pub fn seed(&self) -> u64 {
        self.generator.seed
    }

    /// One past the highest index ever issued.
    fn end(&self) -> u64 {
        self.generator.n + self.created.len() as u64
    }

    fn created_at_of(&self, i: u64) -> i64 {
        if i < self.generator.n {
            self.generator.created_at(i)
        } else {
            self.created[(i - self.generator.n) as usize].created_at
        }
    }

    /// The user at index `i` as it is now, deleted or not (callers check `deleted`).
    fn user_at(&self, i: u64) -> User {
        if let Some(u) = self.patched.get(&i) {
            return u.clone();
        }
        if i < self.generator.n {
            self.generator.user(i)
        } else {
            self.created[(i - self.generator.n) as usize].clone()
        }
    }

    fn id_at(&self, i: u64) -> String {
        user_id(self.generator.seed, i, self.created_at_of(i))
    }

    /// The index an id names, deleted users included (a deleted user's id stays a valid cursor).
    pub fn index_of_id(&self, id: &str) -> Option<u64> {
        let i = decode_user_id(self.generator.seed, id)?;
        (i < self.end() && self.id_at(i) == id).then_some(i)
    }

    pub fn get(&self, id: &str) -> Option<User> {
        let i = self.index_of_id(id)?;
        (!self.deleted.contains(&i)).then(|| self.user_at(i))
    }

    /// How many users exist now.
    pub fn len(&self) -> u64 {
        self.end() - self.deleted.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first index in `[0, end)` whose created_at satisfies `pred` (which must be monotonic:
    /// false then true).
    fn partition(&self, pred: impl Fn(i64) -> bool) -> u64 {
        let (mut lo, mut hi) = (0u64, self.end());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.created_at_of(mid)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The index range the created_at bounds (strict on both sides) leave.
    fn created_range(&self, f: &Filter) -> (u64, u64) {
        let lo = f.created_at_after.map_or(0, |a| self.partition(|t| t > a));
        let hi = f
            .created_at_before
            .map_or(self.end(), |b| self.partition(|t| t >= b));
        (lo, hi.max(lo))
    }

    fn live_in(&self, lo: u64, hi: u64) -> u64 {
        (hi - lo) - self.deleted.range(lo..hi).count() as u64
    }

    /// Candidate indices within `[lo, hi)` in ascending order: the included ids when some were
    /// asked for, else the whole range.
    fn candidates(&self, f: &Filter, lo: u64, hi: u64) -> Option<Vec<u64>> {
        if !f.user_ids_include_given {
            return None;
        }
        let mut v: Vec<u64> = f
            .user_ids
            .include
            .iter()
            .copied()
            .filter(|i| (lo..hi).contains(i))
            .collect();
        v.sort_unstable();
        v.dedup();
        Some(v)
    }

    fn admits(&self, f: &Filter, i: u64) -> bool {
        if self.deleted.contains(&i) || !f.admits_index(i) {
            return false;
        }
        !f.needs_user() || f.admits(&self.user_at(i))
    }

    pub fn count(&self, f: &Filter) -> u64 {
        if f.matches_nobody {
            return 0;
        }
        let (lo, hi) = self.created_range(f);
        match self.candidates(f, lo, hi) {
            Some(c) => c.into_iter().filter(|&i| self.admits(f, i)).count() as u64,
            None if !f.needs_user() => {
                let excluded = f
                    .user_ids
                    .exclude
                    .iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .filter(|&&i| (lo..hi).contains(&i) && !self.deleted.contains(&i))
                    .count() as u64;
                self.live_in(lo, hi) - excluded
            }
            None => (lo..hi).filter(|&i| self.admits(f, i)).count() as u64,
        }
    }

    pub fn list(&self, q: &ListQuery) -> Vec<User> {
        let f = &q.filter;
        if f.matches_nobody || q.limit == 0 {
            return Vec::new();
        }
        let (mut lo, mut hi) = self.created_range(f);
        if q.order.field == SortField::CreatedAt {
            if let Some(c) = q.starting_after {
                if q.order.desc {
                    hi = hi.min(c);
                } else {
                    lo = lo.max(c + 1);
                }
                hi = hi.max(lo);
            }
            return self.list_by_index(q, lo, hi);
        }
        // Any other ordering: keep the best offset+limit by (key, index) in a bounded heap.
        let keep = (q.offset as usize).saturating_add(q.limit);
        let mut heap: BinaryHeap<Keyed> = BinaryHeap::new();
        let mut consider = |i: u64| {
            if self.deleted.contains(&i) || !f.admits_index(i) {
                return;
            }
            let u = self.user_at(i);
            if f.needs_user() && !f.admits(&u) {
                return;
            }
            let k = Keyed {
                key: sort_key(&u, q.order.field),
                index: i,
                desc: q.order.desc,
            };
            if heap.len() < keep {
                heap.push(k);
            } else if heap.peek().is_some_and(|worst| k < *worst) {
                heap.pop();
                heap.push(k);
            }
        };
        match self.candidates(f, lo, hi) {
            Some(c) => c.into_iter().for_each(&mut consider),
            None => (lo..hi).for_each(&mut consider),
        }
        heap.into_sorted_vec()
            .into_iter()
            .skip(q.offset as usize)
            .map(|k| self.user_at(k.index))
            .collect()
    }

    /// created_at ordering: walk the index range in the asked direction, so a page costs its own
    /// length (plus the offset) when nothing else filters.
    fn list_by_index(&self, q: &ListQuery, lo: u64, hi: u64) -> Vec<User> {
        let f = &q.filter;
        let limit = q.limit;
        if let Some(c) = self.candidates(f, lo, hi) {
            let it: Box<dyn Iterator<Item = u64>> = if q.order.desc {
                Box::new(c.into_iter().rev())
            } else {
                Box::new(c.into_iter())
            };
            return it
                .filter(|&i| self.admits(f, i))
                .skip(q.offset as usize)
                .take(limit)
                .map(|i| self.user_at(i))
                .collect();
        }
        let plain = !f.needs_user() && f.user_ids.exclude.is_empty();
        if plain && self.deleted.range(lo..hi).next().is_none() {
            // Nothing to skip over: the page is pure arithmetic.
            let len = hi - lo;
            let from = q.offset.min(len);
            let to = (from + limit as u64).min(len);
            let idx: Box<dyn Iterator<Item = u64>> = if q.order.desc {
                Box::new((hi - to..hi - from).rev())
            } else {
                Box::new(lo + from..lo + to)
            };
            return idx.map(|i| self.user_at(i)).collect();
        }
        let it: Box<dyn Iterator<Item = u64>> = if q.order.desc {
            Box::new((lo..hi).rev())
        } else {
            Box::new(lo..hi)
        };
        it.filter(|&i| self.admits(f, i))
            .skip(q.offset as usize)
            .take(limit)
            .map(|i| self.user_at(i))
            .collect()
    }

    /// Whether a live user other than `except` holds this identifier. Generated users are checked
    /// through the index their email/username/external id encodes, API-made users by scanning the
    /// few of them.
    fn taken(&self, except: Option<u64>, pred: impl Fn(&User) -> bool, hint: Option<u64>) -> bool {
        let live = |i: u64| Some(i) != except && !self.deleted.contains(&i);
        if let Some(i) = hint
            && i < self.generator.n
            && live(i)
            && pred(&self.user_at(i))
        {
            return true;
        }
        let n = self.generator.n;
        self.created
            .iter()
            .enumerate()
            .map(|(k, _)| n + k as u64)
            .chain(self.patched.keys().copied().filter(|&i| i < n))
            .any(|i| live(i) && pred(&self.user_at(i)))
    }

    fn check_unique(&self, except: Option<u64>, f: &UserFields) -> Result<(), WriteError> {
        // Generated identifiers embed the index: `first.last+I@…`, `first_lastI`, `crm_I`.
        let trailing_index = |s: &str| -> Option<u64> {
            let digits: String = s
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            digits.parse().ok()
        };
        for e in &f.email_addresses {
            let hint = e
                .split_once('@')
                .and_then(|(local, _)| local.rsplit_once('+'))
                .and_then(|(_, i)| i.parse().ok());
            if self.taken(
                except,
                |u| u.emails.iter().any(|x| x.value.eq_ignore_ascii_case(e)),
                hint,
            ) {
                return Err(WriteError::Taken("email_address"));
            }
        }
        for p in &f.phone_numbers {
            let hint = p.strip_prefix("+1555").and_then(|d| d.parse().ok());
            if self.taken(except, |u| u.phones.iter().any(|x| &x.value == p), hint) {
                return Err(WriteError::Taken("phone_number"));
            }
        }
        if let Some(Some(name)) = &f.username
            && self.taken(
                except,
                |u| {
                    u.username
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(name))
                },
                trailing_index(name),
            )
        {
            return Err(WriteError::Taken("username"));
        }
        if let Some(Some(ext)) = &f.external_id
            && self.taken(
                except,
                |u| u.external_id.as_deref() == Some(ext.as_str()),
                trailing_index(ext),
            )
        {
            return Err(WriteError::Taken("external_id"));
        }
        Ok(())
    }

    /// Create a user; it sorts after every existing one (`created_at = max(now, newest)`).
    pub fn create(&mut self, f: UserFields, now_ms: i64) -> Result<User, WriteError> {
        self.check_unique(None, &f)?;
        let seed = self.generator.seed;
        let index = self.end();
        let newest = if index > 0 {
            self.created_at_of(index - 1)
        } else {
            i64::MIN
        };
        let created_at = now_ms.max(newest);
        let contact = |phone: bool, slot: usize, value: &String| Contact {
            id: new_contact_id(seed, phone, index, slot as u64, created_at),
            value: value.clone(),
            verification: Verification::Admin,
            created_at,
            updated_at: created_at,
        };
        let user = User {
            index,
            id: user_id(seed, index, created_at),
            external_id: f.external_id.flatten(),
            username: f.username.flatten(),
            first_name: f.first_name.flatten(),
            last_name: f.last_name.flatten(),
            locale: f.locale.flatten(),
            emails: f
                .email_addresses
                .iter()
                .enumerate()
                .map(|(k, e)| contact(false, k, e))
                .collect(),
            phones: f
                .phone_numbers
                .iter()
                .enumerate()
                .map(|(k, p)| contact(true, k, p))
                .collect(),
            password_enabled: f.password,
            two_factor_enabled: false,
            mfa_enabled_at: None,
            public_metadata: f.public_metadata.unwrap_or_default(),
            private_metadata: f.private_metadata.unwrap_or_default(),
            unsafe_metadata: f.unsafe_metadata.unwrap_or_default(),
            last_sign_in_at: None,
            last_active_at: None,
            legal_accepted_at: None,
            banned: f.banned.unwrap_or(false),
            locked: false,
            created_at,
            updated_at: created_at,
            delete_self_enabled: f.delete_self_enabled.unwrap_or(true),
            create_organization_enabled: f.create_organization_enabled.unwrap_or(true),
        };
        self.created.push(user.clone());
        Ok(user)
    }

    /// Update the given fields; `updated_at` moves to now (never backwards).
    pub fn update(&mut self, id: &str, f: UserFields, now_ms: i64) -> Result<User, WriteError> {
        let i = self.index_of_id(id).ok_or(WriteError::NotFound)?;
        if self.deleted.contains(&i) {
            return Err(WriteError::NotFound);
        }
        self.check_unique(Some(i), &f)?;
        let mut u = self.user_at(i);
        if let Some(v) = f.external_id {
            u.external_id = v;
        }
        if let Some(v) = f.first_name {
            u.first_name = v;
        }
        if let Some(v) = f.last_name {
            u.last_name = v;
        }
        if let Some(v) = f.username {
            u.username = v.filter(|s| !s.is_empty());
        }
        if let Some(v) = f.locale {
            u.locale = v;
        }
        if let Some(v) = f.banned {
            u.banned = v;
        }
        if let Some(v) = f.delete_self_enabled {
            u.delete_self_enabled = v;
        }
        if let Some(v) = f.create_organization_enabled {
            u.create_organization_enabled = v;
        }
        if f.password {
            u.password_enabled = true;
        }
        u.updated_at = now_ms.max(u.updated_at);
        if i < self.generator.n {
            self.patched.insert(i, u.clone());
        } else {
            self.created[(i - self.generator.n) as usize] = u.clone();
        }
        Ok(u)
    }

    /// Change a user with `f` (the metadata endpoint's merge); `updated_at` moves to now.
    pub fn modify(
        &mut self,
        id: &str,
        now_ms: i64,
        f: impl FnOnce(&mut User),
    ) -> Result<User, WriteError> {
        let i = self.index_of_id(id).ok_or(WriteError::NotFound)?;
        if self.deleted.contains(&i) {
            return Err(WriteError::NotFound);
        }
        let mut u = self.user_at(i);
        f(&mut u);
        u.updated_at = now_ms.max(u.updated_at);
        if i < self.generator.n {
            self.patched.insert(i, u.clone());
        } else {
            self.created[(i - self.generator.n) as usize] = u.clone();
        }
        Ok(u)
    }

    /// Delete the `n` oldest users that exist (fewer when fewer exist); their ids.
    pub fn delete_oldest(&mut self, n: u64) -> Vec<String> {
        let mut gone = Vec::new();
        let mut i = 0;
        while (gone.len() as u64) < n && i < self.end() {
            if !self.deleted.contains(&i) {
                self.deleted.insert(i);
                self.patched.remove(&i);
                gone.push(self.id_at(i));
            }
            i += 1;
        }
        gone
    }

    pub fn delete(&mut self, id: &str) -> Result<String, WriteError> {
        let i = self.index_of_id(id).ok_or(WriteError::NotFound)?;
        if !self.deleted.insert(i) {
            return Err(WriteError::NotFound);
        }
        self.patched.remove(&i);
        Ok(id.to_string())
    }
}

impl UserIds for Store {
    fn index_of_id(&self, id: &str) -> Option<u64> {
        Store::index_of_id(self, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::query::Order;

    fn q(order: Order, limit: usize) -> ListQuery {
        ListQuery {
            filter: Filter::default(),
            order,
            limit,
            offset: 0,
            starting_after: None,
        }
    }

    fn ids(v: &[User]) -> Vec<u64> {
        v.iter().map(|u| u.index).collect()
    }

    #[test]
    fn default_order_is_newest_first_and_pages_are_index_ranges() {
        let s = Store::new(42, 100);
        let page = s.list(&q(Order::default(), 3));
        assert_eq!(ids(&page), [99, 98, 97]);
        let mut asc = q(
            Order {
                field: SortField::CreatedAt,
                desc: false,
            },
            3,
        );
        asc.offset = 10;
        assert_eq!(ids(&s.list(&asc)), [10, 11, 12]);
        asc.starting_after = Some(50);
        asc.offset = 0;
        assert_eq!(ids(&s.list(&asc)), [51, 52, 53]);
    }

    #[test]
    fn deleted_users_are_skipped_and_still_decode_as_cursors() {
        let mut s = Store::new(42, 20);
        let id5 = s.user_at(5).id;
        s.delete(&id5).unwrap();
        assert_eq!(s.delete(&id5), Err(WriteError::NotFound));
        assert_eq!(s.len(), 19);
        assert!(s.get(&id5).is_none());
        assert_eq!(s.index_of_id(&id5), Some(5));
        let mut asc = q(
            Order {
                field: SortField::CreatedAt,
                desc: false,
            },
            3,
        );
        asc.starting_after = Some(3);
        assert_eq!(ids(&s.list(&asc)), [4, 6, 7]);
        assert_eq!(s.count(&Filter::default()), 19);
    }

    #[test]
    fn created_at_bounds_are_strict() {
        let s = Store::new(42, 1000);
        let t = s.created_at_of(500);
        let f = Filter {
            created_at_before: Some(t),
            ..Filter::default()
        };
        let n = s.count(&f);
        assert!((0..1000).filter(|&i| s.created_at_of(i) < t).count() as u64 == n);
        let f = Filter {
            created_at_after: Some(t),
            ..Filter::default()
        };
        assert!((0..1000).filter(|&i| s.created_at_of(i) > t).count() as u64 == s.count(&f));
    }

    #[test]
    fn other_orderings_are_total() {
        let s = Store::new(42, 300);
        let mut all = q(
            Order {
                field: SortField::FirstName,
                desc: false,
            },
            500,
        );
        let full = ids(&s.list(&all));
        assert_eq!(full.len(), 300);
        all.limit = 7;
        let mut paged = Vec::new();
        for off in (0..300).step_by(7) {
            all.offset = off;
            paged.extend(ids(&s.list(&all)));
        }
        assert_eq!(paged, full);
        let names: Vec<String> = full
            .iter()
            .map(|&i| s.user_at(i).first_name.unwrap())
            .collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn created_users_sort_last_and_are_unique() {
        let mut s = Store::new(42, 10);
        let f = UserFields {
            email_addresses: vec!["new@example.com".into()],
            first_name: Some(Some("New".into())),
            ..UserFields::default()
        };
        // Even with a clock far in the past, the new user is the newest.
        let u = s.create(f.clone(), 0).unwrap();
        assert_eq!(u.index, 10);
        assert!(u.created_at >= s.created_at_of(9));
        assert_eq!(s.get(&u.id).unwrap().first_name.as_deref(), Some("New"));
        assert_eq!(s.create(f, 0), Err(WriteError::Taken("email_address")));
        let taken = s.user_at(3).emails[0].value.clone();
        let f = UserFields {
            email_addresses: vec![taken.to_uppercase()],
            ..UserFields::default()
        };
        assert_eq!(s.create(f, 0), Err(WriteError::Taken("email_address")));
        assert_eq!(ids(&s.list(&q(Order::default(), 1))), [10]);
    }
}
