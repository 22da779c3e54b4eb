#include "protean/data/dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cassert>
#include <cstring>

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

}  // namespace

Dataset select_rows(const Dataset& data, const std::vector<Index>& rows) {
  Dataset result;
  result.task = data.task;
  result.inputs = copy_selected_rows(data.inputs, rows);
  result.targets = copy_selected_rows(data.targets, rows);
  result.input_names = data.input_names;
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
  for (Index r = 0; r < data.rows(); ++r) {
    const std::string& name = data.class_names.at(static_cast<std::size_t>(data.targets(r, 0)));
    if (std::find(known_classes.begin(), known_classes.end(), name) != known_classes.end()) continue;
    const std::int64_t line = data.source_lines.empty() ? 0 : data.source_lines[static_cast<std::size_t>(r)];
    throw Error(Location{data.source, line},
                fmt::format("class {} was not seen in training (known classes: {})", quote_value(name),
                            fmt::join(known_classes, ", ")),
                fix);
  }
}

}  // namespace protean
