#include "protean/data/split.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <utility>

#include "protean/error.hpp"

namespace protean {

namespace {

// Returns a uniform integer in [0, bound) from raw 64-bit draws, rejecting the draws that would
// bias the remainder. std::uniform_int_distribution is not used because its output differs
// between standard libraries, and a seed must give the same split everywhere.
std::uint64_t uniform_below(std::mt19937_64& engine, std::uint64_t bound) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t excess = (kMax % bound + 1) % bound;  // 2^64 mod bound
  while (true) {
    const std::uint64_t draw = engine();
    if (draw <= kMax - excess) return draw % bound;
  }
}

// Fisher-Yates shuffle driven by uniform_below.
void shuffle_indices(std::vector<Index>& indices, std::mt19937_64& engine) {
  for (std::size_t i = indices.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_below(engine, i));
    std::swap(indices[i - 1], indices[j]);
  }
}

std::size_t rounded_share(double fraction, std::size_t count) {
  return static_cast<std::size_t>(std::llround(fraction * static_cast<double>(count)));
}

void check_fraction(double fraction) {
  if (!(fraction >= 0.0 && fraction < 1.0)) {
    throw Error(fmt::format("the validation fraction {} is outside [0, 1)", fraction),
                "give a fraction such as 0.2, or 0 to train on every row");
  }
}

void check_parts(const Split& split, double fraction, std::size_t rows) {
  if (split.held_out.empty() || split.train.empty()) {
    throw Error(fmt::format("a validation fraction of {} of {} rows leaves {} rows for training and {} held out",
                            fraction, rows, split.train.size(), split.held_out.size()),
                "choose a fraction that leaves rows in both parts, add rows, or use --validation 0");
  }
}

// Splits row indices that are not grouped by class.
Split split_plain(std::size_t rows, double fraction, std::mt19937_64& engine) {
  std::vector<Index> order(rows);
  std::iota(order.begin(), order.end(), Index{0});
  shuffle_indices(order, engine);

  const auto held_out_count = static_cast<std::ptrdiff_t>(rounded_share(fraction, rows));
  Split split;
  split.held_out.assign(order.begin(), order.begin() + held_out_count);
  split.train.assign(order.begin() + held_out_count, order.end());
  return split;
}

std::string describe_row(const Dataset& data, Index row) {
  if (!data.source_lines.empty()) {
    return fmt::format("{}:{}", data.source.empty() ? "the data" : data.source,
                       data.source_lines[static_cast<std::size_t>(row)]);
  }
  return fmt::format("row {} of {}", row + 1, data.source.empty() ? "the data" : data.source);
}

std::string describe_class(const Dataset& data, std::size_t id) {
  if (id < data.class_names.size()) return quote_value(data.class_names[id]);
  return fmt::format("with id {}", id);
}

// Groups row indices by class id, keeping row order inside each class.
std::vector<std::vector<Index>> group_by_class(const Dataset& data) {
  std::vector<std::vector<Index>> groups(data.class_names.size());
  for (Index r = 0; r < data.rows(); ++r) {
    const float value = data.targets(r, 0);
    const bool valid_id = value >= 0.0f && value == std::floor(value) && value < 16777216.0f;
    if (!valid_id) {
      throw Error(Location{data.source}, fmt::format("target of row {} is {}, not a class id", r + 1, value),
                  "use a classification dataset whose targets are class ids 0, 1, 2, ...");
    }
    const auto id = static_cast<std::size_t>(value);
    if (id >= groups.size()) groups.resize(id + 1);
    groups[id].push_back(r);
  }
  return groups;
}

