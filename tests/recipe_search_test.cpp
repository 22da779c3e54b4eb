#include "protean/recipe_search.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "protean/data/split.hpp"
#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/losses/loss.hpp"
#include "protean/random.hpp"

namespace protean {
namespace {


// y = sin(3·x₁) on [-1, 1], with `noise` standard deviation added, and `extra` inputs of pure
// noise that do not affect y.
Dataset curve(Index rows, float noise, Index extra, std::uint64_t seed) {
  Rng rng(seed);
  Dataset data;
  data.inputs = Matrix::zeros(rows, 1 + extra);
  data.targets = Matrix::zeros(rows, 1);
  for (Index r = 0; r < rows; ++r) {
    for (Index c = 0; c < 1 + extra; ++c) data.inputs(r, c) = rng.uniform(-1.0f, 1.0f);
    data.targets(r, 0) = std::sin(3.0f * data.inputs(r, 0)) + noise * rng.normal();
  }
  for (Index c = 0; c < 1 + extra; ++c) data.input_names.push_back("x" + std::to_string(c + 1));
  data.target_names = {"y"};
  data.source = "curve";
  return data;
}

FitOptions quick_options() {
  FitOptions options;
  options.hidden = {32, 32};
  options.epochs = 150;
  options.batch_size = 16;
  options.seed = 4;
  return options;
}

TEST(RecipeSearch, NoiselessCurvePrefersNoDecay) {
  const Dataset data = curve(200, 0.0f, 0, 1);
  const RecipeSearchResult result = search_recipe(data, quick_options(), {{"adam", 0.0f}, {"adam", 0.3f}}, 4);
  ASSERT_EQ(result.scores.size(), 2u);
  EXPECT_EQ(result.folds, 4);
  EXPECT_EQ(result.chosen, 0u) << "held-out losses " << result.scores[0].held_out_loss << " and "
                               << result.scores[1].held_out_loss;
}

TEST(RecipeSearch, NoisyFewRowsPreferDecay) {
  // 40 rows, noise as large as the signal and 8 useless inputs: a 32-32 network without weight
  // decay fits the noise.
  const Dataset data = curve(40, 0.7f, 8, 2);
  FitOptions options = quick_options();
  options.epochs = 400;
  const RecipeSearchResult result = search_recipe(data, options, {{"adam", 0.0f}, {"adam", 0.03f}}, 4);
  EXPECT_EQ(result.chosen, 1u) << "held-out losses " << result.scores[0].held_out_loss << " and "
                               << result.scores[1].held_out_loss;
}

TEST(RecipeSearch, ScoreIsMeanHeldOutLossOverRows) {
  const Dataset data = curve(23, 0.1f, 0, 3);  // folds of 8, 8 and 7 rows
  FitOptions options = quick_options();
  options.epochs = 20;
  const RecipeSearchResult result = search_recipe(data, options, {{"adam", 1e-3f}}, 3);

  double total = 0.0;
  std::vector<double> row_losses;
  for (const Split& split : fold_rows(data, 3, options.seed)) {
    FitOptions fold_options = options;
    fold_options.optimizer = "adam";
    fold_options.weight_decay = 1e-3f;
    fold_options.validation_fraction = 0.0;
    fold_options.search = SearchMode::off;
    FitResult fitted = fit(select_rows(data, split.train), fold_options);
    const Dataset held_out = select_rows(data, split.held_out);
    Matrix inputs = Matrix::copy_of(held_out.inputs);
    fitted.model.input_scaler.transform(inputs);
    Matrix targets = Matrix::copy_of(held_out.targets);
    fitted.model.target_scaler.transform(targets);
    const Matrix outputs = fitted.model.network.predict(inputs);
    total += make_loss("mse")->value(outputs, targets) * static_cast<double>(held_out.rows());
    for (Index r = 0; r < held_out.rows(); ++r) {
      const double error = static_cast<double>(outputs(r, 0)) - static_cast<double>(targets(r, 0));
      row_losses.push_back(error * error);
    }
  }
  EXPECT_NEAR(result.scores[0].held_out_loss, total / 23.0, 1e-9);

  ASSERT_EQ(row_losses.size(), 23u);
  const double mean = total / 23.0;
  double squared_deviations = 0.0;
  for (const double loss : row_losses) squared_deviations += (loss - mean) * (loss - mean);
  const double standard_error = std::sqrt(squared_deviations / 22.0 / 23.0);
  EXPECT_NEAR(result.scores[0].standard_error, standard_error, 1e-6 * standard_error);
}

TEST(RecipeSearch, SameSeedSameScores) {
  const Dataset data = curve(30, 0.2f, 1, 4);
  FitOptions options = quick_options();
  options.epochs = 10;
  const std::vector<RecipeCandidate> candidates = {{"adam", 0.0f}, {"lbfgs", 1e-2f}};
  const RecipeSearchResult first = search_recipe(data, options, candidates, 3);
  const RecipeSearchResult again = search_recipe(data, options, candidates, 3);
  for (std::size_t c = 0; c < candidates.size(); ++c) EXPECT_EQ(first.scores[c].held_out_loss, again.scores[c].held_out_loss);
}

TEST(RecipeSearch, ThreadsGiveSameScores) {
  const Dataset data = curve(40, 0.2f, 1, 8);
  FitOptions options = quick_options();
  options.epochs = 10;
  const std::vector<RecipeCandidate> candidates = automatic_candidates();
  const RecipeSearchResult single_thread = search_recipe(data, options, candidates, 3);
  options.threads = 3;
  std::vector<std::size_t> order;
  const RecipeSearchResult three = search_recipe(data, options, candidates, 3,
                                                 [&](const CandidateScore&, std::size_t index, std::size_t) { order.push_back(index); });
  ASSERT_EQ(three.scores.size(), candidates.size());
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    EXPECT_EQ(single_thread.scores[c].held_out_loss, three.scores[c].held_out_loss) << c;
    EXPECT_EQ(single_thread.scores[c].standard_error, three.scores[c].standard_error) << c;
  }
  EXPECT_EQ(single_thread.chosen, three.chosen);
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(RecipeSearch, ReportsEachCandidate) {
  const Dataset data = curve(30, 0.2f, 0, 5);
  FitOptions options = quick_options();
  options.epochs = 5;
  std::vector<std::size_t> seen;
  search_recipe(data, options, {{"adam", 0.0f}, {"adam", 1e-2f}, {"lbfgs", 1e-3f}}, 3,
                [&](const CandidateScore& score, std::size_t index, std::size_t count) {
                  EXPECT_EQ(count, 3u);
                  EXPECT_TRUE(std::isfinite(score.held_out_loss));
                  seen.push_back(index);
                });
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2}));
}

