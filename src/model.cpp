#include "protean/model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "protean/error.hpp"
#include "protean/losses/binary_cross_entropy.hpp"
#include "protean/losses/softmax_cross_entropy.hpp"

namespace protean {

namespace {

// A default-constructed Model has no layers and zero inputs, so the column-count check would
// report that it "expects 0 input columns" instead of the real cause.
void check_not_empty(const Model& model) {
  if (model.network.layer_count() > 0) return;
  throw Error("the model is empty: it has no layers, as a default-constructed Model has",
              "load a trained model with load_model(), train one with fit(), or add layers to model.network and "
              "train it with train() before predicting");
}

}  // namespace

void Model::check_inputs(const Dataset& data) const {
  check_not_empty(*this);
  if (data.inputs.cols() != input_width()) {
    throw Error(Location{data.source},
                fmt::format("the model expects {} input columns ({}) but the data has {} ({})", input_width(),
                            fmt::join(input_names, ", "), data.inputs.cols(), fmt::join(data.input_names, ", ")),
                "give the same input columns the model was trained on, or name the target column with --target");
  }
}

InputEncoding Model::encoding() const {
  return input_encoding.empty() ? InputEncoding::numeric(input_names) : input_encoding;
}

Matrix Model::predict(ConstMatrixView inputs) {
  check_not_empty(*this);
  if (inputs.cols() != input_width()) {
    throw Error(fmt::format("the model expects {} input columns but {} were given", input_width(), inputs.cols()),
                "give the same input columns the model was trained on");
  }
  for (Index r = 0; r < inputs.rows(); ++r) {
    for (Index c = 0; c < inputs.cols(); ++c) {
      if (std::isfinite(inputs(r, c))) continue;
      const std::string name = static_cast<Index>(input_names.size()) == input_width()
                                   ? fmt::format(" ('{}')", input_names[static_cast<std::size_t>(c)])
                                   : std::string();
      throw Error(fmt::format("input row {}, column {}{} is {}", r + 1, c + 1, name, inputs(r, c)),
                  "replace the value with a finite number; the model cannot predict from NaN or infinity");
    }
  }
  Matrix scaled = Matrix::copy_of(inputs);
  if (input_scaler.fitted()) input_scaler.transform(scaled);
  Matrix outputs = network.predict(scaled);
  if (task == Task::classification && outputs.cols() == 1) {
    // One logit for two classes (binary cross-entropy): column 1 is sigmoid(z), column 0 the rest.
    Matrix probabilities = Matrix::zeros(outputs.rows(), 2);
    for (Index r = 0; r < outputs.rows(); ++r) {
      const double positive = stable_sigmoid(outputs(r, 0));
      probabilities(r, 0) = static_cast<float>(1.0 - positive);
      probabilities(r, 1) = static_cast<float>(positive);
    }
    return probabilities;
  }
  if (task == Task::classification) {
    Matrix probabilities = Matrix::zeros(outputs.rows(), outputs.cols());
    softmax_rows(outputs, probabilities);
    return probabilities;
  }
  if (target_scaler.fitted()) target_scaler.inverse_transform(outputs);
  return outputs;
}

std::vector<Index> Model::predict_classes(ConstMatrixView inputs) {
  check_not_empty(*this);
  if (task != Task::classification) {
    throw Error(fmt::format("predict_classes() needs a classification model, and this model predicts {} regression "
                            "target{}",
                            network.output_width(), network.output_width() == 1 ? "" : "s"),
                "call predict() for the regression predictions");
  }
  const Matrix probabilities = predict(inputs);
  std::vector<Index> classes(static_cast<std::size_t>(probabilities.rows()));
  for (Index r = 0; r < probabilities.rows(); ++r) {
    Index best = 0;
    for (Index c = 1; c < probabilities.cols(); ++c) {
      if (probabilities(r, c) > probabilities(r, best)) best = c;
    }
    classes[static_cast<std::size_t>(r)] = best;
  }
  return classes;
}

Metrics Model::evaluate(const Dataset& data) {
  check_not_empty(*this);
  check_dataset(data);
  check_inputs(data);
  const Matrix outputs = predict(data.inputs);
  if (task == Task::regression) {
    if (data.task != Task::regression || data.targets.cols() != outputs.cols()) {
      throw Error(Location{data.source},
                  fmt::format("the model predicts {} numeric target column(s) but the data's target is {}",
                              outputs.cols(), data.task == Task::regression ? fmt::format("{} column(s)", data.targets.cols())
                                                                            : std::string("text")),
                  "choose the target column the model was trained on with --target");
    }
    return regression_metrics(outputs, data.targets);
  }
  // The data's class ids follow its own sorted label list. Map them onto the model's by
  // class_key(), so that a label written "1.0" in the data finds the model's class "1".
  check_known_classes(data, class_names, "evaluate on data with the classes the model was trained on");
  std::vector<std::string> model_keys;
  model_keys.reserve(class_names.size());
  for (const std::string& name : class_names) model_keys.push_back(class_key(name));
  Matrix labels = Matrix::zeros(data.rows(), 1);
  for (Index r = 0; r < data.rows(); ++r) {
    const std::string& name = data.class_names.at(static_cast<std::size_t>(data.targets(r, 0)));
    const auto found = std::find(model_keys.begin(), model_keys.end(), class_key(name));
    labels(r, 0) = static_cast<float>(found - model_keys.begin());
  }
  return classification_metrics(outputs, labels);
}

namespace {

// The model reads its columns by name, so a header that repeats one of `used_names` leaves it
// unclear which column contains the values the model needs.
void reject_repeated_names(const CsvTable& table, const std::vector<std::string>& used_names) {
  const auto& names = table.column_names;
  for (const std::string& name : used_names) {
    std::vector<std::size_t> positions;
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (names[c] == name) positions.push_back(c + 1);
    }
    if (positions.size() < 2) continue;
    throw Error(Location{table.source},
                fmt::format("the header names {} columns '{}' (at positions {}), and the model reads its column '{}' by "
                            "name",
                            positions.size(), name, fmt::join(positions, ", "), name),
                "keep one column of that name: rename or remove the others");
  }
}

// Returns the table with its first row made the header when no header was detected but that row
// names every input column, else nothing. Detection has no number to go by in a short file of
// categorical columns only, and reading the names as categories would fail on the first cell.
std::optional<CsvTable> with_header_from_first_row(const CsvTable& table, const std::vector<std::string>& input_columns) {
  if (table.has_header || table.rows.size() < 2) return std::nullopt;
  std::vector<std::string> names;
  for (const std::string& field : table.rows.front()) {
    const std::size_t begin = field.find_first_not_of(" \t");
    const std::size_t end = field.find_last_not_of(" \t");
    names.push_back(begin == std::string::npos ? std::string() : field.substr(begin, end - begin + 1));
  }
  const auto named = [&](const std::string& column) { return std::find(names.begin(), names.end(), column) != names.end(); };
  if (!std::all_of(input_columns.begin(), input_columns.end(), named)) return std::nullopt;

  CsvTable promoted = table;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names[c].empty()) names[c] = fmt::format("column_{}", c + 1);
  }
  promoted.column_names = std::move(names);
  promoted.has_header = true;
  promoted.rows.erase(promoted.rows.begin());
  promoted.row_lines.erase(promoted.row_lines.begin());
  promoted.row_columns.erase(promoted.row_columns.begin());
  return promoted;
}

}  // namespace

