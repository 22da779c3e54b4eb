// Categorical input columns of a CSV table: finding their categories for a new encoding, and
// reading each cell's category. Internal to the library; to_dataset() is the public entry.
#pragma once

#include <string>

#include "protean/data/csv.hpp"
#include "protean/data/input_encoding.hpp"
#include "protean/error.hpp"

namespace protean::detail {

// The maximum number of categories of a column detected as categorical, because a column with
// more is far more often a name, an id or a free-text field than a category.
inline constexpr Index kMaxDetectedCategories = 100;
// A detected column with at least this many categories is rejected too when it has more
// categories than half its filled cells, as an id or a name column has.
inline constexpr Index kMinIdLikeCategories = 20;
// --categorical lifts the limits above, but not this one, since the inputs take rows × categories
// floats of memory.
inline constexpr Index kMaxForcedCategories = 10'000;

// The maximum number of input values (rows × inputs) of a table with categorical columns, 4 GiB
// of float32. One-hot inputs can take far more memory than the file, so past this size the reader
// raises an error instead of failing to allocate.
// NOTE: a fixed limit, not derived from the memory of the machine that runs the reader.
inline constexpr double kMaxEncodedValues = double(1ll << 30);

// Returns true when more than half of the filled cells of `column` contain text other than a
// number, a number written with ',' or a missing-value marker. Defined in csv.cpp.
bool column_is_mostly_text(const CsvTable& table, Index column);

// Sorts category or class names numerically when every name is a number, else by byte order.
// Defined in csv.cpp.
void sort_category_names(std::vector<std::string>& names);

// Throws an Error at `where` when `name` is not valid UTF-8. Defined in csv.cpp.
void check_utf8_text(const std::string& name, const Location& where, std::string_view description);

// Collects the categories of `column` for a new encoding, sorted as sort_category_names() does.
// `forced` marks a column named by DatasetOptions::categorical, which may contain numbers and up
// to kMaxForcedCategories categories. Throws an Error for too many categories, naming the column,
// the count and the options that help. Empty and missing-value cells are skipped here and
// reported by read_category_cell().
InputColumn collect_categories(const CsvTable& table, Index column, bool forced);

// Throws an Error when `encoding` has a categorical column and the table's rows would take more
// than kMaxEncodedValues input values, naming the column with the most categories.
void check_encoded_size(const CsvTable& table, const InputEncoding& encoding);

// Returns the index of the category of cell (row, column) in column `encoded_column` of
// `encoding`. Throws an Error naming the cell for an empty cell, a missing-value marker and a
// category that the encoding does not have.
Index read_category_cell(const CsvTable& table, Index row, Index column, const InputEncoding& encoding,
                         Index encoded_column, const DatasetOptions& options);

}  // namespace protean::detail
