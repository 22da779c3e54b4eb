// Seeded train/validation(/test) splits.
#pragma once

#include <cstdint>
#include <vector>

#include "protean/data/dataset.hpp"

namespace protean {

struct Split {
  std::vector<Index> train;
  std::vector<Index> held_out;
};

// Shuffles the row indices with `seed` and puts round(fraction × N) rows in `held_out`.
// For classification the split is stratified: each class keeps its share in both parts, and a
// class with a single sample is an error that names the class and its line in the source.
// A fraction of 0 gives every row to `train`. Errors: fraction outside [0, 1), or a split that
// leaves either part empty.
Split split_rows(const Dataset& data, double fraction, std::uint64_t seed);

}  // namespace protean
