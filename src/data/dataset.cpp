#include "protean/data/dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "protean/error.hpp"

namespace protean {

const char* to_string(Task task) {
  switch (task) {
    case Task::regression:
      return "regression";
    case Task::classification:
      return "classification";
  }
  return "unknown";
}

namespace {

Matrix copy_selected_rows(const Matrix& source, const std::vector<Index>& rows) {
  Matrix result = Matrix::zeros(static_cast<Index>(rows.size()), source.cols());
  if (source.cols() == 0) return result;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    assert(rows[i] >= 0);
    assert(rows[i] < source.rows());
    std::memcpy(result.row(static_cast<Index>(i)), source.row(rows[i]), sizeof(float) * source.cols());
  }
  return result;
}

// The location of row `row` for messages: the source file, and its line there when known.
Location row_location(const Dataset& data, Index row) {
  const bool has_line = static_cast<Index>(data.source_lines.size()) == data.rows();
  return Location{data.source, has_line ? data.source_lines[static_cast<std::size_t>(row)] : 0};
}

}  // namespace

std::string class_key(std::string_view label) {
  const std::size_t begin = label.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = label.find_last_not_of(" \t");
  const std::string_view trimmed = label.substr(begin, end - begin + 1);

  // std::from_chars rejects a leading '+', so skip one that a digit or a '.' follows.
  std::string_view number = trimmed;
  if (number.size() > 1 && number.front() == '+' && number[1] != '-' && number[1] != '+') number.remove_prefix(1);
  double value = 0.0;
  const char* last = number.data() + number.size();
  const auto [stop, parse_error] = std::from_chars(number.data(), last, value, std::chars_format::general);
  if (parse_error != std::errc() || stop != last || !std::isfinite(value)) return std::string(trimmed);

  if (value == 0.0) value = 0.0;  // "-0" and "0" are one class
  std::array<char, 32> buffer{};
  const auto [written, format_error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  assert(format_error == std::errc());
  return std::string(buffer.data(), written);
}

Dataset select_rows(const Dataset& data, const std::vector<Index>& rows) {
  Dataset result;
  result.task = data.task;
  result.inputs = copy_selected_rows(data.inputs, rows);
  result.targets = copy_selected_rows(data.targets, rows);
  result.input_names = data.input_names;
  result.encoding = data.encoding;
  result.target_names = data.target_names;
  result.class_names = data.class_names;
  result.source = data.source;
  if (!data.source_lines.empty()) {
    result.source_lines.reserve(rows.size());
    for (Index row : rows) result.source_lines.push_back(data.source_lines[static_cast<std::size_t>(row)]);
  }
  return result;
}

void check_known_classes(const Dataset& data, const std::vector<std::string>& known_classes, const std::string& fix) {
  std::vector<std::string> known_keys;
  known_keys.reserve(known_classes.size());
  for (const std::string& known : known_classes) known_keys.push_back(class_key(known));
  for (Index r = 0; r < data.rows(); ++r) {
    const std::string& name = data.class_names.at(static_cast<std::size_t>(data.targets(r, 0)));
    if (std::find(known_keys.begin(), known_keys.end(), class_key(name)) != known_keys.end()) continue;
    const std::int64_t line = data.source_lines.empty() ? 0 : data.source_lines[static_cast<std::size_t>(r)];
    throw Error(Location{data.source, line},
                fmt::format("class {} was not seen in training (known classes: {})", quote_value(name),
                            fmt::join(known_classes, ", ")),
                fix);
  }
}

void check_dataset(const Dataset& data) {
  if (data.rows() == 0) throw Error(Location{data.source}, "the data has no rows", "give at least one row of data");
  if (data.targets.rows() != data.rows()) {
    throw Error(Location{data.source},
                fmt::format("the data has {} input rows but {} target rows", data.rows(), data.targets.rows()),
                "give one target row per input row");
  }
  if (data.targets.cols() == 0) throw Error(Location{data.source}, "the data has no target column", "give a target column");
  if (static_cast<Index>(data.input_names.size()) != data.inputs.cols()) {
    throw Error(Location{data.source},
                fmt::format("the data has {} input columns but {} input names", data.inputs.cols(), data.input_names.size()),
                "set Dataset::input_names to one name per input column, e.g. \"column_1\", \"column_2\"");
  }
  if (!data.encoding.empty() && data.encoding.input_names() != data.input_names) {
    throw Error(Location{data.source},
                fmt::format("the data's encoding names {} inputs ({}) but the data has {} ({})", data.encoding.width(),
                            fmt::join(data.encoding.input_names(), ", "), data.input_names.size(),
                            fmt::join(data.input_names, ", ")),
                "set Dataset::input_names to encoding.input_names(), or leave Dataset::encoding empty");
  }
  if (static_cast<Index>(data.target_names.size()) != data.targets.cols()) {
    throw Error(Location{data.source},
                fmt::format("the data has {} target columns but {} target names", data.targets.cols(),
                            data.target_names.size()),
                "set Dataset::target_names to one name per target column");
  }
  // Throws for the first NaN or infinite value of row r in `values`, a matrix of `kind` columns.
  const auto check_finite = [&](Index r, const Matrix& values, const std::vector<std::string>& names,
                                const char* kind) {
    for (Index c = 0; c < values.cols(); ++c) {
      if (std::isfinite(values(r, c))) continue;
      throw Error(row_location(data, r),
                  fmt::format("row {}, {} column '{}' is {}", r + 1, kind, names[static_cast<std::size_t>(c)],
                              values(r, c)),
                  "replace the value with a finite number or leave the row out");
    }
  };
  for (Index r = 0; r < data.rows(); ++r) {
    check_finite(r, data.inputs, data.input_names, "input");
    check_finite(r, data.targets, data.target_names, "target");
  }
  if (data.task != Task::classification) return;
  if (data.targets.cols() != 1) {
    throw Error(Location{data.source},
                fmt::format("classification data needs one target column of class ids, but has {}", data.targets.cols()),
                "give the class ids 0 to C-1 in one target column, with their names in Dataset::class_names");
  }
  for (Index r = 0; r < data.rows(); ++r) {
    const float id = data.targets(r, 0);
    if (id >= 0.0f && id < static_cast<float>(data.class_count()) && id == std::floor(id)) continue;
    throw Error(row_location(data, r),
                fmt::format("row {} has class id {}, which is not one of 0 to {}", r + 1, id, data.class_count() - 1),
                "give class ids that index Dataset::class_names");
  }
}

}  // namespace protean
