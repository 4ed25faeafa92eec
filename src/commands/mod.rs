//! One module per subcommand.

pub mod assets;
pub mod status;
