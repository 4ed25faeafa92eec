//! How far ahead this process's requests are booked: the latest instant any back-end (this
//! process's pacer, the state file, Redis) told a request to wait for; and how many processes
//! the shared budget says spend the key. A command that plans its work around the budget
//! reads them: the export's end cuts parts only while the budget binds for long (its next
//! pages would wait for a later window), never while slots free up as fast as answers come,
//! and an export plans its parts for its share of the key.
//!
//! Process-wide, as the back-end's answer is: one process paces one key (several limiters in
//! one process, as tests make, only ever make it err toward "binds").

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The latest instant requests were booked for, in milliseconds after `base`.
struct Bookings {
    base: Instant,
    latest: AtomicU64,
}

impl Bookings {
    fn new(base: Instant) -> Self {
        Bookings {
            base,
            latest: AtomicU64::new(0),
        }
    }

    fn booked(&self, at: Instant) {
        let ms = at.saturating_duration_since(self.base).as_millis() as u64;
        self.latest.fetch_max(ms, Ordering::Relaxed);
    }

    fn binds_beyond(&self, now: Instant, beyond: Duration) -> bool {
        let ahead = now.saturating_duration_since(self.base) + beyond;
        self.latest.load(Ordering::Relaxed) > ahead.as_millis() as u64
    }
}

static BOOKINGS: OnceLock<Bookings> = OnceLock::new();

fn bookings() -> &'static Bookings {
    BOOKINGS.get_or_init(|| Bookings::new(Instant::now()))
}

/// A back-end booked a request for `at` (or told it to ask again then).
pub fn booked(at: Instant) {
    bookings().booked(at);
}

/// A back-end booked a request `wait` from now.
pub fn booked_in(wait: Duration) {
    booked(Instant::now() + wait);
}

/// Whether some request of this process is booked more than `beyond` after `now`.
pub fn binds_beyond(now: Instant, beyond: Duration) -> bool {
    bookings().binds_beyond(now, beyond)
}

/// The processes the shared budget (`--budget-store`) last said were spending the key, this
/// one included; 1 without a shared budget.
static SHARED_BY: AtomicU64 = AtomicU64::new(1);

/// The shared budget counted `n` processes spending the key.
pub fn shared_by(n: usize) {
    SHARED_BY.store(n.max(1) as u64, Ordering::Relaxed);
}

/// How many processes spend the key, as the budget's back-end last said (at least 1).
pub fn sharing() -> usize {
    SHARED_BY.load(Ordering::Relaxed).max(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_booking_binds_until_it_is_nearer_than_asked() {
        let b = Bookings::new(Instant::now());
        assert!(
            !b.binds_beyond(Instant::now(), Duration::ZERO),
            "nothing booked"
        );
        b.booked(Instant::now() + Duration::from_secs(8));
        assert!(b.binds_beyond(Instant::now(), Duration::from_secs(1)));
        tokio::time::advance(Duration::from_millis(7_500)).await;
        assert!(!b.binds_beyond(Instant::now(), Duration::from_secs(1)));
        // A nearer booking never moves the mark back.
        b.booked(Instant::now() + Duration::from_millis(10));
        assert!(b.binds_beyond(Instant::now(), Duration::from_millis(100)));
    }
}
