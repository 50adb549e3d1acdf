//! One integration-test binary (each extra tests/*.rs would link DataFusion and deltalake
//! again). Every test runs the real `ceping` binary on a temporary warehouse.

mod access;
mod accountability;
mod cli;
mod clients;
mod common;
mod consistency;
mod distributed;
mod duckdb;
mod fuzz_corpus;
mod hostile;
mod ingest_plans;
mod ingest_results;
mod memory;
mod metrics;
mod optimize;
mod register;
mod reports;
mod s3;
mod schema;
mod serve;
mod sheet_reader;
mod tidy;
mod yearly;
