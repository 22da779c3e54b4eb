#include "categorical_columns.hpp"

#include <fmt/format.h>

#include <unordered_map>

#include "missing_rows.hpp"
#include "protean/data/dataset.hpp"

namespace protean::detail {

namespace {

const std::string& cell_at(const CsvTable& table, Index row, Index column) {
  return table.rows[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)];
}

const std::string& column_name(const CsvTable& table, Index column) {
  return table.column_names[static_cast<std::size_t>(column)];
}

// The cell's text without surrounding spaces and tabs, as a category is named.
std::string trimmed(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

// Returns the end of the fix of a cell error. Dropping the column helps only where the user
// chooses the columns, not where a trained model fixes them.
std::string fix_suffix(const DatasetOptions& options) {
  return missing_rows_hint(options) +
         (options.inputs_can_be_dropped ? ", or drop the column with --drop"
                                        : "; the model needs a category in every row of its categorical input columns");
}

// Throws for an empty cell or a missing-value marker in a categorical column.
void check_filled(const CsvTable& table, Index row, Index column, const DatasetOptions& options) {
  const std::string& cell = cell_at(table, row, column);
  if (trimmed(cell).empty()) {
    throw Error(table.location(row, column),
                fmt::format("empty cell in categorical input column {}", quote_value(column_name(table, column))),
                fmt::format("fill in a category or remove the row{}", fix_suffix(options)));
  }
  if (is_missing_marker(cell)) {
    throw Error(table.location(row, column),
                fmt::format("missing value {} in categorical input column {} (missing values are not imputed, and "
                            "such a marker is not taken as a category)",
                            quote_value(cell), quote_value(column_name(table, column))),
                fmt::format("fill in a category or remove the row{}", fix_suffix(options)));
  }
}

[[noreturn]] void throw_too_many(const CsvTable& table, Index column, const std::vector<std::string>& names,
                                 Index filled, bool forced) {
  const InputColumn listed{column_name(table, column), names};
  const std::string problem =
      fmt::format("input column {} has {} distinct values in its {} filled cells ({})",
                  quote_value(listed.name), names.size(), filled, list_categories(listed, 5));
  if (forced) {
    throw Error(Location{table.source},
                fmt::format("{}, more than the {} categories --categorical encodes", problem, kMaxForcedCategories),
                fmt::format("drop the column with --drop {}, or group its values into fewer categories", column + 1));
  }
  throw Error(Location{table.source},
              fmt::format("{}, too many for a categorical column (at most {}, and fewer than half the cells once there "
                          "are {}), so it looks like a name, an id or free text",
                          problem, kMaxDetectedCategories, kMinIdLikeCategories),
              fmt::format("drop the column with --drop {}, or give --categorical {} to encode it anyway as one 0/1 "
                          "input per value",
                          column + 1, quote_value(listed.name)));
}

}  // namespace

InputColumn collect_categories(const CsvTable& table, Index column, bool forced) {
  // Count the categories over the filled cells first, so that a name column with one empty cell
  // is reported as a name column rather than as one missing value.
  std::unordered_map<std::string, std::size_t> seen;  // class_key() to its index in `names`
  std::vector<std::string> names;
  Index filled = 0;
  for (Index r = 0; r < table.row_count(); ++r) {
    const std::string& cell = cell_at(table, r, column);
    std::string name = trimmed(cell);
    if (name.empty() || is_missing_marker(cell)) continue;
    ++filled;
    if (!seen.try_emplace(class_key(name), names.size()).second) continue;
    check_utf8_text(name, table.location(r, column), "category");
    names.push_back(std::move(name));
  }
  const auto count = static_cast<Index>(names.size());
  const bool too_many = forced ? count > kMaxForcedCategories
                               : count > kMaxDetectedCategories || (count >= kMinIdLikeCategories && 2 * count > filled);
  if (too_many) throw_too_many(table, column, names, filled, forced);
  // Empty cells and missing-value markers are reported by read_category_cell(), which reads the
  // file row by row, so that the first bad cell in the file is the one named.
  sort_category_names(names);
  return InputColumn{column_name(table, column), std::move(names)};
}

void check_encoded_size(const CsvTable& table, const InputEncoding& encoding) {
  if (!encoding.has_categorical()) return;
  const double values = static_cast<double>(table.row_count()) * static_cast<double>(encoding.width());
  if (values <= kMaxEncodedValues) return;

  const InputColumn* widest = nullptr;
  for (const InputColumn& column : encoding.columns()) {
    if (widest == nullptr || column.width() > widest->width()) widest = &column;
  }
  const double gib = values * sizeof(float) / double(1ll << 30);
  throw Error(Location{table.source},
              fmt::format("the {} rows would take {} inputs each after one-hot encoding, {:.1f} GiB of memory, more "
                          "than the {:.0f} GiB limit; column {} alone has {} categories",
                          table.row_count(), encoding.width(), gib, kMaxEncodedValues * sizeof(float) / double(1ll << 30),
                          quote_value(widest->name), widest->categories.size()),
              "drop columns with many categories with --drop, group their values into fewer categories, or split the "
              "file into smaller files");
}

Index read_category_cell(const CsvTable& table, Index row, Index column, const InputEncoding& encoding,
                         Index encoded_column, const DatasetOptions& options) {
  check_filled(table, row, column, options);
  const std::string& cell = cell_at(table, row, column);
  if (const std::optional<Index> category = encoding.find_category(encoded_column, cell)) return *category;

  const InputColumn& known = encoding.columns().at(static_cast<std::size_t>(encoded_column));
  throw Error(table.location(row, column),
              fmt::format("unknown category {} in input column {}: the model was trained on {} categories ({})",
                          quote_value(trimmed(cell)), quote_value(column_name(table, column)), known.categories.size(),
                          list_categories(known)),
              "use one of those categories or remove the row; to predict for this category, train the model again on "
              "data that contain it");
}

}  // namespace protean::detail
