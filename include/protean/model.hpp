// Model: a trained network with everything needed to use it on raw data: the input and target
// standardization, the column names, the class names and a summary of how it was trained.
//
//   protean::Model model = protean::load_model("model.safetensors");
//   protean::Matrix y = model.predict(x);   // x: N×I raw inputs; y: N×T targets or N×C probabilities
#pragma once

#include <string>
#include <vector>

#include "protean/data/csv.hpp"
#include "protean/data/dataset.hpp"
#include "protean/data/input_encoding.hpp"
#include "protean/data/standardizer.hpp"
#include "protean/network.hpp"
#include "protean/train/metrics.hpp"

namespace protean {

class Model {
 public:
  Task task = Task::regression;
  Network network;
  Standardizer input_scaler;   // 1×I; fit() always fits it, an unfitted one passes inputs through
  Standardizer target_scaler;  // 1×T for regression; unfitted for classification
  std::vector<std::string> input_names;  // I names, one per network input ("sex=M" for a category)
  // The encoding of the original data columns as the I inputs, set by fit() and load_model(). A
  // Model built in C++ may leave it empty, and encoding() then takes each input as a numeric column.
  InputEncoding input_encoding;
  std::vector<std::string> target_names;
  std::vector<std::string> class_names;
  std::string loss;              // a make_loss() name: "mse", "mae", "huber", "cross_entropy" or "bce"
  std::string training_summary;  // JSON text written by fit(): options, epochs, metrics, timing

  Index input_width() const { return network.input_width(); }
  // input_encoding, or an encoding of one numeric column per input name when it is empty. Encode
  // raw rows with encoding().encode(rows) before predict().
  InputEncoding encoding() const;

  // Regression: N×T predictions in the targets' units. Classification: N×C class probabilities
  // (softmax of C logits, or [1 − sigmoid(z), sigmoid(z)] for a two-class network with one logit).
  // Errors: a model without layers (default-constructed, neither loaded nor trained), a column
  // count other than input_width(), or a NaN or infinite input (names its row and column).
  Matrix predict(ConstMatrixView inputs);
  // The class id with the highest probability, for each row. Errors: a regression model, and those of predict().
  std::vector<Index> predict_classes(ConstMatrixView inputs);
  // Metrics on labelled data in the targets' own units. Errors: those of check_inputs() and
  // check_dataset(), and a class the model does not know.
  Metrics evaluate(const Dataset& data);

  // Checks that the model has layers and that a dataset's inputs match it (count, and names when
  // both have them), and throws an Error naming the expected and given columns otherwise.
  void check_inputs(const Dataset& data) const;
};

// Picks the model's original input columns (encoding().column_names()) out of a table and encodes
// them as in training: a categorical column becomes its 0/1 inputs, and a category the model
// does not know is an error naming the cell. When the table has a header, it must name every
// input column; columns are taken by name and other columns are ignored. Without a header the
// column count must equal the input column count, plus the target count when with_targets. The
// target columns are those named as the model's targets, or the last T columns of a headerless
// table in the model's order. A header that names one of the model's columns twice is an error.
// Errors give the expected and the found columns, and name every missing target column.
// With MissingValues::drop_rows, rows with a missing value in a column read are left out and
// recorded in Dataset::left_out; prediction (with_targets false) cannot leave rows out.
Dataset model_dataset(const Model& model, const CsvTable& table, bool with_targets,
                      MissingValues missing = MissingValues::error);

}  // namespace protean
