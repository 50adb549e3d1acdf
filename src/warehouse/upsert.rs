//! The upsert of keyed rows (results, findings, budgets, …): the files holding any new
//! key are rewritten without those rows, the new rows appended, removes and adds in one
//! Delta commit; memory is a batch plus 16 bytes a new key.

use std::collections::HashSet;
use std::path::Path;

use datafusion::arrow::array::RecordBatch;
use deltalake::DeltaTable;

use super::commit::no_retries;
use super::stage::remove_files;
use crate::error::{Error, Result};
use crate::schema::TableDef;

/// Upserts the rows staged in the scratch Parquet file at `path` into `table` on `keys`,
/// in memory bounded by a batch and one 16-byte digest per new key (a Delta MERGE builds
/// a hash table of one whole side: 935 MB for a million updated findings):
/// 1. the digests of the new rows' keys;
/// 2. each data file's key column(s), read alone: files holding none of them stay;
/// 3. the files that do are rewritten without those rows (copy on write, as MERGE does);
/// 4. the new rows are appended, and the removes and adds are one commit.
///
/// Matched rows take every column of the new row (lineage included, so they point at the
/// newer file); the others are inserted. A failed commit deletes the files it wrote.
pub(super) async fn rewrite_upsert(
    mut table: DeltaTable,
    def: &'static TableDef,
    path: &Path,
    keys: &'static [&'static str],
) -> Result<DeltaTable> {
    use datafusion::arrow::compute::filter_record_batch;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    // ParquetObjectReader is deprecated in parquet 59 in favour of a hand-written
    // AsyncFileReader; it still reads ranges from the table's object store (local or S3).
    #[allow(deprecated)]
    use datafusion::parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
    use datafusion::parquet::arrow::ProjectionMask;
    use deltalake::kernel::transaction::CommitBuilder;
    use deltalake::kernel::Action;
    use deltalake::protocol::DeltaOperation;
    use deltalake::writer::DeltaWriter;
    use futures::StreamExt;

    const BATCH: usize = 65_536;
    let delta = |e: deltalake::DeltaTableError| Error::delta(def.name, e);
    let parquet =
        |e: datafusion::parquet::errors::ParquetError| Error::Usage(format!("{}: reading Parquet: {e}", def.name));
    let schema = def.schema();
    let key_index: Vec<usize> = keys
        .iter()
        .map(|k| schema.index_of(k))
        .collect::<std::result::Result<_, _>>()?;
    let digests =
        |b: &RecordBatch, columns: &[usize]| -> Result<Vec<u128>> { key_digests(b, columns, &schema, &key_index) };

    // 1. The new rows' keys.
    let open_scratch = |projection: Option<&[usize]>| -> Result<_> {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(fs_err::File::open(path)?.into_parts().0).map_err(parquet)?;
        let builder = match projection {
            Some(cols) => {
                let mask = ProjectionMask::roots(builder.parquet_schema(), cols.iter().copied());
                builder.with_projection(mask)
            }
            None => builder,
        };
        builder.with_batch_size(BATCH).build().map_err(parquet)
    };
    let mut new_keys: HashSet<u128> = HashSet::new();
    let projected: Vec<usize> = (0..key_index.len()).collect();
    for b in open_scratch(Some(&key_index))? {
        new_keys.extend(digests(&b?, &projected)?);
    }

    // 2–3. Files holding any of them, rewritten without those rows.
    let store = table.object_store();
    let files: Vec<(deltalake::Path, u64, deltalake::kernel::Remove)> = table
        .snapshot()
        .map_err(delta)?
        .log_data()
        .into_iter()
        .map(|f| (f.object_store_path(), f.size().max(0) as u64, f.remove_action(true)))
        .collect();
    let props = datafusion::parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(BATCH))
        .build();
    let mut writer = deltalake::writer::RecordBatchWriter::for_table(&table)
        .map_err(delta)?
        .with_writer_properties(props);
    let mut removes = Vec::new();
    let (mut kept, mut replaced) = (0usize, 0usize);
    for (file, size, remove) in files {
        #[allow(deprecated)]
        let reader = || ParquetObjectReader::new(store.clone(), file.clone()).with_file_size(size);
        let builder = ParquetRecordBatchStreamBuilder::new(reader()).await.map_err(parquet)?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), key_index.iter().copied());
        let mut stream = builder
            .with_projection(mask)
            .with_batch_size(BATCH)
            .build()
            .map_err(parquet)?;
        let mut hit = false;
        while let Some(b) = stream.next().await {
            if digests(&b.map_err(parquet)?, &projected)?
                .iter()
                .any(|d| new_keys.contains(d))
            {
                hit = true;
                break;
            }
        }
        if !hit {
            continue;
        }
        let mut stream = ParquetRecordBatchStreamBuilder::new(reader())
            .await
            .map_err(parquet)?
            .with_batch_size(BATCH)
            .build()
            .map_err(parquet)?;
        while let Some(b) = stream.next().await {
            let b = conform(&b.map_err(parquet)?, &schema)?;
            let keep: datafusion::arrow::array::BooleanArray = digests(&b, &key_index)?
                .iter()
                .map(|d| Some(!new_keys.contains(d)))
                .collect();
            let rest = filter_record_batch(&b, &keep)?;
            replaced += b.num_rows() - rest.num_rows();
            kept += rest.num_rows();
            if rest.num_rows() > 0 {
                writer.write(rest).await.map_err(delta)?;
            }
        }
        removes.push(remove);
    }

    // 4. The new rows, then one commit.
    for b in open_scratch(None)? {
        let b = conform(&b?, &schema)?;
        writer.write(b).await.map_err(delta)?;
    }
    let adds = writer.flush().await.map_err(delta)?;
    let written: Vec<String> = adds.iter().map(|a| a.path.clone()).collect();
    let operation = DeltaOperation::Merge {
        predicate: None,
        merge_predicate: Some(
            keys.iter()
                .map(|k| format!("t.{k} = s.{k}"))
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
        matched_predicates: vec![],
        not_matched_predicates: vec![],
        not_matched_by_source_predicates: vec![],
    };
    let actions = removes
        .into_iter()
        .map(Action::Remove)
        .chain(adds.into_iter().map(Action::Add))
        .collect();
    let committed = match table.snapshot() {
        Ok(snapshot) => CommitBuilder::from(no_retries())
            .with_actions(actions)
            .build(Some(snapshot), table.log_store(), operation)
            .await
            .map_err(delta),
        Err(e) => Err(delta(e)),
    };
    let finalized = match committed {
        Ok(f) => f,
        Err(e) => {
            remove_files(&table, def, &written).await;
            return Err(e);
        }
    };
    table.load_version(finalized.version()).await.map_err(delta)?;
    tracing::info!(
        table = def.name,
        updated = replaced,
        inserted = new_keys.len().saturating_sub(replaced),
        rewritten_rows_kept = kept,
        "upserted"
    );
    Ok(table)
}

