//! The settings of one run: the `--profile` chosen from the config file, applied under flags and
//! environment variables (`profile`), and the global options resolved into a `Context` (`context`).

pub mod context;
pub mod profile;
