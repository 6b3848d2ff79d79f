// Package dataio moves matrices between Sketchwork and files: NumPy .npy,
// MatrixMarket .mtx and CSV, read whole into gonum/linalg types or streamed
// chunk by chunk for one-pass sketching of files larger than memory.
//
// It is the file-exchange layer of papers/regression.md (sections 10-12):
// data scientists hand the CLI an .npy, .mtx or .csv file, and the
// sketching solvers read A in as few passes as possible, since any
// (1+ε)-accurate least-squares algorithm must read every row once (section
// 11: time ≥ bytes(A) / read bandwidth).
//
// # Formats
//
// The format follows the file extension (case-insensitive):
//
//	.npy  NumPy format 1.0, 2.0 and 3.0; dtypes '<f8', '<f4', '<i4', '<i8'
//	      (converted to float64; int64 beyond 2^53 rounds); C or Fortran
//	      order; 0-d (read as 1 x 1), 1-d (n as n x 1) and 2-d arrays.
//	      Big-endian, complex, bool, structured and other dtypes, and
//	      arrays of 3 or more dimensions, are refused with the dtype or
//	      shape named. Written as version 1.0 '<f8' C order with the data
//	      64-byte aligned, byte-identical to numpy.save.
//	.mtx  MatrixMarket "matrix" files, coordinate (read as *linalg.CSR,
//	      duplicates summed, explicit zeros kept) or array (read as
//	      *mat.Dense); fields real (or double), integer and pattern (value
//	      1); symmetries general, symmetric and skew-symmetric (stored
//	      lower, or strictly lower, triangle; expanded on reading; an entry
//	      above the diagonal is an error). Complex and hermitian files are
//	      refused. Lines whose first non-blank character is '%' are
//	      comments; blank lines are ignored; array values may share lines.
//	      Written as coordinate real general for a *linalg.CSR and array
//	      real general otherwise, values as %.17g.
//	.csv  Comma-separated numbers, one row per line, fields optionally
//	      padded with blanks, "\n" or "\r\n" line ends, an optional UTF-8
//	      byte-order mark. The first line is a header, and skipped, when
//	      none of its fields is a number; a first line that mixes numbers
//	      and text is an error rather than a silently dropped row. Blank
//	      lines may end the file but not interrupt the data. Written as
//	      %.17g numbers without header.
//
// Every format round-trips bit for bit through its writer (-0, subnormals
// and ±MaxFloat64 included).
//
// # Entry points
//
// ReadMatrix, ReadVector, WriteMatrix and WriteVector work on paths and
// pick the format by extension; ReadMatrixWith and ReadVectorWith take
// ReadOptions. ReadNpy, ReadMatrixMarket and ReadCSV read from an
// io.Reader with a name for messages (and are the fuzz targets), with
// WriteNpy, WriteNpyVector, WriteMatrixMarket and WriteCSV as writers.
// Writes to a path are atomic (internal/fileutil: temporary file, sync,
// rename): a failed write leaves an existing file untouched.
//
// # Errors
//
// Bad input never panics; it returns an *Error whose message starts with
// the file path (or the name given to an io.Reader reader), then the
// location, then what is wrong:
//
//	A.npy: row 2, column 3, byte offset 176: non-finite value NaN (use ReadOptions.AllowNonFinite to accept it)
//	b.csv: line 7, row 6, column 2, byte offset 93: cannot parse "1.2.3" as a number
//	G.mtx: line 6, byte offset 70: file ends after 3 of the 5 entries the size line (line 2) declares (truncated)
//
// Lines, rows and columns are 1-based; byte offsets are 0-based from the
// start of the file. Rejected by default: NaN and ±Inf (unless
// ReadOptions.AllowNonFinite), empty files, zero-sized matrices, data
// shorter or longer than the header or size line says, ragged CSV rows,
// unparsable numbers, out-of-range or wrong-triangle MatrixMarket indices,
// wrong magic, unsupported versions, dtypes, fields and symmetries. Writers
// refuse zero-sized matrices but write NaN and ±Inf as they are.
//
// For untrusted input set ReadOptions.MaxBytes: a header may promise a
// matrix far larger than the file. Dense data is allocated as it arrives
// (an .npy file's size is checked against its header first), so a lying
// dense header costs nothing, but a coordinate file's row pointer takes 8
// bytes per declared row.
//
// # Streaming
//
// OpenStream reads an .npy (C or Fortran order, any supported dtype),
// MatrixMarket (coordinate or array) or CSV file in chunks whose memory is
// bounded by StreamOptions.ChunkBytes (8 MiB by default), whatever the file
// size.
// Next returns Chunks until io.EOF; Reset starts another pass and Passes
// counts the completed ones, so multi-pass solvers can report passes over
// A. A chunk holds either Dense rows First..First+k-1 (.npy, array and CSV
// files) or Entries: 0-based (i, j, v) triplets of a coordinate file in
// file order, symmetric files expanded, duplicates not merged. Chunk
// memory is reused by the next call to Next: copy what you keep.
//
// Entry chunks in arbitrary order suffice for sketching because a sketch
// is linear in A: S·A = Σ over entries (i, j, v) of v·S[:, i]·e_jᵀ, so a
// sparse-sign, CountSketch or Gaussian sketch accumulates entry by entry
// (duplicates add up exactly as the summed matrix would), and a dense
// chunk contributes S[:, First:First+k]·A[First:First+k, :].
//
// The header (and an .npy file's size) is validated by OpenStream; a
// problem in the body (truncation, a bad or non-finite value, more or
// fewer entries than declared) is reported by Next when it is reached and
// ends the pass until Reset. Array .mtx and CSV files are read once by
// OpenStream (to index columns, or to check and count rows), so their
// body errors appear there. Two checks need the whole matrix and are made
// only by ReadMatrix: coordinate duplicates that sum to ±Inf, and the
// MaxBytes limit.
//
// # Cost
//
// Reading is one sequential pass over the file. Measured on the 2-core
// development machine under load, files in the page cache (go test -bench .
// ./dataio, medians of 3): .npy reads at about 1.3-1.6 GB/s whole or
// streamed; CSV at about 160 MB/s; MatrixMarket at about 70-90 MB/s (text
// formats are bound by number parsing). Writing (with fsync): .npy about
// 370 MB/s, CSV about 145 MB/s. Memory
// of ReadMatrix: 8 bytes per dense entry (twice that transiently for a
// 2-d Fortran-order .npy, which is transposed); for coordinate files 24
// bytes per entry (48 if symmetric) while building, then 12 per entry plus
// 8 per row. Memory of a Stream: .npy about 2·ChunkBytes; coordinate
// ChunkBytes plus a 64 KiB buffer; array ChunkBytes plus 56 bytes per
// column; CSV ChunkBytes plus a 64 KiB buffer. Fortran-order .npy streams make one positioned read per column
// per chunk; array .mtx streams read the file once at OpenStream to index
// its columns, then about once per pass (twice for symmetric array files,
// whose rows need a column each).
package dataio
