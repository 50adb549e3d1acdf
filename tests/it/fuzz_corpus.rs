//! The fuzz corpus (fuzz/corpus/TARGET/*: the seeds, and every input the fuzzers kept or
//! crashed on) replayed on stable through the same harness as the fuzz targets, against
//! the `ceping` library: each input must return without a panic.

use ceping::ingest::{cells, field, normalize, sheet, xlsx};

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
    assert!(replay("xlsx_reader", harness::xlsx_reader) >= 3);
    assert!(
        replay("walker", |d| {
            harness::walker(d);
        }) >= 4
    );
}

/// The walker's seeds are sheets the harness reads as the walker would: the data rows
/// each hands on (so a harness that finds no header would fail here, not fuzz nothing).
#[test]
fn the_walker_seeds_read_as_sheets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/walker");
    let rows = |name: &str| harness::walker(&std::fs::read(dir.join(name)).unwrap());
    // 3 systems; the total and the two note lines skipped.
    assert_eq!(rows("seed-plain.txt"), 3);
    // A two-row band over merged headers, three rows, a repeated header, one more row.
    assert_eq!(rows("seed-band.txt"), 4);
    // No merge information: 3 systems after a gap of 5,000 empty rows; 小计 and 说明 skipped.
    assert_eq!(rows("seed-nomerge.txt"), 3);
    // A header in the second row among 31 columns; three rows.
    assert_eq!(rows("seed-wide.txt"), 3);
}
