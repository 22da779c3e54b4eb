// Fuzzes the CSV reader: parse_csv on arbitrary bytes, then to_dataset on the table it returns.
// protean::Error is the expected outcome for bad input; a crash, a sanitizer report or any
// other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protean/data/csv.hpp"
#include "protean/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const protean::CsvTable table = protean::parse_csv(text, "fuzz.csv");
    protean::DatasetOptions options;
    (void)protean::to_dataset(table, options);
    // Several targets read cells by another path, without task detection.
    protean::DatasetOptions several;
    several.targets = {"1", "2"};
    try {
      (void)protean::to_dataset(table, several);
    } catch (const protean::Error&) {
    }
    // Leaving out rows with missing values copies the table first.
    protean::DatasetOptions dropping;
    dropping.missing = protean::MissingValues::drop_rows;
    try {
      (void)protean::to_dataset(table, dropping);
    } catch (const protean::Error&) {
    }
    options.has_target = false;
    (void)protean::to_dataset(table, options);
  } catch (const protean::Error&) {
  }
  return 0;
}
