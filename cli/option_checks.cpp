#include "option_checks.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <system_error>

namespace protean::cli {

namespace {

static_assert(kFloatMax == std::numeric_limits<float>::max());

// Drops one leading '+', which std::from_chars does not accept but CLI11's own conversion does.
std::string_view without_plus(std::string_view text) {
  if (text.size() > 1 && text.front() == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
  return text;
}

template <typename Integer>
bool parse_whole(std::string_view text, Integer& value) {
  text = without_plus(text);
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && stop == end;
}

bool unbounded_above(double minimum, double maximum, Bound upper) {
  return minimum == 0.0 && maximum >= kFloatMax && upper == Bound::included;
}

// The accepted values in words, for messages: "a positive number", "a number in (0, 1]".
std::string describe_range(double minimum, Bound lower, double maximum, Bound upper) {
  if (unbounded_above(minimum, maximum, upper)) {
    return lower == Bound::excluded ? "a positive number" : "0 or a positive number";
  }
  return fmt::format("a number in {}{:g}, {:g}{}", lower == Bound::included ? '[' : '(', minimum, maximum,
                     upper == Bound::included ? ']' : ')');
}

// The accepted values as a label for the help text: "POSITIVE", "FLOAT in (0, 1]".
std::string label_range(double minimum, Bound lower, double maximum, Bound upper) {
  if (unbounded_above(minimum, maximum, upper)) return lower == Bound::excluded ? "POSITIVE" : "NONNEGATIVE";
  return fmt::format("FLOAT in {}{:g}, {:g}{}", lower == Bound::included ? '[' : '(', minimum, maximum,
                     upper == Bound::included ? ']' : ')');
}

}  // namespace

CLI::Validator whole_number(std::int64_t minimum, std::int64_t maximum) {
  const std::string range = maximum == std::numeric_limits<std::int32_t>::max()
                                ? fmt::format("a whole number of {} or more", minimum)
                                : fmt::format("a whole number from {} to {}", minimum, maximum);
  const std::string description = maximum == std::numeric_limits<std::int32_t>::max()
                                      ? fmt::format("INT >= {}", minimum)
                                      : fmt::format("INT in [{} - {}]", minimum, maximum);
  return CLI::Validator(
      [minimum, maximum, range](const std::string& text) -> std::string {
        std::int64_t value = 0;
        if (parse_whole(text, value) && value >= minimum && value <= maximum) return {};
        return fmt::format("invalid value '{}': give {}", text, range);
      },
      description);
}

CLI::Validator unsigned_64_number() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        std::uint64_t value = 0;
        // from_chars reads "-1" as an error for unsigned types, so negative values are rejected here.
        if (parse_whole(text, value)) return {};
        return fmt::format("invalid value '{}': give a whole number from 0 to {}", text,
                           std::numeric_limits<std::uint64_t>::max());
      },
      "UINT64");
}

CLI::Validator real_number(double minimum, Bound lower, double maximum, Bound upper, const std::string& example) {
  const std::string range = describe_range(minimum, lower, maximum, upper);
  return CLI::Validator(
      [=](const std::string& text) -> std::string {
        const std::string_view number = without_plus(text);
        double value = 0.0;
        const char* end = number.data() + number.size();
        const auto [stop, ec] = std::from_chars(number.data(), end, value, std::chars_format::general);
        const bool parsed = ec == std::errc() && stop == end && std::isfinite(value) && std::abs(value) <= kFloatMax;
        const bool above = lower == Bound::included ? value >= minimum : value > minimum;
        const bool below = upper == Bound::included ? value <= maximum : value < maximum;
        if (parsed && above && below) return {};
        return fmt::format("invalid value '{}': give {} such as {}", text, range, example);
      },
      label_range(minimum, lower, maximum, upper));
}

CLI::Validator positive_number(const std::string& example) {
  return real_number(0.0, Bound::excluded, kFloatMax, Bound::included, example);
}

CLI::Validator nonnegative_number(const std::string& example) {
  return real_number(0.0, Bound::included, kFloatMax, Bound::included, example);
}

CLI::Validator non_empty_value() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        if (!text.empty()) return {};
        return "the value is empty: give a value, or leave the option out for its default";
      },
      "");
}

}  // namespace protean::cli
