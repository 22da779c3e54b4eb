// Options shared by the commands that read a data file, and the reading itself.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "protean/data/csv.hpp"
#include "protean/data/dataset.hpp"

namespace protean::cli {

struct DataOptions {
  std::string delimiter;    // "", ",", ";", "tab"
  bool header = false;
  bool no_header = false;
  bool decimal_comma = false;  // numbers use ',' as the decimal separator
  std::string labels;       // IDX labels file: DATA is then an IDX images file
};

// Registers --delimiter, --header, --no-header, --decimal-comma and (when with_labels) --labels.
void add_data_options(CLI::App& command, DataOptions& options, bool with_labels);

CsvOptions csv_options(const DataOptions& options);

// Registers --missing, whose value ("error" or "drop") goes to `missing`. Commands that cannot
// leave rows out (predict) pass can_drop false. Their help then states it, and they reject "drop".
void add_missing_option(CLI::App& command, std::string& missing, bool can_drop = true);

MissingValues missing_values(const std::string& missing);

// Prints to stderr how many rows to_dataset() left out for missing values, their first lines and
// each column's count of missing cells. Prints nothing when no row was left out.
void print_left_out_rows(const Dataset& data);

// True when `path` names an IDX file by the usual file names (…-idx3-ubyte[.gz]).
bool looks_like_idx(const std::string& path);

}  // namespace protean::cli
