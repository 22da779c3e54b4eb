#include "protean/data/input_encoding.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "protean/data/csv.hpp"
#include "protean/data/dataset.hpp"
#include "protean/error.hpp"

namespace protean {

InputEncoding::InputEncoding(std::vector<InputColumn> columns) : columns_(std::move(columns)) {
  offsets_.reserve(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const InputColumn& column = columns_[c];
    // Numeric columns may be unnamed, as inputs of models built in C++ and saved before
    // encodings existed can be, but a category's input is named after its column.
    if (column.name.empty() && column.is_categorical()) {
      throw Error(fmt::format("categorical input column {} of the encoding has no name", c + 1),
                  "give every categorical input column a name");
    }
    std::unordered_map<std::string, Index>& ids = category_ids_.emplace_back();
    for (const std::string& category : column.categories) {
      const std::string key = class_key(category);
      if (key.empty()) {
        throw Error(fmt::format("input column '{}' has an empty category", column.name),
                    "give every category some text other than spaces");
      }
      if (!ids.try_emplace(key, static_cast<Index>(ids.size())).second) {
        throw Error(fmt::format("input column '{}' lists the category {} twice (categories are compared without "
                                "surrounding spaces, and numbers as numbers)",
                                column.name, quote_value(category)),
                    "list each category once");
      }
    }
    offsets_.push_back(width_);
    width_ += column.width();
  }
}

InputEncoding InputEncoding::numeric(const std::vector<std::string>& names) {
  std::vector<InputColumn> columns;
  columns.reserve(names.size());
  for (const std::string& name : names) columns.push_back(InputColumn{name, {}});
  return InputEncoding(std::move(columns));
}

bool InputEncoding::has_categorical() const {
  for (const InputColumn& column : columns_) {
    if (column.is_categorical()) return true;
  }
  return false;
}

std::vector<std::string> InputEncoding::column_names() const {
  std::vector<std::string> names;
  names.reserve(columns_.size());
  for (const InputColumn& column : columns_) names.push_back(column.name);
  return names;
}

std::vector<std::string> InputEncoding::input_names() const {
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(width_));
  for (const InputColumn& column : columns_) {
    if (!column.is_categorical()) {
      names.push_back(column.name);
      continue;
    }
    for (const std::string& category : column.categories) names.push_back(category_input_name(column.name, category));
  }
  return names;
}

std::optional<Index> InputEncoding::find_category(Index column, std::string_view text) const {
  const auto& ids = category_ids_.at(static_cast<std::size_t>(column));
  const auto found = ids.find(class_key(text));
  if (found == ids.end()) return std::nullopt;
  return found->second;
}

Matrix InputEncoding::encode(const std::vector<std::vector<std::string>>& rows) const {
  Matrix inputs = Matrix::zeros(static_cast<Index>(rows.size()), width_);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::vector<std::string>& cells = rows[r];
    if (cells.size() != columns_.size()) {
      throw Error(fmt::format("row {} has {} cells but the encoding has {} columns ({})", r + 1, cells.size(),
                              columns_.size(), fmt::join(column_names(), ", ")),
                  "give one cell per input column, in the encoding's column order");
    }
    float* out = inputs.row(static_cast<Index>(r));
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const InputColumn& column = columns_[c];
      const std::string& cell = cells[c];
      const std::string where = fmt::format("row {}, column '{}'", r + 1, column.name);
      if (class_key(cell).empty()) {
        throw Error(fmt::format("{} is empty", where), "fill in a value");
      }
      if (is_missing_marker(cell)) {
        throw Error(fmt::format("{} is the missing value {} (missing values are not imputed)", where, quote_value(cell)),
                    "fill in a value");
      }
      if (column.is_categorical()) {
        const std::optional<Index> category = find_category(static_cast<Index>(c), cell);
        if (!category) {
          throw Error(fmt::format("{} is the category {}, which the encoding does not have (it knows {} categories: {})",
                                  where, quote_value(cell), column.categories.size(), list_categories(column)),
                      "give one of the known categories, or train the model on data that contain this one");
        }
        out[offsets_[c] + *category] = 1.0f;
        continue;
      }
      const std::optional<float> value = parse_number(cell);
      if (!value || !std::isfinite(*value)) {
        throw Error(fmt::format("{} is {}, which is not a finite number", where, quote_value(cell)),
                    "give a number such as 0.5 or -3e2 for this numeric column");
      }
      out[offsets_[c]] = *value;
    }
  }
  return inputs;
}

std::string category_input_name(std::string_view column, std::string_view category) {
  return fmt::format("{}={}", column, category);
}

std::string list_categories(const InputColumn& column, std::size_t max_listed) {
  std::string list;
  const std::size_t listed = std::min(column.categories.size(), max_listed);
  for (std::size_t k = 0; k < listed; ++k) {
    if (k > 0) list += ", ";
    list += quote_value(column.categories[k]);
  }
  if (column.categories.size() > listed) list += fmt::format(", ... ({} in all)", column.categories.size());
  return list;
}

}  // namespace protean
