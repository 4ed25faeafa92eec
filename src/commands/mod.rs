//! One module per subcommand.

pub mod assets;
pub mod export;
pub mod sandbox;
pub mod status;
