// InputEncoding: how the original input columns of a table become the network's inputs.
//
// A numeric column is one input, read as a number. A categorical column becomes one 0/1 input per
// category (one-hot encoding): a row has 1 in the input of its category and 0 in the others.
// Categories are compared by class_key(), as class labels are: surrounding spaces do not count,
// numbers are compared as numbers ("1" and "1.0" are one category), other text byte by byte.
// The input of category K of column "sex" is named "sex=K".
//
// fit() does not standardize the 0/1 inputs, so the model's input scaler has mean 0 and scale 1
// for them. A rare category's 1 then stays 1 instead of becoming a large z-score, and a weight on
// it is the effect of that category.
//
// A trained model stores its encoding (Model::input_encoding), so raw rows can be encoded the
// same way the training data were:
//
//   protean::Model model = protean::load_model("model.safetensors");
//   const protean::InputEncoding encoding = model.encoding();
//   // One cell per original column, in encoding.column_names() order, e.g. {"sex", "length"}.
//   protean::Matrix x = encoding.encode({{"M", "0.455"}, {"F", "0.53"}});
//   protean::Matrix y = model.predict(x);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protean/tensor.hpp"

namespace protean {

// One original input column.
struct InputColumn {
  std::string name;
  // Empty for a numeric column. Else the categories in the order of their 0/1 inputs, each named
  // as the data first wrote it, without surrounding spaces.
  std::vector<std::string> categories;

  bool is_categorical() const { return !categories.empty(); }
  // The number of network inputs the column becomes: 1, or one per category.
  Index width() const { return is_categorical() ? static_cast<Index>(categories.size()) : 1; }

  bool operator==(const InputColumn& other) const = default;
};

class InputEncoding {
 public:
  InputEncoding() = default;
  // Throws Error for a categorical column without a name, and for a category that is empty or
  // whose class_key() repeats an earlier one of its column, since a cell could then not pick one
  // input.
  explicit InputEncoding(std::vector<InputColumn> columns);
  // An encoding in which every column is numeric.
  static InputEncoding numeric(const std::vector<std::string>& names);

  bool empty() const { return columns_.empty(); }
  bool has_categorical() const;
  const std::vector<InputColumn>& columns() const { return columns_; }
  Index column_count() const { return static_cast<Index>(columns_.size()); }
  // The number of network inputs: the sum of the columns' widths.
  Index width() const { return width_; }
  // The index of the first network input of column `column`.
  Index offset(Index column) const { return offsets_.at(static_cast<std::size_t>(column)); }
  std::vector<std::string> column_names() const;
  // One name per network input: the column name for a numeric column, "name=category" for each
  // category of a categorical one.
  std::vector<std::string> input_names() const;

  // Returns the index of the category of `column` with the same class_key() as `text`, or
  // nothing when the column has no such category or is numeric.
  std::optional<Index> find_category(Index column, std::string_view text) const;

  // Encodes rows of raw cells: rows[r][c] is the text of column c. Numeric cells are read like
  // CSV cells (parse_number()). Errors name the 1-based row, the column and the value. The
  // encoding throws them for a row whose cell count is not column_count(), an empty cell and a
  // missing-value marker (is_missing_marker()). It also throws them for a numeric cell that is
  // not a finite number and a category it does not have, listing the first known ones.
  Matrix encode(const std::vector<std::vector<std::string>>& rows) const;

  bool operator==(const InputEncoding& other) const = default;

 private:
  std::vector<InputColumn> columns_;
  std::vector<Index> offsets_;
  Index width_ = 0;
  // Per column, class_key() of each category to its index, so that a cell costs one lookup.
  std::vector<std::unordered_map<std::string, Index>> category_ids_;
};

// Returns the name of the input of one category, "column=category".
std::string category_input_name(std::string_view column, std::string_view category);

// Lists the first `max_listed` categories of a column for messages, quoted and comma-separated,
// with the total count when some are left out: "'F', 'I', 'M'".
std::string list_categories(const InputColumn& column, std::size_t max_listed = 10);

}  // namespace protean
