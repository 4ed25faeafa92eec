//! The one HTTP core every subcommand goes through: pacing, headers, retries, errors.

pub mod client;
pub mod diagnose;
pub mod error;
pub mod retry;

pub use crate::pacing::headers::RateLimitView;
pub use client::{Client, ClientConfig, HttpVersion, Request, Response};
pub use error::{ClerkError, HttpError};
