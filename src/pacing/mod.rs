//! When a request may go, and how many may be under way.
//!
//! Every "when may a request go" of every command lives here, and the client sees one face of it:
//! the [`Limiter`](limiter::Limiter), chosen once from the settings. Behind it, by role:
//! - `budget`: N per W, the plans' presets, `--rate` and `--burst`;
//! - `pacer`: this process's window schedule (clock injected) and the judge of the server's
//!   headers against our own count; `headers`: every rate-limit header convention, parsed;
//! - `shared`: one key's budget shared by processes through Redis (one Lua script);
//!   `state_file`: shared by one machine's processes through a locked file;
//! - `endpoint_limits`: Clerk's documented endpoint limits (one table the client paces to and the
//!   sandbox enforces); `endpoint_gates`: their slots, in the same kinds of store;
//! - `inflight`: how many requests a command keeps under way (rate x round trip); `ahead`: how
//!   far ahead the back-ends booked this process's requests;
//! - `monitor`: the counters and the end-of-run summary; `algorithm`: the server-side algorithms
//!   the sandbox runs and probe tells apart.

pub mod activity;
pub mod ahead;
pub mod algorithm;
pub mod budget;
pub mod endpoint_gates;
pub mod endpoint_limits;
pub mod headers;
pub mod inflight;
pub mod limiter;
pub mod monitor;
pub mod pacer;
pub mod shared;
pub mod state_file;

pub use inflight::{InFlight, InFlightCore};
