//! The endpoint budgets' gates: a request to an endpoint with a documented limit of its own
//! (`crate::pacing::endpoint_limits`) takes a slot there before it takes one in the instance budget, and
//! gives both back when its response arrives.
//!
//! Where the count lives decides who shares it: with `--budget-store`, Redis (every process on
//! every machine using the store); without, a state file per budget (every process of this user on
//! this machine, `crate::pacing::state_file`); when the state folder is unusable, this process alone,
//! with a warning.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::pacing::budget::{Budget, Plan};
use crate::pacing::endpoint_limits::Scope;
use crate::pacing::pacer::{Pacer, Permit};
use crate::pacing::shared::{SharedBudget, Slot};
use crate::pacing::state_file::LocalBudget;
use crate::redis_store::Redis;
use crate::ui::Ui;

/// Where new endpoint budgets keep their count.
#[derive(Debug, Clone)]
enum Store {
    Redis(Redis),
    Files(PathBuf),
    Memory,
}

#[derive(Debug)]
pub enum Gate {
    Memory(Arc<Pacer>),
    File(LocalBudget),
    Shared(Arc<SharedBudget>),
}

/// A slot held in an endpoint budget.
pub enum Held {
    Memory(Permit),
    File(Arc<Gate>, String),
    Shared(Arc<SharedBudget>, Slot),
}

#[derive(Debug)]
pub struct EndpointGates {
    fingerprint: String,
    timeout: Duration,
    store: Mutex<Store>,
    gates: tokio::sync::Mutex<HashMap<String, Arc<Gate>>>,
    ui: Arc<Ui>,
}

fn budget_of(scope: &Scope) -> Budget {
    Budget::new(Plan::Free, Some(scope.limit.rate), None)
}

impl EndpointGates {
    pub fn new(fingerprint: String, timeout: Duration, ui: Arc<Ui>) -> Self {
        let store = match crate::pacing::state_file::state_dir() {
            Some(dir) => Store::Files(dir),
            None => Store::Memory,
        };
        EndpointGates {
            fingerprint,
            timeout,
            store: Mutex::new(store),
            gates: tokio::sync::Mutex::new(HashMap::new()),
            ui,
        }
    }

    /// Keep endpoint budgets in Redis, shared with every process using the store.
    pub fn share_through(&self, redis: Redis) {
        *self.store.lock().expect("store lock") = Store::Redis(redis);
    }

    async fn gate(&self, scope: &Scope) -> Arc<Gate> {
        let mut gates = self.gates.lock().await;
        if let Some(g) = gates.get(&scope.key) {
            return Arc::clone(g);
        }
        let store = self.store.lock().expect("store lock").clone();
        let gate = match store {
            Store::Redis(redis) => {
                // The user id stays out of Redis's key names: only a hash of the scope.
                let h = hex::encode(&Sha256::digest(scope.key.as_bytes())[..8]);
                let sb = SharedBudget::join_guarded(
                    redis,
                    &format!("{}:endpoint:{h}", self.fingerprint),
                    &budget_of(scope),
                    self.timeout,
                    "api (endpoint budget)",
                    Arc::clone(&self.ui),
                    false,
                )
                .await;
                Gate::Shared(sb)
            }
            Store::Files(dir) => {
                match LocalBudget::open(
                    &dir,
                    &self.fingerprint,
                    &scope.key,
                    scope.limit.rate,
                    self.timeout,
                ) {
                    Ok(lb) => Gate::File(lb),
                    Err(e) => self.memory_after(&dir, &e, scope),
                }
            }
            Store::Memory => Gate::Memory(Pacer::new(&budget_of(scope))),
        };
        let gate = Arc::new(gate);
        gates.insert(scope.key.clone(), Arc::clone(&gate));
        gate
    }

    fn memory_after(&self, dir: &std::path::Path, e: &std::io::Error, scope: &Scope) -> Gate {
        self.ui.warn(&format!(
            "cannot keep endpoint budgets in {} ({e}); {} is paced within this process only ({})",
            dir.display(),
            scope,
            crate::pacing::state_file::state_dir_hint()
        ));
        *self.store.lock().expect("store lock") = Store::Memory;
        Gate::Memory(Pacer::new(&budget_of(scope)))
    }

    /// Wait for a slot in `scope`'s budget; returns it and how long the wait took.
    pub async fn acquire(&self, scope: &Scope) -> (Held, Duration) {
        let gate = self.gate(scope).await;
        match &*gate {
            Gate::Memory(p) => {
                let (permit, waited) = p.acquire().await;
                (Held::Memory(permit), waited)
            }
            Gate::Shared(sb) => {
                let (slot, waited) = sb.acquire().await;
                (Held::Shared(Arc::clone(sb), slot), waited)
            }
            Gate::File(lb) => match lb.acquire().await {
                Ok((id, waited)) => (Held::File(Arc::clone(&gate), id), waited),
                Err(e) => {
                    // The state file failed mid-run: pace this scope in-process from now on.
                    let dir = PathBuf::from("the state folder");
                    let fallback = Arc::new(self.memory_after(&dir, &e, scope));
                    self.gates
                        .lock()
                        .await
                        .insert(scope.key.clone(), Arc::clone(&fallback));
                    Box::pin(self.acquire(scope)).await
                }
            },
        }
    }

    /// How often a slot held while its request waits (for the instance slot) must be renewed:
    /// a third of its lease; `None` when it has no lease (in-process).
    pub fn renew_every(&self, held: &Held) -> Option<Duration> {
        match held {
            Held::Memory(_) => None,
            Held::File(gate, _) => match &**gate {
                Gate::File(lb) => Some(lb.lease() / 3),
                _ => None,
            },
            Held::Shared(sb, _) => Some(sb.lease() / 3),
        }
    }

    /// The request holding `held` is still waiting to be sent: its lease runs a full term from
    /// now, so no other process takes the slot meanwhile.
    pub async fn renew(&self, held: &Held) {
        let renewed = match held {
            Held::Memory(_) => return,
            Held::File(gate, id) => match &**gate {
                Gate::File(lb) => lb.renew(id.clone()).await.map_err(|e| e.to_string()),
                _ => return,
            },
            Held::Shared(sb, slot) => sb.renew(slot).await.map_err(|e| e.to_string()),
        };
        match renewed {
            Ok(true) => {}
            // Only a dead store or a clock far off can lose it; the request then counts on
            // the instance budget alone, and says so.
            Ok(false) => self
                .ui
                .warn("an endpoint slot's lease ran out while its request waited"),
            Err(e) => self
                .ui
                .info(&format!("could not renew an endpoint slot: {e}")),
        }
    }

    /// The response to the request holding `held` arrived.
    pub async fn release(&self, held: Held) {
        match held {
            Held::Memory(permit) => {
                permit.complete();
            }
            Held::Shared(sb, slot) => {
                sb.complete(slot).await;
            }
            Held::File(gate, id) => {
                if let Gate::File(lb) = &*gate
                    && let Err(e) = lb.complete(id).await.map(|_| ())
                {
                    // The slot's lease expires on its own, later than the truth: still safe.
                    self.ui
                        .info(&format!("could not release an endpoint slot: {e}"));
                }
            }
        }
    }
}
