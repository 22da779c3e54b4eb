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
// Every class with 2 or more samples keeps at least one in `train`, even where that holds out
// fewer than round(fraction × N) rows. A fraction of 0 gives every row to `train`.
// Both parts list row indices in shuffled order. The same seed gives the same split with every
// compiler and standard library (std::mt19937_64 is fully specified, and the shuffle uses only
// its raw output). Errors: fraction outside [0, 1), or a split that leaves either part empty.
Split split_rows(const Dataset& data, double fraction, std::uint64_t seed);

// Splits the rows into `folds` parts of near-equal size for k-fold cross-validation and returns
// one Split per fold: that fold's rows held out, all other rows in `train`. The rows are shuffled
// with `seed` first. For classification each class is dealt over the folds in turn, so every fold
// keeps about the class shares of the whole. Every row is held out by exactly one fold.
// Errors: `folds` below 2 or above the row count.
std::vector<Split> fold_rows(const Dataset& data, int folds, std::uint64_t seed);

}  // namespace protean