TEST(RecipeSearch, DivergedCandidateScoresInfinity) {
  const Dataset data = curve(30, 0.0f, 0, 6);
  FitOptions options = quick_options();
  options.epochs = 5;
  options.learning_rate = 1e30f;
  const RecipeSearchResult result = search_recipe(data, options, {{"adam", 0.0f}, {"lbfgs", 0.0f}}, 3);
  EXPECT_EQ(result.scores[0].held_out_loss, std::numeric_limits<double>::infinity());
  EXPECT_EQ(result.scores[0].standard_error, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isfinite(result.scores[1].held_out_loss)) << "L-BFGS does not use the learning rate";
  EXPECT_TRUE(std::isfinite(result.scores[1].standard_error));
  EXPECT_EQ(result.chosen, 1u);
}

TEST(RecipeSearch, StopRequestedEndsSearchEarly) {
  const Dataset data = curve(30, 0.0f, 0, 7);
  FitOptions options = quick_options();
  const std::atomic<bool> stop{true};
  options.stop_requested = &stop;
  for (const int threads : {1, 2}) {
    options.threads = threads;
    std::size_t reported = 0;
    const RecipeSearchResult result = search_recipe(data, options, automatic_candidates(), 3,
                                                    [&](const CandidateScore&, std::size_t, std::size_t) { ++reported; });
    EXPECT_TRUE(result.interrupted) << threads << " threads";
    EXPECT_TRUE(result.scores.empty()) << threads << " threads";
    EXPECT_EQ(reported, 0u) << threads << " threads";
  }
}

