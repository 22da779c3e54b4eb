// Cross-validated choice of the optimizer and the weight decay for small data sets.
//
// These two settings matter most for a small data set and depend on it: noisy or tiny data fit
// best with strong weight decay, and noiseless curves with none. A bare fit() on up to 10,000
// rows therefore fits every candidate on k-1 folds, scores the loss on the held-out fold, and
// trains the final model on all rows with the candidate of the lowest mean held-out loss.
// docs/defaults.md records the measurements behind the candidates.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "protean/data/dataset.hpp"

namespace protean {

struct FitOptions;

struct RecipeCandidate {
  std::string optimizer;      // a FitOptions::optimizer name: "adam" or "lbfgs"
  float weight_decay = 0.0f;  // as FitOptions::weight_decay for that optimizer
};

struct CandidateScore {
  RecipeCandidate candidate;
  // Mean over all rows of the training loss (standardized targets for regression) that the
  // models of the other folds give each row. Infinity when a fit diverged.
  double held_out_loss = 0.0;
};

struct RecipeSearchResult {
  int folds = 0;
  std::vector<CandidateScore> scores;  // in the order of the candidates
  std::size_t chosen = 0;              // index into `scores` of the lowest held-out loss
  double seconds = 0.0;                // wall time of all the fits
  // base.stop_requested was seen: the search ended early, and `scores` holds only the
  // candidates finished before that.
  bool interrupted = false;
};

// Called after each candidate is scored, with its position (from 0) and the candidate count.
using CandidateCallback = std::function<void(const CandidateScore& score, std::size_t index, std::size_t count)>;

// The candidates of a bare fit: Adam with weight decay 0, 1e-4, 1e-3, 1e-2 and 3e-2, and L-BFGS
// with 1e-3 and 1e-2.
std::vector<RecipeCandidate> automatic_candidates();

// Scores each candidate by `folds`-fold cross-validation (fold_rows() with base.seed). Each fit
// uses `base` with the candidate's optimizer and weight decay, no validation rows, no search and
// one thread. base.threads fits run at once, and the scores do not depend on that count.
// Ties go to the earlier candidate. `on_candidate` is called in candidate order, from whichever
// thread finished the candidate's last fold, never from two threads at once. When
// base.stop_requested becomes true the search returns early with `interrupted` set. Errors:
// those of fold_rows() and fit().
RecipeSearchResult search_recipe(const Dataset& data, const FitOptions& base, const std::vector<RecipeCandidate>& candidates,
                                 int folds, const CandidateCallback& on_candidate = {});

}  // namespace protean
