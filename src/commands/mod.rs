//! One module per subcommand.

pub mod assets;
pub mod export;
pub mod status;
