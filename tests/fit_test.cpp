// fit(): when the cross-validated search of the optimizer and weight decay runs, and what it
// trains afterwards.
#include "protean/fit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "protean/error.hpp"
#include "protean/random.hpp"
#include "protean/train/checkpoint.hpp"

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

TEST(FitSearch, OnWithCheckpointsSearchesAdamOnly) {
  FitOptions options;
  options.hidden = {4};
  options.epochs = 2;
  options.search = SearchMode::on;
  options.checkpoint_every = 1;
  options.on_checkpoint = [](const Checkpoint&) {};
  const FitResult result = fit(small_regression(30), options);
  ASSERT_TRUE(result.search.has_value());
  ASSERT_EQ(result.search->scores.size(), 5u);
  for (const CandidateScore& score : result.search->scores) EXPECT_EQ(score.candidate.optimizer, "adam");
}

TEST(FitSearch, ResumedRunKeepsSearchRecord) {
  const Dataset data = small_regression(30);
  FitOptions options;
  options.hidden = {4};
  options.epochs = 4;
  options.search = SearchMode::on;
  options.checkpoint_every = 2;
  std::optional<std::string> saved;
  options.on_checkpoint = [&](const Checkpoint& checkpoint) {
    if (checkpoint.state.epoch == 2) saved = serialize_checkpoint(checkpoint);
  };
  const FitResult straight = fit(data, options);
  ASSERT_TRUE(saved.has_value());

  const Checkpoint checkpoint = deserialize_checkpoint(*saved, "memory.ckpt");
  FitOptions resumed_options;
  resumed_options.resume = &checkpoint;
  const FitResult resumed = fit(data, resumed_options);
  EXPECT_EQ(resumed.recipe, straight.recipe);
  EXPECT_THAT(resumed.recipe, HasSubstr("chosen by 5-fold cross-validation from 5 candidates"));
  EXPECT_THAT(resumed.model.training_summary, HasSubstr("\"search\":{\"candidates\""));
}

TEST(FitSearch, OnWithTooFewRowsIsError) {
  FitOptions options;
  options.search = SearchMode::on;
  try {
    fit(small_regression(4), options);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("the search needs at least 5 rows, one per cross-validation fold, but the data has 4"));
    EXPECT_THAT(e.what(), HasSubstr("--search off"));
  }
}

TEST(FitWithoutValidation, WeightDecayKeepsLastEpoch) {
  // Without validation rows the lowest training loss would pick an epoch before the decay has
  // shrunk the weights, so the last epoch is kept.
  FitOptions options;
  options.hidden = {16};
  options.epochs = 40;
  options.validation_fraction = 0.0;
  options.optimizer = "adam";
  options.weight_decay = 0.05f;
  const FitResult decayed = fit(small_regression(40), options);
  EXPECT_EQ(decayed.training.best_epoch, 40);

  options.weight_decay = 0.0f;
  const FitResult plain = fit(small_regression(40), options);
  double lowest = plain.training.history.front().train_loss;
  for (const EpochStats& epoch : plain.training.history) lowest = std::min(lowest, epoch.train_loss);
  EXPECT_EQ(plain.training.history.at(static_cast<std::size_t>(plain.training.best_epoch - 1)).train_loss, lowest);
}

TEST(FitWithoutValidation, LbfgsReportsDataLossWithoutPenalty) {
  FitOptions options;
  options.hidden = {8};
  options.epochs = 30;
  options.validation_fraction = 0.0;
  options.optimizer = "lbfgs";
  options.weight_decay = 0.1f;
  const Dataset data = small_regression(40);
  FitResult result = fit(data, options);
  // The kept iteration's reported loss is the mean squared error of the standardized target.
  Matrix inputs = Matrix::copy_of(data.inputs);
  result.model.input_scaler.transform(inputs);
  Matrix targets = Matrix::copy_of(data.targets);
  result.model.target_scaler.transform(targets);
  const Matrix outputs = result.model.network.predict(inputs);
  double squared = 0.0;
  for (Index r = 0; r < outputs.rows(); ++r) squared += (outputs(r, 0) - targets(r, 0)) * (outputs(r, 0) - targets(r, 0));
  const double kept_loss = result.training.history.at(static_cast<std::size_t>(result.training.best_epoch - 1)).train_loss;
  EXPECT_NEAR(kept_loss, squared / static_cast<double>(outputs.rows()), 1e-4);
}

