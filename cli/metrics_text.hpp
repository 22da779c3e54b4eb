// Text of the metrics that `protean eval` and `protean fit` print, with one line per target
// column when a model has several.
#pragma once

#include <string>
#include <vector>

#include "protean/train/metrics.hpp"

namespace protean::cli {

// Formats `metrics` after `prefix`, as in "data.csv (500 rows): rmse 0.01  mae 0.008  r2 0.99\n"
// for the prefix "data.csv (500 rows): ". With several target columns the first line contains the
// means over the targets, marked as such, and an indented line per target follows
// ("  y1: rmse ...").
std::string metrics_text(const std::string& prefix, const Metrics& metrics, const std::vector<std::string>& target_names);

}  // namespace protean::cli
