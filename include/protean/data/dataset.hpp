// Dataset: a table of inputs and targets in memory, with the names that came with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protean/data/input_encoding.hpp"
#include "protean/tensor.hpp"

namespace protean {

enum class Task { regression, classification };

const char* to_string(Task task);

// The rows that to_dataset() left out for a missing value (MissingValues::drop_rows).
struct LeftOutRows {
  std::vector<std::int64_t> lines;  // 1-based line of each row left out, in file order
  Index rows_read = 0;              // rows in the table before any was left out
  // Each column read that had a missing value, with the number of its missing cells, in table
  // order. A row with two missing values counts in both of its columns.
  std::vector<std::pair<std::string, Index>> missing_by_column;

  Index count() const { return static_cast<Index>(lines.size()); }
};

struct Dataset {
  Task task = Task::regression;
  Matrix inputs;   // N×I
  Matrix targets;  // N×T for regression; N×1 holding class ids 0..C-1 for classification
  std::vector<std::string> input_names;   // I names
  // The encoding of the original columns as the I inputs, which to_dataset() fills. It is empty
  // where every input is a numeric column of its own, as in a Dataset built in memory or from IDX.
  InputEncoding encoding;
  std::vector<std::string> target_names;  // T names
  std::vector<std::string> class_names;   // C names, classification only; class id = index
  std::string source;                     // file the data came from, for messages
  std::vector<std::int64_t> source_lines; // N 1-based line numbers of each row in `source`, or empty
  LeftOutRows left_out;                   // rows of `source` not in this dataset

  Index rows() const { return inputs.rows(); }
  Index class_count() const { return static_cast<Index>(class_names.size()); }
};

// Checks what a Dataset built in memory can get wrong and to_dataset() rules out for a CSV file.
// Throws an Error for no rows, unequal input and target row counts, name lists that do not match
// the column counts, or an encoding whose input_names() differ from input_names. It also throws
// for a NaN or infinite value, naming its row and, when source_lines is filled, its line. For
// classification it throws for more than one target column or a class id outside 0 to C-1.
void check_dataset(const Dataset& data);

// Copies the rows listed in `rows` (in that order) into a new dataset with the same names.
Dataset select_rows(const Dataset& data, const std::vector<Index>& rows);

// Returns the text that identifies the class a label names, so that labels written differently
// name one class. Surrounding spaces and tabs are dropped, and a label that is a finite decimal
// number becomes its shortest round-trip form as a double: "1", "1.0", "+1", "1e0" and " 1 " all
// return "1", and "-0" returns "0". Other labels are compared as text, case and all.
std::string class_key(std::string_view label);

// Checks that every class of a classification dataset is one of `known_classes`, comparing
// class_key() of the names. Throws an Error that names the first row of an unknown class, its
// class, the known classes and `fix`.
void check_known_classes(const Dataset& data, const std::vector<std::string>& known_classes, const std::string& fix);

}  // namespace protean
