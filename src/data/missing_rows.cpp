#include "missing_rows.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "protean/error.hpp"

namespace protean::detail {

bool is_missing_cell(const std::string& cell) {
  const bool blank = std::all_of(cell.begin(), cell.end(), [](char c) { return c == ' ' || c == '\t'; });
  return blank || is_missing_marker(cell);
}

CsvTable without_missing_rows(const CsvTable& table, const std::vector<Index>& columns, LeftOutRows& left_out) {
  std::vector<Index> missing(columns.size(), 0);
  std::vector<bool> keep(static_cast<std::size_t>(table.row_count()), true);
  for (Index r = 0; r < table.row_count(); ++r) {
    const auto& row = table.rows[static_cast<std::size_t>(r)];
    for (std::size_t k = 0; k < columns.size(); ++k) {
      if (!is_missing_cell(row[static_cast<std::size_t>(columns[k])])) continue;
      ++missing[k];
      keep[static_cast<std::size_t>(r)] = false;
    }
  }

  left_out = LeftOutRows{};
  left_out.rows_read = table.row_count();
  // Columns in table order, whatever order the caller listed them in.
  std::vector<std::size_t> order(columns.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return columns[a] < columns[b]; });
  for (const std::size_t k : order) {
    if (missing[k] > 0) {
      left_out.missing_by_column.emplace_back(table.column_names[static_cast<std::size_t>(columns[k])], missing[k]);
    }
  }

  CsvTable complete;
  complete.source = table.source;
  complete.delimiter = table.delimiter;
  complete.has_header = table.has_header;
  complete.column_names = table.column_names;
  for (Index r = 0; r < table.row_count(); ++r) {
    const auto i = static_cast<std::size_t>(r);
    if (!keep[i]) {
      left_out.lines.push_back(table.row_lines[i]);
      continue;
    }
    complete.rows.push_back(table.rows[i]);
    complete.row_lines.push_back(table.row_lines[i]);
    complete.row_columns.push_back(table.row_columns[i]);
  }

  if (complete.row_count() == 0) {
    std::string counts;
    for (const auto& [name, count] : left_out.missing_by_column) {
      counts += fmt::format("{}'{}' {}", counts.empty() ? "" : ", ", name, count);
    }
    throw Error(Location{table.source},
                fmt::format("every one of the {} rows has a missing value in a column that is read (missing cells: {})",
                            table.row_count(), counts),
                "leave out the columns that are mostly empty with --drop, or fill in their values");
  }
  return complete;
}

std::string missing_rows_hint(const DatasetOptions& options) {
  if (!options.rows_can_be_left_out || options.missing != MissingValues::error) return {};
  return ", or give --missing drop to leave out every row with a missing value";
}

}  // namespace protean::detail
