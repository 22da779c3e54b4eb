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

// True when `path` names an IDX file by the usual file names (…-idx3-ubyte[.gz]).
bool looks_like_idx(const std::string& path);

}  // namespace protean::cli
