//! ceping (测评): a data pipeline and analytics warehouse for security-assessment
//! oversight statistics.
//!
//! Workbooks are read by [`ingest`] into Arrow batches, committed by [`warehouse`] as Delta
//! tables, and queried through [`sql`]. See ARCHITECTURE.md for the map.

#![forbid(unsafe_code)]

pub mod cli;
pub mod error;
pub mod schema;
pub mod settings;
pub mod sql;
pub mod warehouse;

pub use error::{Error, Result};
pub mod access;
pub mod app;
pub mod chart;
pub mod ingest;
pub mod ops;
pub mod pipeline;
pub mod report;
pub mod serve;
