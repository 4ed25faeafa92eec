//! When a request may go, and how many may be under way.
//!
//! This folder is where the pacing of every command lives; today it holds the in-flight count
//! chosen from the round trip (`inflight`). The window schedule, the shared and local budgets and
//! the header judge (`pacer.rs`, `shared_budget.rs`, `local_budget.rs`, `endpoint_budget.rs`,
//! `ratelimit.rs` at the root) move here with issue 21.

pub mod activity;
pub mod algorithm;
pub mod budget;
pub mod endpoint_limits;
pub mod headers;
pub mod inflight;
pub mod monitor;
pub mod pacer;
pub mod shared;
pub mod state_file;

pub use inflight::{InFlight, InFlightCore};
