#include "protean/error.hpp"

#include <fmt/format.h>

namespace protean {

std::string Location::to_string() const {
  if (file.empty()) return {};
  if (line <= 0) return file;
  if (column <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {

std::string compose(const Location& where, const std::string& what, const std::string& fix) {
  std::string message = where.to_string();
  if (!message.empty()) message += ": ";
  message += what;
  if (!fix.empty()) {
    message += "; ";
    message += fix;
  }
  return message;
}

}  // namespace

Error::Error(Location where, const std::string& what, const std::string& fix)
    : std::runtime_error(compose(where, what, fix)),
      where_(std::move(where)),
      problem_(what),
      fix_(fix) {}

Error::Error(const std::string& what, const std::string& fix) : Error(Location{}, what, fix) {}

std::string quote_value(std::string_view text, std::size_t max_chars) {
  std::string out = "'";
  std::size_t shown = 0;
  for (unsigned char c : text) {
    if (shown == max_chars) {
      out += "...";
      break;
    }
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++shown;
  }
  out += "'";
  return out;
}

}  // namespace protean
