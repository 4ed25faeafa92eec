//! The sandbox's shared state, and the locks every handler takes it through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::endpoint_limits::EndpointLimiter;
use super::faults::FaultDraw;
use super::limiter::Limiter;
use super::log::RequestLog;
use super::org_store::OrgStore;
use super::store::Store;
use super::{HeaderStyle, Misbehave, RetryAfterStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Accepted,
    OverQuota,
    Forbidden,
}

pub struct AppState {
    pub started: Instant,
    pub keys: HashMap<String, KeyKind>,
    pub store: RwLock<Store>,
    pub limiter: Mutex<Limiter>,
    pub faults: Mutex<FaultDraw>,
    pub log: RequestLog,
    pub headers: HeaderStyle,
    pub retry_after: RetryAfterStyle,
    pub reject_cursor: bool,
    /// Unknown query parameters are a 422 instead of being ignored.
    pub strict: bool,
    /// The distance and the busyness: round trip with jitter, time per user, capacity.
    pub model: super::model::Model,
    /// The documented endpoint limits, counted besides the instance's.
    pub endpoint_limiter: Mutex<EndpointLimiter>,
    /// Organizations and invitations.
    pub orgs: Mutex<OrgStore>,
    pub misbehave: Vec<Misbehave>,
    /// After this many users pages, delete this many of the oldest users (once).
    pub delete_after_pages: Option<(u64, u64)>,
    /// Pages of `GET /v1/users` served so far.
    pub pages_served: std::sync::atomic::AtomicU64,
}

pub type Shared = Arc<AppState>;

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere must not take every later request down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn read(s: &AppState) -> std::sync::RwLockReadGuard<'_, Store> {
    s.store.read().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn write(s: &AppState) -> std::sync::RwLockWriteGuard<'_, Store> {
    s.store.write().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
