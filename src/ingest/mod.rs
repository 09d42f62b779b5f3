//! Reading: every file the tool reads -> validated values, plus the rows that could not
//! be used. One room for it, a file per concern:
//!
//! - `source/`: where bytes come from (a memory-mapped file, guarded against being cut
//!   short; standard input; decompression; decoding to UTF-8) and the watch that tells a
//!   file changed while it was read;
//! - `csv_file` opens a CSV input and reads its records in parallel pieces (`parallel`,
//!   `record`: exactly as the `csv` crate reads them), after choosing its dialect
//!   (`dialect`, `columns`);
//! - `crossings_csv` and `crossings_parquet` check crossing rows (`row`, `timestamp`)
//!   into compact 24-byte rows (`crossings`), `inputs` reads all of a run's crossings;
//! - `side_files` reads permits and expulsions, `reports` the reports `diff` compares,
//!   `tables` the tool's own tables back (a shard's, for `merge`).
//!
//! polars' own CSV reader fails a whole file on one ragged row or one invalid UTF-8
//! byte, without a line number; here one bad row is one rejected row with its file,
//! line, field and reason, and every row is accounted for.

pub mod columns;
pub mod crossings;
pub mod crossings_csv;
pub mod crossings_parquet;
pub mod csv_file;
pub mod dialect;
pub mod inputs;
pub mod options;
pub mod parallel;
pub mod record;
pub mod reports;
pub mod row;
pub mod side_files;
pub mod source;
pub mod tables;
pub mod timestamp;

pub use inputs::{read_csv_source, read_inputs, read_inputs_with, Ingested};
pub use options::IngestOptions;
/// Piece and chunk sizes of the parallel reader (tests shrink them to reach every
/// boundary case; the tool always uses [`ReadLayout::DEFAULT`]).
pub use parallel::ReadLayout;
pub use source::Source;
