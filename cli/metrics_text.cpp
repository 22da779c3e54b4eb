#include "metrics_text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace protean::cli {

std::string metrics_text(const std::string& prefix, const Metrics& metrics, const std::vector<std::string>& target_names) {
  std::string text = prefix + metrics.to_string();
  const std::size_t targets = metrics.targets.size();
  if (targets < 2) return text + "\n";

  text += fmt::format(" (mean of {} targets)\n", targets);
  std::size_t width = 0;
  for (std::size_t t = 0; t < targets; ++t) {
    width = std::max(width, t < target_names.size() ? target_names[t].size() : 0);
  }
  for (std::size_t t = 0; t < targets; ++t) {
    // A Dataset built in memory may lack names; number the columns then.
    const std::string name = t < target_names.size() ? target_names[t] : fmt::format("target {}", t + 1);
    text += fmt::format("  {:<{}} {}\n", name + ":", width + 1, metrics.targets[t].to_string());
  }
  return text;
}

}  // namespace protean::cli
