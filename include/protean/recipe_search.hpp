// Cross-validated choice of the optimizer and the weight decay for small data sets.
//
// These two settings matter most for a small data set and depend on it: noisy or tiny data fit
// best with strong weight decay, and noiseless curves with none. A bare fit() on up to 10,000
// rows therefore fits every candidate on k-1 folds, scores the loss on the held-out fold, and
// trains the final model on all rows with the candidate that choose_candidate() picks.
// docs/defaults.md records the measurements behind the candidates and the rule.
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
  // Standard error of held_out_loss: the sample standard deviation of the rows' held-out losses
  // divided by the square root of the row count. Infinity when a fit diverged.
  double standard_error = 0.0;
};

struct RecipeSearchResult {
  int folds = 0;
  std::vector<CandidateScore> scores;  // in the order of the candidates
  std::size_t chosen = 0;              // index into `scores` that choose_candidate() returns
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

// Returns the index into `scores` of the candidate to train. For regression it is the lowest
// held-out loss, because that loss measures the prediction error itself (the squared error of
// the default loss). For classification the held-out cross-entropy is only a proxy for the error
// rate, and error counts on a few hundred rows are too coarse to rank candidates. There the
// one-standard-error rule picks the most regularized candidate that cross-validation cannot tell
// apart from the best. That is the largest weight decay whose held-out loss is at most the lowest
// loss plus that loss's standard error, and among equal weight decays the one with the lower
// loss. Other ties go to the earlier candidate. Errors: `scores` is empty.
std::size_t choose_candidate(const std::vector<CandidateScore>& scores, Task task);

// Scores each candidate by `folds`-fold cross-validation (fold_rows() with base.seed). Each fit
// uses `base` with the candidate's optimizer and weight decay, no validation rows, no search and
// one thread. base.threads fits run at once, and the scores do not depend on that count.
// The choice is choose_candidate() over all the scores. `on_candidate` is called in candidate
// order, from whichever thread finished the candidate's last fold, never from two threads at
// once. When base.stop_requested becomes true the search returns early with `interrupted` set.
// Errors: those of fold_rows() and fit().
RecipeSearchResult search_recipe(const Dataset& data, const FitOptions& base, const std::vector<RecipeCandidate>& candidates,
                                 int folds, const CandidateCallback& on_candidate = {});

}  // namespace protean
