//! clerk-rl: inspect and exercise the rate limits of Clerk's Backend API.

pub mod budget;
pub mod cli;
pub mod commands;
pub mod sandbox;
