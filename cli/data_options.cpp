#include "data_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

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

void add_missing_option(CLI::App& command, std::string& missing, bool can_drop) {
  command
      .add_option("--missing", missing,
                  can_drop ? "Rows with a missing value (an empty cell, NA, ?, null and the like) in a column that is "
                             "read: 'error' stops at the first one, 'drop' leaves them out and says how many"
                           : "Rows with a missing value: 'error' stops at the first one; 'drop' is refused, since "
                             "every input row gets a prediction")
      ->check(CLI::IsMember({"error", "drop"}))
      ->capture_default_str();
}

MissingValues missing_values(const std::string& missing) {
  return missing == "drop" ? MissingValues::drop_rows : MissingValues::error;
}

void print_left_out_rows(const Dataset& data) {
  const LeftOutRows& left_out = data.left_out;
  if (left_out.count() == 0) return;
  constexpr std::size_t kLinesShown = 5;
  std::string lines;
  for (std::size_t i = 0; i < std::min(kLinesShown, left_out.lines.size()); ++i) {
    lines += fmt::format("{}{}", i == 0 ? "" : ", ", left_out.lines[i]);
  }
  if (left_out.lines.size() > kLinesShown) lines += fmt::format(" and {} more", left_out.lines.size() - kLinesShown);
  std::string cells;
  for (const auto& [name, count] : left_out.missing_by_column) {
    cells += fmt::format("{}'{}' {}", cells.empty() ? "" : ", ", name, count);
  }
  std::fprintf(stderr, "missing values: left out %lld of %lld rows of %s (line%s %s); missing cells: %s\n",
               static_cast<long long>(left_out.count()), static_cast<long long>(left_out.rows_read), data.source.c_str(),
               left_out.count() == 1 ? "" : "s", lines.c_str(), cells.c_str());
}

bool looks_like_idx(const std::string& path) {
  return path.find("-idx") != std::string::npos && path.find("-ubyte") != std::string::npos;
}

}  // namespace protean::cli
