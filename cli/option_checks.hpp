// Checks of option values whose messages state the accepted values in plain words. They replace
// CLI11's Range, PositiveNumber and NonNegativeNumber, which in CLI11 2.1.2 let NaN through, print
// unbounded ranges with the 309-digit maximum of a double, and report "1.5 not in range 1 to 10"
// for a fraction given to a whole-number option.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace protean::cli {

enum class Bound { included, excluded };

// The largest finite float, the bound of options that the library reads as float.
constexpr double kFloatMax = 3.4028234663852886e38;

// A whole number in decimal digits, from `minimum` to `maximum`.
CLI::Validator whole_number(std::int64_t minimum, std::int64_t maximum);

// A whole number from 0 to 2^64 - 1, for options stored as std::uint64_t.
CLI::Validator unsigned_64_number();

// A finite number within the float range that lies above `minimum` (or equals it when `lower` is
// included) and below `maximum` (or equals it when `upper` is included). The message on a bad
// value suggests `example`.
CLI::Validator real_number(double minimum, Bound lower, double maximum, Bound upper, const std::string& example);

// A finite number above 0, within the float range.
CLI::Validator positive_number(const std::string& example);

// A finite number of 0 or more, within the float range.
CLI::Validator nonnegative_number(const std::string& example);

// Any text but the empty string. Options whose empty value means "not given" use it, so that an
// empty shell variable does not silently turn into the default.
CLI::Validator non_empty_value();

}  // namespace protean::cli
