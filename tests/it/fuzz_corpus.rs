//! The fuzz corpus (fuzz/corpus/TARGET/*: the seeds, and every input the fuzzers kept or
//! crashed on) replayed on stable through the same harness as the fuzz targets, against
//! the `ceping` library: each input must return without a panic.

use ceping::ingest::{normalize, xlsx_merges};

#[path = "../../fuzz/src/harness.rs"]
mod harness;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: {} panics", path.display());
        n += 1;
    }
    n
}

#[test]
fn the_fuzz_corpus_replays_without_a_panic() {
    // (The seeds alone are 20 and 3 files; the fuzzers' corpus adds to them.)
    assert!(replay("normalisers", harness::normalisers) >= 20);
    assert!(replay("xlsx_merges", harness::xlsx_merges) >= 3);
}