/// A batch read back (Parquet, a scan's Utf8View) in the table's own types: the Delta
/// writer checks the schema.
pub fn conform(b: &RecordBatch, schema: &datafusion::arrow::datatypes::SchemaRef) -> Result<RecordBatch> {
    let columns = b
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| datafusion::arrow::compute::cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// 128-bit digests of each row's key: `columns` are the key columns' positions in `b`,
/// `key_index` their positions in the table schema (for their types). Two independent
/// 64-bit hashes of the row-format bytes, as the ingest's duplicate check keeps.
fn key_digests(
    b: &RecordBatch,
    columns: &[usize],
    schema: &datafusion::arrow::datatypes::SchemaRef,
    key_index: &[usize],
) -> Result<Vec<u128>> {
    use datafusion::arrow::row::{RowConverter, SortField};
    use std::hash::{Hash, Hasher};
    let fields: Vec<SortField> = key_index
        .iter()
        .map(|i| SortField::new(schema.field(*i).data_type().clone()))
        .collect();
    let arrays = columns
        .iter()
        .zip(key_index)
        .map(|(c, i)| datafusion::arrow::compute::cast(b.column(*c), schema.field(*i).data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let converter = RowConverter::new(fields)?;
    let rows = converter.convert_columns(&arrays)?;
    Ok(rows
        .iter()
        .map(|r| {
            let bytes = r.as_ref();
            let mut a = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut a);
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (bytes, 0x9E37_79B9_7F4A_7C15_u64).hash(&mut h);
            (u128::from(a.finish()) << 64) | u128::from(h.finish())
        })
        .collect())
}
