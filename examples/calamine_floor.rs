//! The benchmark floor: calamine's streaming cell reader walking the first sheet of an
//! .xlsx and doing nothing else. `cargo run --release --example calamine_floor FILE.xlsx`
use calamine::{Reader, Xlsx};

fn main() {
    let path = std::env::args().nth(1).expect("usage: calamine_floor FILE.xlsx");
    let mut wb: Xlsx<_> = calamine::open_workbook(&path).expect("an .xlsx");
    let sheet = wb.sheet_names()[0].clone();
    let mut reader = wb.worksheet_cells_reader(&sheet).expect("the first sheet");
    let (mut cells, mut rows, mut last) = (0u64, 0u64, u32::MAX);
    while let Some(cell) = reader.next_cell().expect("a readable sheet") {
        cells += 1;
        let (r, _) = cell.get_position();
        if r != last {
            rows += 1;
            last = r;
        }
    }
    println!("{rows} rows, {cells} cells");
}