TEST(Fit, LbfgsWarnsAboutUnusedStepOptions) {
  FitOptions options;
  options.hidden = {8};
  options.epochs = 5;
  options.optimizer = "lbfgs";
  const auto mentions_unused = [](const FitResult& result, const std::string& text) {
    return std::any_of(result.warnings.begin(), result.warnings.end(),
                       [&](const std::string& warning) { return warning.find(text) != std::string::npos; });
  };
  EXPECT_FALSE(mentions_unused(fit(small_regression(40), options), "not used"));
  options.learning_rate = 5.0f;
  options.clip_norm = 1.0;
  EXPECT_TRUE(mentions_unused(fit(small_regression(40), options), "so --lr and --clip-norm are not used"));
  options.clip_norm = 0.0;
  options.batch_size = 8;
  EXPECT_TRUE(mentions_unused(fit(small_regression(40), options), "so --lr and --batch-size are not used"));
}

TEST(Fit, EncodingNotMatchingNamesIsRejected) {
  Dataset data = small_regression(30);
  data.encoding = InputEncoding({InputColumn{"a", {"x", "z"}}});
  FitOptions options;
  options.epochs = 1;
  try {
    fit(data, options);
    FAIL() << "an encoding of inputs a=x, a=z was accepted for inputs a, b";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("small.csv: the data's encoding names 2 inputs (a=x, a=z) but the data has 2 (a, b)"));
  }
}

TEST(Fit, DuplicateInputNamesAreRejected) {
  Dataset data = small_regression(30);
  data.input_names = {"x1", "x1"};
  FitOptions options;
  options.epochs = 1;
  try {
    fit(data, options);
    FAIL() << "two inputs named x1 were accepted";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("small.csv: two input columns are named 'x1'"));
    EXPECT_THAT(error.what(), HasSubstr("--drop"));
  }
}

// A hard_tanh or hard_sigmoid unit is linear between its kinks. With Glorot's weights no input
// reached a kink, and the network stayed at about the best straight line through sin(2x).
TEST(Fit, HardActivationsFitOneInputCurve) {
  Dataset data;
  Rng rng(12);
  data.inputs = Matrix::zeros(500, 1);
  data.targets = Matrix::zeros(500, 1);
  for (Index r = 0; r < data.inputs.rows(); ++r) {
    data.inputs(r, 0) = rng.uniform(-3.0f, 3.0f);
    data.targets(r, 0) = std::sin(2.0f * data.inputs(r, 0));
  }
  data.input_names = {"x"};
  data.target_names = {"y"};
  for (const Activation activation : {Activation::hard_tanh, Activation::hard_sigmoid}) {
    SCOPED_TRACE(std::string(to_string(activation)));
    FitOptions options;
    options.hidden = {32, 32};
    options.activation = activation;
    options.epochs = 400;
    options.search = SearchMode::off;
    options.validation_fraction = 0.0;
    FitResult result = fit(data, options);
    const Matrix predicted = result.model.predict(data.inputs);
    double residual = 0.0, total = 0.0;
    for (Index r = 0; r < data.inputs.rows(); ++r) {
      residual += std::pow(predicted(r, 0) - data.targets(r, 0), 2.0);
      total += std::pow(data.targets(r, 0), 2.0);  // the targets have mean about 0
    }
    EXPECT_GT(1.0 - residual / total, 0.95) << "r² on the training rows";
  }
}

TEST(Fit, InputNamedLikeTargetIsRejected) {
  Dataset data = small_regression(30);
  data.input_names = {"a", "y"};
  FitOptions options;
  options.epochs = 1;
  try {
    fit(data, options);
    FAIL() << "an input named like the target 'y' was accepted";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("small.csv: an input column has the target column's name 'y'"));
    EXPECT_THAT(error.what(), HasSubstr("--drop"));
  }
}

