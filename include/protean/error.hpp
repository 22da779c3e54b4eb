// Error: the one exception type for bad user input (a CSV cell, a flag, a model file).
//
// Its message reads "context: what is wrong, the value, what to do", for example
//   data.csv:14:3: cannot parse 'abc' as a number; fix the cell or drop the column with --drop
// Programmer errors (shape mismatches between our own buffers) are asserts, not Errors.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace protean {

// Where in an input file an error was found. A zero line or column means "not known".
struct Location {
  std::string file;
  std::int64_t line = 0;
  std::int64_t column = 0;

  // Formats as "file:line:column", "file:line" or "file", whichever parts are known.
  std::string to_string() const;
};

class Error : public std::runtime_error {
 public:
  // `what` states the failure with the offending value, `fix` what the user can do about it.
  Error(Location where, const std::string& what, const std::string& fix = {});
  explicit Error(const std::string& what, const std::string& fix = {});

  const Location& where() const { return where_; }
  const std::string& problem() const { return problem_; }
  const std::string& fix() const { return fix_; }

 private:
  Location where_;
  std::string problem_;
  std::string fix_;
};

// Quotes a value from a file for a message: at most `max_chars` characters, control bytes
// escaped, so that a binary file or a 1 MB cell cannot flood the terminal.
std::string quote_value(std::string_view text, std::size_t max_chars = 40);

}  // namespace protean
