//! One module per subcommand.

pub mod api;
pub mod assets;
pub mod batch_get;
pub mod cache;
pub mod config;
pub mod export;
pub mod import_users;
pub mod probe;
pub mod sandbox;
pub mod status;
pub mod top;
pub mod webhook;