TEST(RecipeSearch, ClassesChosenByOneStandardErrorRule) {
  // Two overlapping classes, so that the held-out losses differ by less than their standard
  // errors. The lowest loss and the one-standard-error rule then pick different candidates.
  Rng rng(9);
  Dataset data;
  data.task = Task::classification;
  data.inputs = Matrix::zeros(60, 2);
  data.targets = Matrix::zeros(60, 1);
  for (Index r = 0; r < 60; ++r) {
    data.targets(r, 0) = static_cast<float>(r % 2);
    data.inputs(r, 0) = data.targets(r, 0) + rng.normal();
    data.inputs(r, 1) = rng.normal();
  }
  data.input_names = {"a", "b"};
  data.target_names = {"label"};
  data.class_names = {"no", "yes"};
  FitOptions options = quick_options();
  options.epochs = 20;
  const RecipeSearchResult result = search_recipe(data, options, {{"adam", 0.0f}, {"adam", 1e-2f}, {"adam", 3e-2f}}, 3);
  ASSERT_EQ(result.scores.size(), 3u);
  EXPECT_EQ(result.chosen, choose_candidate(result.scores, Task::classification));
  EXPECT_NE(result.chosen, choose_candidate(result.scores, Task::regression))
      << "held-out losses " << result.scores[0].held_out_loss << ", " << result.scores[1].held_out_loss << " and "
      << result.scores[2].held_out_loss << "; standard errors " << result.scores[0].standard_error << ", "
      << result.scores[1].standard_error << " and " << result.scores[2].standard_error;
}

CandidateScore score_of(const std::string& optimizer, float weight_decay, double held_out_loss, double standard_error) {
  return {{optimizer, weight_decay}, held_out_loss, standard_error};
}

TEST(ChooseCandidate, RegressionTakesLowestLoss) {
  const std::vector<CandidateScore> scores = {score_of("adam", 0.0f, 0.30, 0.05), score_of("adam", 1e-2f, 0.20, 0.05),
                                              score_of("adam", 3e-2f, 0.21, 0.05)};
  EXPECT_EQ(choose_candidate(scores, Task::regression), 1u);
}

TEST(ChooseCandidate, ClassesTakeLargestDecayWithinOneError) {
  const std::vector<CandidateScore> scores = {score_of("adam", 0.0f, 0.30, 0.05), score_of("adam", 1e-2f, 0.20, 0.05),
                                              score_of("adam", 3e-2f, 0.21, 0.01), score_of("lbfgs", 1e-3f, 0.22, 0.05)};
  EXPECT_EQ(choose_candidate(scores, Task::classification), 2u);
}

TEST(ChooseCandidate, ClassesSkipDecayBeyondOneError) {
  // The limit is the lowest loss plus its own standard error (0.20 + 0.05), whatever the
  // standard error of the other candidates.
  const std::vector<CandidateScore> scores = {score_of("adam", 0.0f, 0.30, 0.05), score_of("adam", 1e-2f, 0.20, 0.05),
                                              score_of("adam", 3e-2f, 0.26, 0.20)};
  EXPECT_EQ(choose_candidate(scores, Task::classification), 1u);
}

TEST(ChooseCandidate, EqualDecayTakesLowerLoss) {
  const std::vector<CandidateScore> scores = {score_of("adam", 1e-3f, 0.20, 0.05), score_of("adam", 1e-2f, 0.23, 0.05),
                                              score_of("lbfgs", 1e-2f, 0.22, 0.05)};
  EXPECT_EQ(choose_candidate(scores, Task::classification), 2u);
}

TEST(ChooseCandidate, TiesGoToEarlierCandidate) {
  const std::vector<CandidateScore> scores = {score_of("adam", 1e-2f, 0.20, 0.05), score_of("lbfgs", 1e-2f, 0.20, 0.05)};
  EXPECT_EQ(choose_candidate(scores, Task::regression), 0u);
  EXPECT_EQ(choose_candidate(scores, Task::classification), 0u);
}

TEST(ChooseCandidate, DivergedCandidateNotChosen) {
  const double infinity = std::numeric_limits<double>::infinity();
  const std::vector<CandidateScore> scores = {score_of("adam", 0.0f, 0.20, 0.05), score_of("adam", 3e-2f, infinity, infinity)};
  EXPECT_EQ(choose_candidate(scores, Task::classification), 0u);
  EXPECT_EQ(choose_candidate(scores, Task::regression), 0u);

  const std::vector<CandidateScore> all_diverged = {score_of("adam", 0.0f, infinity, infinity),
                                                    score_of("adam", 3e-2f, infinity, infinity)};
  EXPECT_EQ(choose_candidate(all_diverged, Task::classification), 0u);
}

TEST(ChooseCandidate, EmptyScoresThrow) {
  EXPECT_THROW(choose_candidate({}, Task::classification), Error);
}

TEST(RecipeSearch, AutomaticCandidates) {
  const std::vector<RecipeCandidate> candidates = automatic_candidates();
  ASSERT_EQ(candidates.size(), 7u);
  EXPECT_EQ(candidates.front().optimizer, "adam");
  EXPECT_EQ(candidates.front().weight_decay, 0.0f);
  EXPECT_EQ(candidates.back().optimizer, "lbfgs");
}

}  // namespace
}  // namespace protean