// Decides how many rows of each class to hold out: floor(fraction × class size) first, then the
// rows still missing from round(fraction × N) go to the classes with the largest remainders.
// A class never gives up its last training row.
std::vector<std::size_t> held_out_per_class(const std::vector<std::vector<Index>>& groups, double fraction,
                                            std::size_t rows) {
  std::vector<std::size_t> counts(groups.size(), 0);
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t assigned = 0;
  for (std::size_t c = 0; c < groups.size(); ++c) {
    const double share = fraction * static_cast<double>(groups[c].size());
    counts[c] = static_cast<std::size_t>(std::floor(share));
    assigned += counts[c];
    remainders.emplace_back(share - std::floor(share), c);
  }

  // Largest remainder first; ties go to the lower class id so the result does not depend on sort
  // stability.
  std::sort(remainders.begin(), remainders.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  // NOTE: when round(fraction × N) exceeds N minus the number of classes, keeping one training
  // row per class wins, so fewer rows than round(fraction × N) are held out.
  // The first pass tops up classes with a fractional share, and the second any class with room.
  const std::size_t requested_total = rounded_share(fraction, rows);
  for (std::size_t pass = 0; pass < 2 && assigned < requested_total; ++pass) {
    for (const auto& [remainder, c] : remainders) {
      if (assigned >= requested_total) break;
      if (counts[c] + 1 < groups[c].size() && (pass == 1 || remainder > 0.0)) {
        ++counts[c];
        ++assigned;
      }
    }
  }
  return counts;
}

Split split_stratified(const Dataset& data, double fraction, std::mt19937_64& engine) {
  std::vector<std::vector<Index>> groups = group_by_class(data);
  // Every class with a single sample, in the order of their rows in the file.
  std::vector<std::pair<Index, std::size_t>> single;  // (row, class id)
  for (std::size_t c = 0; c < groups.size(); ++c) {
    if (groups[c].size() == 1) single.emplace_back(groups[c].front(), c);
  }
  if (single.size() == 1) {
    const auto [row, c] = single.front();
    throw Error(Location{data.source},
                fmt::format("class {} has a single sample ({}), so it cannot appear in both the training and the "
                            "validation part",
                            describe_class(data, c), describe_row(data, row)),
                "add samples of this class, remove the class, or use --validation 0");
  }
  if (!single.empty()) {
    std::sort(single.begin(), single.end());
    constexpr std::size_t kListed = 5;
    std::vector<std::string> listed;
    for (std::size_t i = 0; i < std::min(single.size(), kListed); ++i) {
      listed.push_back(fmt::format("{} ({})", describe_class(data, single[i].second), describe_row(data, single[i].first)));
    }
    const std::string more = single.size() > kListed ? fmt::format(" and {} more", single.size() - kListed) : "";
    throw Error(Location{data.source},
                fmt::format("{} classes have a single sample: {}{}, so they cannot appear in both the training and "
                            "the validation part",
                            single.size(), fmt::join(listed, ", "), more),
                "add samples of these classes, remove them, or use --validation 0");
  }

  const std::vector<std::size_t> held_out_counts =
      held_out_per_class(groups, fraction, static_cast<std::size_t>(data.rows()));
  Split split;
  for (std::size_t c = 0; c < groups.size(); ++c) {
    shuffle_indices(groups[c], engine);
    const auto cut = groups[c].begin() + static_cast<std::ptrdiff_t>(held_out_counts[c]);
    split.held_out.insert(split.held_out.end(), groups[c].begin(), cut);
    split.train.insert(split.train.end(), cut, groups[c].end());
  }
  // Mix the classes, which the loop above appended one after another.
  shuffle_indices(split.train, engine);
  shuffle_indices(split.held_out, engine);
  return split;
}

}  // namespace

Split split_rows(const Dataset& data, double fraction, std::uint64_t seed) {
  check_fraction(fraction);
  std::mt19937_64 engine(seed);
  const auto rows = static_cast<std::size_t>(data.rows());

  const bool stratified = fraction > 0.0 && data.task == Task::classification && data.targets.cols() >= 1;
  Split split = stratified ? split_stratified(data, fraction, engine) : split_plain(rows, fraction, engine);
  if (fraction > 0.0) check_parts(split, fraction, rows);
  return split;
}

std::vector<Split> fold_rows(const Dataset& data, int folds, std::uint64_t seed) {
  if (folds < 2 || static_cast<Index>(folds) > data.rows()) {
    throw Error(fmt::format("cannot split {} rows into {} cross-validation folds", data.rows(), folds),
                "use at least 2 folds and no more folds than rows");
  }
  std::mt19937_64 engine(seed);
  // The order in which rows are dealt to the folds: shuffled, and for classes grouped by class,
  // so that dealing in turn spreads each class evenly.
  std::vector<Index> order;
  if (data.task == Task::classification && data.targets.cols() >= 1) {
    std::vector<std::vector<Index>> groups = group_by_class(data);
    for (std::vector<Index>& group : groups) {
      shuffle_indices(group, engine);
      order.insert(order.end(), group.begin(), group.end());
    }
  } else {
    order.resize(static_cast<std::size_t>(data.rows()));
    std::iota(order.begin(), order.end(), Index{0});
    shuffle_indices(order, engine);
  }

  std::vector<std::vector<Index>> members(static_cast<std::size_t>(folds));
  for (std::size_t i = 0; i < order.size(); ++i) members[i % members.size()].push_back(order[i]);
  std::vector<Split> splits(members.size());
  for (std::size_t k = 0; k < members.size(); ++k) {
    splits[k].held_out = members[k];
    for (std::size_t other = 0; other < members.size(); ++other) {
      if (other != k) splits[k].train.insert(splits[k].train.end(), members[other].begin(), members[other].end());
    }
    shuffle_indices(splits[k].train, engine);
  }
  return splits;
}

}  // namespace protean
