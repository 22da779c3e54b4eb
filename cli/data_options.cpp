#include "data_options.hpp"

#include "option_checks.hpp"

#include "protean/error.hpp"

namespace protean::cli {

void add_data_options(CLI::App& command, DataOptions& options, bool with_labels) {
  command.add_option("--delimiter", options.delimiter, "CSV field delimiter: ',', ';' or 'tab' (default: detected)")
      ->check(CLI::IsMember({",", ";", "tab"}));
  auto* header = command.add_flag("--header", options.header, "The first CSV line is a header (default: detected)");
  command.add_flag("--no-header", options.no_header, "The first CSV line is data (default: detected)")->excludes(header);
  command.add_flag("--decimal-comma", options.decimal_comma,
                   "Numbers use ',' as the decimal separator, as in 0,5 (the delimiter is then ';' or tab)");
  if (with_labels) {
    command.add_option("--labels", options.labels,
                       "IDX labels file; DATA is then an IDX images file (MNIST format, plain or .gz)")
        ->check(non_empty_value());
  }
}

CsvOptions csv_options(const DataOptions& options) {
  CsvOptions csv;
  if (options.delimiter == "tab" || options.delimiter == "\t") {
    csv.delimiter = '\t';
  } else if (!options.delimiter.empty()) {
    csv.delimiter = options.delimiter[0];
  }
  if (options.header) csv.header = HeaderMode::present;
  if (options.no_header) csv.header = HeaderMode::absent;
  csv.decimal_comma = options.decimal_comma;
  return csv;
}

bool looks_like_idx(const std::string& path) {
  return path.find("-idx") != std::string::npos && path.find("-ubyte") != std::string::npos;
}

}  // namespace protean::cli
