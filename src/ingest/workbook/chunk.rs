//! Rows packed for the mapping thread: each chunk of rows keeps its text in one buffer,
//! so the reader hands over a few allocations per 2,048 rows, not one per cell.

use super::{Cell, Row};

/// Rows packed by [`Workbook::for_each_chunk`].
#[derive(Default)]
pub struct RowChunk {
    pub(super) text: String,
    /// (row index, where its cells start in `cells`).
    pub(super) rows: Vec<(u32, u32)>,
    pub(super) cells: Vec<(u32, Packed)>,
}

pub(super) enum Packed {
    /// A byte range of `RowChunk::text`.
    Text(u32, u32),
    Other(Cell),
}

impl RowChunk {
    /// An empty chunk with room for as much as `other` held.
    pub(super) fn like(other: &RowChunk) -> Self {
        RowChunk {
            text: String::with_capacity(other.text.len()),
            rows: Vec::with_capacity(other.rows.len()),
            cells: Vec::with_capacity(other.cells.len()),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn into_rows(self) -> impl Iterator<Item = Row> {
        let RowChunk { text, rows, cells } = self;
        let ends: Vec<usize> = rows
            .iter()
            .skip(1)
            .map(|(_, start)| *start as usize)
            .chain(std::iter::once(cells.len()))
            .collect();
        let mut cells = cells.into_iter();
        rows.into_iter().zip(ends).map(move |((index, start), end)| {
            Row::new(
                index,
                cells
                    .by_ref()
                    .take(end - start as usize)
                    .map(|(c, p)| {
                        let cell = match p {
                            Packed::Text(a, b) => Cell::Text(text[a as usize..b as usize].to_string()),
                            Packed::Other(cell) => cell,
                        };
                        (c, cell)
                    })
                    .collect(),
            )
        })
    }
}
