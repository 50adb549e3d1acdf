#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ceping_fuzz::harness::xlsx_reader(data));
