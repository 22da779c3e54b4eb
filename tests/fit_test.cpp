// fit(): when the cross-validated search of the optimizer and weight decay runs, and what it
// trains afterwards.
#include "protean/fit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "protean/error.hpp"
#include "protean/random.hpp"

namespace protean {
namespace {

using ::testing::HasSubstr;

Dataset small_regression(Index rows) {
  Rng rng(11);
  Dataset data;
  data.inputs = Matrix::zeros(rows, 2);
  data.targets = Matrix::zeros(rows, 1);
  for (Index r = 0; r < rows; ++r) {
    data.inputs(r, 0) = rng.uniform(-1.0f, 1.0f);
    data.inputs(r, 1) = rng.uniform(-1.0f, 1.0f);
    data.targets(r, 0) = data.inputs(r, 0) * data.inputs(r, 1) + 0.1f * rng.normal();
  }
  data.input_names = {"a", "b"};
  data.target_names = {"y"};
  data.source = "small.csv";
  return data;
}

bool same_outputs(Model& first, Model& second, const Dataset& data) {
  const Matrix a = first.predict(data.inputs);
  const Matrix b = second.predict(data.inputs);
  return bitwise_equal(a, b);
}

TEST(FitSearch, BareRecipeSearchesThenTrainsOnEveryRow) {
  const Dataset data = small_regression(40);
  FitOptions options;
  options.hidden = {8};
  options.seed = 2;
  FitResult result = fit(data, options);
  ASSERT_TRUE(result.search.has_value());
  EXPECT_EQ(result.search->folds, 5);
  EXPECT_EQ(result.search->scores.size(), automatic_candidates().size());
  for (const CandidateScore& score : result.search->scores) {
    EXPECT_GE(score.held_out_loss, result.search->scores[result.search->chosen].held_out_loss);
  }
  EXPECT_EQ(result.train_rows, 40);
  EXPECT_EQ(result.validation_rows, 0);
  EXPECT_THAT(result.recipe, HasSubstr("chosen by 5-fold cross-validation from 7 candidates"));
  EXPECT_THAT(result.model.training_summary, HasSubstr("\"search\""));

  // The final model is a plain fit with the chosen recipe on every row.
  const RecipeCandidate& chosen = result.search->scores[result.search->chosen].candidate;
  FitOptions chosen_options = options;
  chosen_options.optimizer = chosen.optimizer;
  chosen_options.weight_decay = chosen.weight_decay;
  chosen_options.validation_fraction = 0.0;
  FitResult direct = fit(data, chosen_options);
  EXPECT_FALSE(direct.search.has_value());
  EXPECT_TRUE(same_outputs(result.model, direct.model, data));
}

TEST(FitSearch, GivenSettingsSkipAutomaticSearch) {
  const Dataset data = small_regression(40);
  FitOptions base;
  base.hidden = {4};
  base.epochs = 3;
  EXPECT_FALSE(fit(data, base).search.has_value()) << "epochs given";

  FitOptions optimizer_given = base;
  optimizer_given.epochs = 0;
  optimizer_given.optimizer = "adam";
  EXPECT_FALSE(fit(data, optimizer_given).search.has_value());

  FitOptions decay_given = base;
  decay_given.epochs = 0;
  decay_given.weight_decay = 0.0f;
  EXPECT_FALSE(fit(data, decay_given).search.has_value());

  FitOptions off = base;
  off.epochs = 0;
  off.search = SearchMode::off;
  EXPECT_FALSE(fit(data, off).search.has_value());

  FitOptions too_few = base;
  too_few.epochs = 0;
  EXPECT_FALSE(fit(small_regression(19), too_few).search.has_value()) << "below 20 rows";
}

TEST(FitSearch, OnSearchesWithEpochsGiven) {
  const Dataset data = small_regression(30);
  FitOptions options;
  options.hidden = {4};
  options.epochs = 3;
  options.search = SearchMode::on;
  const FitResult result = fit(data, options);
  ASSERT_TRUE(result.search.has_value());
  EXPECT_EQ(result.training.history.size(), 3u);
}

TEST(FitSearch, OnWithOptimizerGivenIsError) {
  FitOptions options;
  options.search = SearchMode::on;
  options.optimizer = "sgd";
  try {
    fit(small_regression(30), options);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot run with either of them given"));
    EXPECT_THAT(e.what(), HasSubstr("--search off"));
  }
}

TEST(FitSearch, ModeNamesRoundTrip) {
  for (const SearchMode mode : {SearchMode::automatic, SearchMode::on, SearchMode::off}) {
    EXPECT_EQ(parse_search_mode(to_string(mode)), mode);
  }
  EXPECT_FALSE(parse_search_mode("yes").has_value());
}

}  // namespace
}  // namespace protean