Dataset model_dataset(const Model& model, const CsvTable& file_table, bool with_targets, MissingValues missing) {
  const InputEncoding encoding = model.encoding();
  const std::vector<std::string> input_columns = encoding.column_names();
  const std::optional<CsvTable> promoted = with_header_from_first_row(file_table, input_columns);
  const CsvTable& table = promoted ? *promoted : file_table;
  const auto& names = table.column_names;
  auto has_column = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  const bool by_name = table.has_header && std::all_of(input_columns.begin(), input_columns.end(), has_column);

  DatasetOptions options;
  options.task = model.task;
  options.has_target = with_targets;
  options.inputs_can_be_dropped = false;
  options.task_can_be_set = false;
  if (missing == MissingValues::drop_rows && !with_targets) {
    throw Error("MissingValues::drop_rows was given for prediction, which must keep every row",
                "fill in the missing values, or leave out those rows before predicting");
  }
  options.missing = missing;
  options.rows_can_be_left_out = with_targets;
  if (by_name) {
    std::vector<std::string> used_names = input_columns;
    if (with_targets) {
      const std::vector<std::string> targets =
          model.target_names.empty() ? std::vector<std::string>{std::string()} : model.target_names;
      std::vector<std::string> missing;
      for (const std::string& target : targets) {
        if (!has_column(target)) missing.push_back(fmt::format("'{}'", target));
      }
      if (!missing.empty()) {
        throw Error(Location{table.source},
                    fmt::format("the target column{} {} the model was trained on {} missing", missing.size() == 1 ? "" : "s",
                                fmt::join(missing, ", "), missing.size() == 1 ? "is" : "are"),
                    fmt::format("add {}, or use 'protean predict' for data without targets",
                                missing.size() == 1 ? "that column" : "those columns"));
      }
      if (targets.size() == 1) {
        options.target = targets.front();
      } else {
        options.targets = targets;
      }
      used_names.insert(used_names.end(), targets.begin(), targets.end());
    }
    reject_repeated_names(table, used_names);
    for (std::size_t c = 0; c < names.size(); ++c) {
      const bool used = std::find(used_names.begin(), used_names.end(), names[c]) != used_names.end();
      if (!used) options.drop_positions.push_back(static_cast<Index>(c));
    }

    // to_dataset() reads the input columns in the table's order, so it gets the model's encoding
    // in that order, and the encoded inputs are put back in the model's order afterwards.
    std::vector<std::size_t> table_order(input_columns.size());  // model column indices by table position
    std::vector<std::ptrdiff_t> positions(input_columns.size());
    for (std::size_t c = 0; c < input_columns.size(); ++c) {
      positions[c] = std::find(names.begin(), names.end(), input_columns[c]) - names.begin();
      table_order[c] = c;
    }
    std::sort(table_order.begin(), table_order.end(),
              [&](std::size_t a, std::size_t b) { return positions[a] < positions[b]; });
    std::vector<InputColumn> columns_in_table_order;
    for (const std::size_t c : table_order) columns_in_table_order.push_back(encoding.columns()[c]);
    const InputEncoding table_encoding(std::move(columns_in_table_order));
    options.encoding = table_encoding;
    Dataset data = to_dataset(table, options);

    Matrix ordered = Matrix::zeros(data.rows(), encoding.width());
    for (std::size_t j = 0; j < table_order.size(); ++j) {
      const auto model_column = static_cast<Index>(table_order[j]);
      const Index from = table_encoding.offset(static_cast<Index>(j));
      const Index to = encoding.offset(model_column);
      const Index width = encoding.columns()[table_order[j]].width();
      for (Index r = 0; r < data.rows(); ++r) {
        for (Index k = 0; k < width; ++k) ordered(r, to + k) = data.inputs(r, from + k);
      }
    }
    data.inputs = std::move(ordered);
    data.encoding = encoding;
    data.input_names = encoding.input_names();
    return data;
  }

  if (table.has_header) {
    std::vector<std::string> missing;
    for (const auto& name : input_columns) {
      if (!has_column(name)) missing.push_back(name);
    }
    throw Error(Location{table.source},
                fmt::format("the header lacks the model's input column{} {} (the file has: {})", missing.size() == 1 ? "" : "s",
                            fmt::join(missing, ", "), fmt::join(names, ", ")),
                fmt::format("name the columns {} as in training, or remove the header line to match columns by position",
                            fmt::join(input_columns, ", ")));
  }
  // Without a header the targets are the last columns, in the model's order.
  const Index input_count = encoding.column_count();
  const Index target_count =
      with_targets ? std::max<Index>(1, static_cast<Index>(model.target_names.size())) : 0;
  const Index expected = input_count + target_count;
  if (table.column_count() != expected) {
    const std::string targets_text = target_count == 0   ? std::string()
                                     : target_count == 1 ? std::string(" and the target, last")
                                                         : fmt::format(" and the {} targets, last", target_count);
    throw Error(Location{table.source},
                fmt::format("expected {} columns ({} input column{}{}) but found {}{}", expected, input_count,
                            input_count == 1 ? "" : "s", targets_text, table.column_count(),
                            table.has_header ? fmt::format(" ({})", fmt::join(names, ", ")) : std::string()),
                fmt::format("give the columns the model was trained on: {}", fmt::join(input_columns, ", ")));
  }
  if (target_count > 1) {
    for (Index c = input_count; c < expected; ++c) options.targets.push_back(std::to_string(c + 1));
  }
  options.encoding = encoding;
  Dataset data = to_dataset(table, options);
  if (target_count > 1) data.target_names = model.target_names;
  data.input_names = encoding.input_names();
  return data;
}

}  // namespace protean
