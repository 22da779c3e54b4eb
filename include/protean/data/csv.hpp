// CSV reading: RFC 4180 fields, delimiter and header detection, located errors.
//
// Accepted: ',' ';' or tab delimiters (detected from the first lines unless given), fields quoted
// with '"' (a doubled quote inside is one quote; quoted fields may hold delimiters and line
// breaks), LF, CRLF or CR line ends, a UTF-8 byte order mark, blank lines (skipped), surrounding
// spaces around numbers. Numbers are parsed the same way whatever the process locale is.
// Unquoted fields lose surrounding spaces and tabs. Quoted fields keep their text exactly, except
// header names, which lose them too.
// Every error names file:line:column (1-based, column counted in bytes from the line start), the
// offending text and what to do.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protean/data/dataset.hpp"
#include "protean/data/input_encoding.hpp"
#include "protean/error.hpp"

namespace protean {

enum class HeaderMode { detect, present, absent };

struct CsvOptions {
  // '\0': detect, picking among ',', ';' and '\t' the one that splits the first 20 records into
  // the same number (> 1) of fields. '"', ' ', '\r' and '\n' are rejected.
  char delimiter = '\0';
  // detect: the first record is a header when one of its fields is text while its column contains
  // numbers in the rows below, or when all its fields are text and the rows below contain a number.
  HeaderMode header = HeaderMode::detect;
  // Numbers are written with a decimal comma ("0,5" for 0.5), as in many European exports. Fields
  // that read as a number once their one ',' is a '.' are stored that way, so CsvTable::rows
  // contain "0.5". Thousands separators are not accepted. The delimiter must then be ';' or tab,
  // and detection does not consider ','.
  bool decimal_comma = false;
};

// A parsed CSV file: every field as text, with where it came from.
struct CsvTable {
  std::string source;                      // file name used in messages
  char delimiter = ',';
  bool has_header = false;
  // Header names without surrounding spaces and tabs (quoted names too), or "column_1",
  // "column_2", ... without a header. An empty header name also becomes "column_K" for its
  // 1-based position K.
  std::vector<std::string> column_names;
  std::vector<std::vector<std::string>> rows;  // rows[r][c], every row has column_names.size() fields
  std::vector<std::int64_t> row_lines;     // 1-based line where rows[r] starts
  std::vector<std::vector<std::int32_t>> row_columns;  // 1-based byte column where rows[r][c] starts

  Index row_count() const { return static_cast<Index>(rows.size()); }
  Index column_count() const { return static_cast<Index>(column_names.size()); }
  Location location(Index row, Index column) const;
};

// Parses CSV text. Errors: empty text, header only (no data rows), a ragged row (names the line,
// the expected and the found field count), an unterminated quote (names where it opened), text
// after a closing quote, gzip-compressed or binary input, an invalid delimiter. Binary input of
// a known format (a ZIP archive such as an .xlsx workbook, an .xls workbook, UTF-16 or UTF-32
// text, bzip2, xz or zstd data, Parquet, HDF5, NumPy, SQLite, PDF, IDX or safetensors) is named
// in the message, with how to get CSV text from it.
CsvTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

// Reads and parses a file; a gzip-compressed file (one or more members) is decompressed first,
// and locations then count lines of the decompressed text. Errors: missing or unreadable file,
// damaged, cut or trailing gzip data, plus those of parse_csv.
CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options = {});

// Parses a number the way CSV cells are read: optional surrounding spaces, decimal or
// exponent notation, no locale. Returns nothing for text that is not a whole number.
// "nan" and "inf" parse (so that callers can reject them with their own message).
std::optional<float> parse_number(std::string_view text);

// Returns true for the texts that public data sets and spreadsheet exports write for a missing
// value, in any letter case and with surrounding spaces: NA, N/A, #N/A, NaN, null, None, nil,
// missing, ?, - and --. to_dataset() reports such an input or numeric target cell as a missing
// value.
bool is_missing_marker(std::string_view text);

