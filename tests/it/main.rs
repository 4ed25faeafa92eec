//! The integration tests, one crate (as ripgrep keeps them): the library is linked once, and
//! every test reaches the helpers in `common` (the binary run with a deadline, sandboxes,
//! real redis-servers) and the JSON Schema checks in `schema`.
//!
//! Every run of the binary goes through `common::output` or `common::bounded*`: a run that does
//! not end is killed at `common::DEADLINE` and its test fails with what it printed.

mod common;
mod schema;

mod api;
mod api_batch;
mod assets;
mod batch_get;
mod cli_conventions;
mod config;
mod diagnose;
mod export;
mod help;
mod import_users;
mod json_output;
mod metrics;
mod misbehave;
mod one_writer;
mod pacing;
mod paginate;
mod probe;
mod redis_cluster;
mod regression;
mod reliability;
mod sandbox;
mod sandbox_bin;
mod sandbox_ready;
mod sdk_compat;
mod shared_budget;
mod signals;
mod status;
mod top;
mod user_cache;
mod webhook;
