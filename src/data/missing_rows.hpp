// Rows with missing values in a CSV table: leaving them out (MissingValues::drop_rows) and the
// hint that errors about a missing value give. Internal to the library; to_dataset() is the
// public entry.
#pragma once

#include <string>
#include <vector>

#include "protean/data/csv.hpp"
#include "protean/data/dataset.hpp"

namespace protean::detail {

// Returns true for an empty cell (spaces and tabs only) or a missing-value marker.
bool is_missing_cell(const std::string& cell);

// Returns a copy of `table` without the rows that have a missing cell in one of `columns`, and
// records those rows in `left_out`. Throws an Error when no row is left, naming each column's
// count of missing cells.
CsvTable without_missing_rows(const CsvTable& table, const std::vector<Index>& columns, LeftOutRows& left_out);

// The end of the fix of an error about a missing value: ", or give --missing drop to leave out
// every row with a missing value" where the caller can leave rows out, else empty.
std::string missing_rows_hint(const DatasetOptions& options);

}  // namespace protean::detail