TEST(Fit, WarnsAboutStepOptionsWithoutEffect) {
  FitOptions options;
  options.epochs = 3;
  options.search = SearchMode::off;
  options.validation_fraction = 0.0;
  options.batch_size = 1000;
  options.schedule.warmup_epochs = 5;
  const FitResult result = fit(small_regression(40), options);
  const auto has_warning = [&](const std::string& text) {
    return std::any_of(result.warnings.begin(), result.warnings.end(),
                       [&](const std::string& warning) { return warning.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has_warning("--batch-size 1000 is larger than the 40 training rows"));
  EXPECT_TRUE(has_warning("--warmup 5 lasts all 3 epochs"));
}

TEST(Fit, ConstantTargetWarns) {
  Dataset data = small_regression(30);
  for (Index r = 0; r < data.rows(); ++r) data.targets(r, 0) = 5.0f;
  FitOptions options;
  options.epochs = 2;
  options.search = SearchMode::off;
  const FitResult result = fit(data, options);
  const bool warned = std::any_of(result.warnings.begin(), result.warnings.end(), [&](const std::string& warning) {
    return warning.find("target column '" + data.target_names.front() + "' is constant in the training rows (5)") !=
           std::string::npos;
  });
  EXPECT_TRUE(warned);
}

// An id column (1, 2, 3, ... down the file) among other inputs gets a warning that names it and
// the option that drops it. A single input, or integers that do not count the rows, get none.
TEST(Fit, RowNumberColumnWarns) {
  const auto warned_about = [](const FitResult& result, const std::string& name) {
    return std::any_of(result.warnings.begin(), result.warnings.end(), [&](const std::string& warning) {
      return warning.find("input column '" + name + "' numbers the rows") != std::string::npos;
    });
  };
  FitOptions options;
  options.epochs = 1;
  options.search = SearchMode::off;

  Dataset data = small_regression(40);
  for (Index r = 0; r < data.rows(); ++r) data.inputs(r, 1) = static_cast<float>(1001 + r);
  data.input_names = {"a", "Id"};
  const FitResult with_id = fit(data, options);
  EXPECT_TRUE(warned_about(with_id, "Id"));
  EXPECT_FALSE(warned_about(with_id, "a"));
  const bool names_option = std::any_of(with_id.warnings.begin(), with_id.warnings.end(), [](const std::string& warning) {
    return warning.find("(1001 to 1040, one per row); if it is a row id, drop it with --drop 'Id'") != std::string::npos;
  });
  EXPECT_TRUE(names_option);

  for (Index r = 0; r < data.rows(); ++r) data.inputs(r, 1) = static_cast<float>(r % 7);
  EXPECT_FALSE(warned_about(fit(data, options), "Id"));

  Dataset single = small_regression(40);
  single.inputs = Matrix::zeros(40, 1);
  for (Index r = 0; r < single.rows(); ++r) single.inputs(r, 0) = static_cast<float>(r);
  single.input_names = {"t"};
  EXPECT_FALSE(warned_about(fit(single, options), "t"));
}

// Rows left out for a missing value (--missing drop) leave gaps in an id column. The rows' line
// numbers show the gaps, so the column still gets its warning, and a gap of another size does not.
TEST(Fit, RowNumberColumnWithGapsWarns) {
  const auto warned_about_id = [](const FitResult& result) {
    return std::any_of(result.warnings.begin(), result.warnings.end(), [](const std::string& warning) {
      return warning.find("input column 'Id' numbers the rows") != std::string::npos;
    });
  };
  FitOptions options;
  options.epochs = 1;
  options.search = SearchMode::off;

  // Line 2 is the first row of a file with a header; every fifth row was left out.
  Dataset data = small_regression(40);
  data.input_names = {"a", "Id"};
  std::int64_t line = 2;
  for (Index r = 0; r < data.rows(); ++r, ++line) {
    if (line % 5 == 0) ++line;
    data.source_lines.push_back(line);
    data.inputs(r, 1) = static_cast<float>(line - 1);
  }
  EXPECT_TRUE(warned_about_id(fit(data, options)));

  // The same ids without line numbers cannot tell a gap from a jump.
  data.source_lines.clear();
  EXPECT_FALSE(warned_about_id(fit(data, options)));

  // Ids that jump by more than the line gap at one row do not count the rows.
  for (Index r = 0; r < data.rows(); ++r) data.source_lines.push_back(static_cast<std::int64_t>(data.inputs(r, 1)) + 1);
  data.inputs(20, 1) += 1.0f;
  for (Index r = 21; r < data.rows(); ++r) data.inputs(r, 1) += 1.0f;
  EXPECT_FALSE(warned_about_id(fit(data, options)));
}

TEST(Fit, HuberIgnoresTargetOutliers) {
  // Five targets of ±1e6 among 400 of spread about 0.3 inflated the standard deviation to about
  // 1e5, and Huber's δ with it, so Huber fitted the outliers as MSE does.
  Dataset data = small_regression(400);
  for (Index r = 0; r < 5; ++r) data.targets(r * 80, 0) = r % 2 == 0 ? 1e6f : -1e6f;
  FitOptions options;
  options.loss = "huber";
  options.epochs = 60;
  options.search = SearchMode::off;
  options.validation_fraction = 0.0;
  FitResult result = fit(data, options);
  EXPECT_LT(result.model.target_scaler.scale()(0, 0), 1.0f);

  const Dataset clean = small_regression(400);
  const Metrics metrics = result.model.evaluate(clean);
  ASSERT_TRUE(metrics.rmse.has_value());
  EXPECT_LT(*metrics.rmse, 0.5);
}

TEST(Fit, MseWarnsAboutTargetOutliers) {
  Dataset data = small_regression(100);
  data.targets(10, 0) = 1e6f;
  data.targets(20, 0) = -5e5f;
  FitOptions options;
  options.epochs = 2;
  options.search = SearchMode::off;
  options.validation_fraction = 0.0;
  const auto outlier_warnings = [](const FitResult& result) {
    return std::count_if(result.warnings.begin(), result.warnings.end(),
                         [](const std::string& warning) { return warning.find("outlier") != std::string::npos; });
  };
  const FitResult result = fit(data, options);
  ASSERT_EQ(outlier_warnings(result), 1);
  const auto warning = std::find_if(result.warnings.begin(), result.warnings.end(),
                                    [](const std::string& text) { return text.find("outlier") != std::string::npos; });
  EXPECT_THAT(*warning, HasSubstr("target column 'y' has 2 outliers"));
  EXPECT_THAT(*warning, HasSubstr("such as 1e+06"));
  EXPECT_THAT(*warning, HasSubstr("--loss huber"));

  EXPECT_EQ(outlier_warnings(fit(small_regression(100), options)), 0);
  options.loss = "huber";
  EXPECT_EQ(outlier_warnings(fit(data, options)), 0);
}

TEST(Fit, MissingMarkerClassWarns) {
  Dataset data = small_regression(40);
  data.task = Task::classification;
  data.class_names = {"?", "cat", "dog"};
  data.target_names = {"kind"};
  for (Index r = 0; r < data.rows(); ++r) data.targets(r, 0) = static_cast<float>(r % 3);
  data.source_lines.clear();
  for (Index r = 0; r < data.rows(); ++r) data.source_lines.push_back(r + 2);
  FitOptions options;
  options.epochs = 2;
  options.search = SearchMode::off;
  const FitResult result = fit(data, options);
  const auto warning = std::find_if(result.warnings.begin(), result.warnings.end(),
                                    [](const std::string& text) { return text.find("class '?'") != std::string::npos; });
  ASSERT_NE(warning, result.warnings.end());
  EXPECT_THAT(*warning, HasSubstr("class '?' of target column 'kind' (14 rows, first at line 2)"));
  EXPECT_THAT(*warning, HasSubstr("remove them or fill it in"));
  EXPECT_EQ(std::count_if(result.warnings.begin(), result.warnings.end(),
                          [](const std::string& text) { return text.find("'cat'") != std::string::npos; }),
            0);
}

TEST(Fit, NanValidationFractionIsRejected) {
  FitOptions options;
  options.epochs = 1;
  options.search = SearchMode::off;
  options.validation_fraction = std::nan("");
  try {
    fit(small_regression(30), options);
    FAIL() << "a NaN validation fraction was accepted";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("invalid validation fraction nan"));
  }
}

TEST(FitSearch, ModeNamesRoundTrip) {
  for (const SearchMode mode : {SearchMode::automatic, SearchMode::on, SearchMode::off}) {
    EXPECT_EQ(parse_search_mode(to_string(mode)), mode);
  }
  EXPECT_FALSE(parse_search_mode("yes").has_value());
}

TEST(Fit, SkippedSearchSaysWhy) {
  FitOptions options;
  EXPECT_EQ(search_skipped_because(options, 100), "");
  EXPECT_EQ(search_skipped_because(options, 19), "the data has fewer than 20 rows");
  EXPECT_EQ(search_skipped_because(options, 10'001), "the data has more than 10000 rows");
  options.learning_rate = 0.01f;
  EXPECT_EQ(search_skipped_because(options, 100), "--lr was given");
  options.search = SearchMode::off;
  EXPECT_EQ(search_skipped_because(options, 100), "") << "turned off by the caller";
  options.search = SearchMode::automatic;
  options.optimizer = "sgd";
  EXPECT_EQ(search_skipped_because(options, 100), "") << "the caller chose the optimizer";
}


Dataset tiny_regression() {
  Dataset data = small_regression(30);
  return data;
}

FitOptions two_epochs() {
  FitOptions options;
  options.epochs = 2;
  options.search = SearchMode::off;
  return options;
}

TEST(FitData, NaNInputNamesRowAndColumn) {
  Dataset data = tiny_regression();
  data.source_lines.resize(30);
  for (std::size_t i = 0; i < data.source_lines.size(); ++i) data.source_lines[i] = static_cast<std::int64_t>(i) + 2;
  data.inputs(4, 1) = std::numeric_limits<float>::quiet_NaN();
  try {
    fit(data, two_epochs());
    FAIL() << "a NaN input was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 6);
    EXPECT_THAT(e.problem(), HasSubstr("row 5"));
    EXPECT_THAT(e.problem(), HasSubstr("'b'"));
  }
}

TEST(FitData, InfiniteTargetIsError) {
  Dataset data = tiny_regression();
  data.targets(7, 0) = std::numeric_limits<float>::infinity();
  EXPECT_THROW(fit(data, two_epochs()), Error);
}

TEST(FitData, RowCountMismatchIsError) {
  Dataset data = tiny_regression();
  data.targets = Matrix::zeros(20, 1);
  try {
    fit(data, two_epochs());
    FAIL() << "30 input rows and 20 target rows were accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("30 input rows but 20 target rows"));
  }
}

TEST(FitData, EmptyDataIsError) {
  Dataset data = tiny_regression();
  data.inputs = Matrix::zeros(0, 2);
  data.targets = Matrix::zeros(0, 1);
  EXPECT_THROW(fit(data, two_epochs()), Error);
}

TEST(FitData, MissingNamesAreError) {
  Dataset data = tiny_regression();
  data.input_names.clear();
  try {
    fit(data, two_epochs());
    FAIL() << "a dataset without input names was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("0 input names"));
  }
  data = tiny_regression();
  data.target_names.clear();
  EXPECT_THROW(fit(data, two_epochs()), Error);
}

TEST(FitData, ClassIdOutOfRangeIsError) {
  Dataset data = tiny_regression();
  data.task = Task::classification;
  data.class_names = {"low", "high"};
  for (Index r = 0; r < data.rows(); ++r) data.targets(r, 0) = static_cast<float>(r % 2);
  data.targets(3, 0) = 2.0f;
  try {
    fit(data, two_epochs());
    FAIL() << "class id 2 of two classes was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), HasSubstr("row 4 has class id 2"));
  }
}

}  // namespace
}  // namespace protean
