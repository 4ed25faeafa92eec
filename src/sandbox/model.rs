//! How far and how busy the sandbox acts: the round trip (with jitter), the server's own time per
//! user on a list page, and how many requests it serves at once.
//!
//! A loopback sandbox answers in well under a millisecond and serves any number of requests in
//! parallel; Clerk from afar takes 100-400 ms and does not. Benchmarks and tests that should see
//! what the world does (too few requests in flight, a server that queues) set these.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// The server model, as configured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerModel {
    /// Round trip added to every request: half before the request is stamped, half after.
    pub latency: Duration,
    /// Each half of the round trip varies uniformly by up to this fraction (0.2 = ±20%).
    pub jitter: f64,
    /// Server time per user on a list page (a 500-user page takes longer than a 1-user page),
    /// spent while holding a capacity slot.
    pub per_user: Duration,
    /// Requests served at once at most; the rest queue before they are stamped. None: no bound.
    pub capacity: Option<usize>,
}

impl ServerModel {
    /// One line for humans, empty when the model is the friendly default.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if !self.latency.is_zero() {
            s.push_str(&format!(
                ", latency {}",
                humantime::format_duration(self.latency)
            ));
            if self.jitter > 0.0 {
                s.push_str(&format!(" ±{:.0}%", self.jitter * 100.0));
            }
        }
        if !self.per_user.is_zero() {
            s.push_str(&format!(
                ", {} per listed user",
                humantime::format_duration(self.per_user)
            ));
        }
        if let Some(k) = self.capacity {
            s.push_str(&format!(", serves {k} at once"));
        }
        s
    }
}

/// The model at run time: the capacity's slots and the jitter's draws.
#[derive(Debug)]
pub struct Model {
    cfg: ServerModel,
    slots: Option<Semaphore>,
    draws: AtomicU64,
    seed: u64,
}

impl Model {
    pub fn new(cfg: ServerModel, seed: u64) -> Self {
        Model {
            slots: cfg.capacity.map(|k| Semaphore::new(k.max(1))),
            cfg,
            draws: AtomicU64::new(0),
            seed,
        }
    }

    /// One half of the round trip, with its jitter (a deterministic sequence per seed).
    pub fn half_trip(&self) -> Duration {
        let half = self.cfg.latency / 2;
        if half.is_zero() || self.cfg.jitter <= 0.0 {
            return half;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let u = (super::users::mix(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 11) as f64
            / (1u64 << 53) as f64;
        let factor = 1.0 + self.cfg.jitter.min(1.0) * (2.0 * u - 1.0);
        half.mul_f64(factor.max(0.0))
    }

    /// Wait for a slot to serve a request (no bound: at once).
    pub async fn serve(&self) -> Option<SemaphorePermit<'_>> {
        match &self.slots {
            Some(s) => s.acquire().await.ok(),
            None => None,
        }
    }

    /// The server's own time for a page of `users` users.
    pub fn page_time(&self, users: usize) -> Duration {
        self.cfg.per_user * users as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_bounds_and_varies() {
        let m = Model::new(
            ServerModel {
                latency: Duration::from_millis(300),
                jitter: 0.2,
                ..Default::default()
            },
            7,
        );
        let draws: Vec<Duration> = (0..1000).map(|_| m.half_trip()).collect();
        let lo = draws.iter().min().unwrap().as_secs_f64();
        let hi = draws.iter().max().unwrap().as_secs_f64();
        assert!(lo >= 0.12 - 1e-9 && hi <= 0.18 + 1e-9, "{lo}..{hi}");
        assert!(hi - lo > 0.05, "draws vary: {lo}..{hi}");
        let mean = draws.iter().map(|d| d.as_secs_f64()).sum::<f64>() / 1000.0;
        assert!((mean - 0.15).abs() < 0.005, "mean {mean}");
    }

    #[test]
    fn no_jitter_is_exactly_half_and_pages_cost_per_user() {
        let m = Model::new(
            ServerModel {
                latency: Duration::from_millis(100),
                per_user: Duration::from_micros(200),
                ..Default::default()
            },
            1,
        );
        assert_eq!(m.half_trip(), Duration::from_millis(50));
        assert_eq!(m.page_time(500), Duration::from_millis(100));
        assert_eq!(m.page_time(0), Duration::ZERO);
    }
}