// Finds a column by exact name, or by 1-based index given as digits ("3"); a column named "3"
// wins over the third column. Errors list the available column names (the first 30), and a name
// that matches several columns is an error too.
Index find_column(const CsvTable& table, std::string_view name_or_index);

// What to_dataset() does with a row that has a missing value (an empty cell or a marker such as
// NA or ?, see is_missing_marker()) in a column it reads: an input or a target.
enum class MissingValues {
  error,      // stop with an error that names the first such cell
  drop_rows,  // leave the row out, and record it in Dataset::left_out
};

struct DatasetOptions {
  std::string target;          // column name or 1-based index; empty means the last column
  // Several target columns, by name or 1-based index, for a regression with one output per
  // column (Dataset::targets is then N×T in this order). Takes the place of `target`, which must
  // then be empty. A list of one column is the same as `target`.
  std::vector<std::string> targets;
  // Empty: classification when any target cell is not a number, or when the numbers of at least
  // 10 rows take exactly two values (a 0/1 label). Otherwise regression.
  std::optional<Task> task;
  bool has_target = true;      // false: every column is an input (for prediction)
  std::vector<std::string> drop;  // columns to ignore, by name or 1-based index
  // Columns to ignore by 0-based position, for callers that matched the header themselves and
  // must not have a name looked up again (it may occur twice, or look like an index).
  std::vector<Index> drop_positions;
  // Input columns to encode as categories although they contain numbers (zip codes, 1/2/3 codes),
  // by name or 1-based index. They may have up to 10,000 categories, where a detected categorical
  // column may have 100 (see to_dataset()).
  std::vector<std::string> categorical;
  // The encoding of a trained model, one column per input column of the table in the table's
  // order. When set, every input column is read as this encoding specifies: no column is detected as
  // categorical, `categorical` must be empty, and a category that the encoding lacks is an error.
  std::optional<InputEncoding> encoding;
  // false where a trained model fixes the input columns (prediction, evaluation), so that a
  // cell error does not suggest dropping the column with --drop.
  bool inputs_can_be_dropped = true;
  // false where a trained model fixes the task, so that a bad target cell does not suggest
  // --task classification.
  bool task_can_be_set = true;
  MissingValues missing = MissingValues::error;
  // false where rows cannot be left out (prediction writes one row per input row), so that an
  // error about a missing value does not suggest --missing drop.
  bool rows_can_be_left_out = true;
};

// Converts a table into a Dataset. An input column is categorical when options.categorical names
// it, or when more than half of its filled cells contain text (not numbers, numbers written with
// ',' or missing-value markers). It becomes one 0/1 input per category (input_encoding.hpp),
// with categories compared and sorted as class names are (below). A detected categorical column
// with more than 100 categories, or with 20 or more that outnumber half its filled cells (a name
// or an id), is an error that names the column and the count. So is a table whose inputs would
// take more than 4 GiB of float32 after one-hot encoding. Other input cells must be finite
// numbers. Errors name the cell (file:line:column), its text and the column name, and state what
// to do, for an empty cell, a missing-value marker (NA, N/A, NaN, null, None, ?, - and the like)
// in any input column, a number written with ',' (a decimal comma or thousands separators),
// another cell that is not a number, infinity, and a category that options.encoding lacks.
// Dataset::encoding records each input column's encoding. For classification, target cells with the same
// class_key() are one class: surrounding spaces do not count, and numbers are compared as numbers,
// so "1" and "1.0" are one class. Each class is named as its first row writes it, without the
// spaces, and the names are sorted (numerically when all are numbers, else by byte order).
// Several target columns are always read as numbers for regression. Errors for them: a column
// given twice, a target that is also dropped, Task::classification, and a cell that is not a
// number (named like an input cell).
Dataset to_dataset(const CsvTable& table, const DatasetOptions& options);

}  // namespace protean
