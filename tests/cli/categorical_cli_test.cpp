// Categorical input columns through the command line: fit encodes them, the model file keeps the
// encoding, and predict, eval and info read the original columns of new files.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <string>

#include "cli/cli_support.hpp"
#include "data/data_test_support.hpp"

namespace protean {
namespace {

using testing_support::read_text;
using testing_support::run_cli;
using testing_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// Returns the number after "r2 " in an eval line.
double r2_of(const std::string& text) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex("r2 ([-0-9.e+]+)"))) {
    ADD_FAILURE() << "no r2 in: " << text;
    return 0.0;
  }
  return std::stod(match[1]);
}

// Rows like the UCI abalone data: sex M, F or I (infant), a length, and rings that depend mostly
// on the sex (6 apart between categories) and a little on the length. The length has the same
// distribution for every sex, so without the sex column no model can explain most of the rings.
std::string abalone_like(int rows, std::uint64_t seed) {
  std::uint64_t state = seed;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / static_cast<double>(1ull << 53);
  };
  const char* sexes[] = {"M", "F", "I"};
  const double base[] = {10.0, 16.0, 4.0};
  std::string text = "sex,length,rings\n";
  for (int r = 0; r < rows; ++r) {
    const int k = static_cast<int>(next() * 3.0) % 3;
    const double length = 0.2 + 0.5 * next();
    const double rings = base[k] + 4.0 * length + 0.3 * (next() - 0.5);
    text += fmt::format("{},{:.4f},{:.4f}\n", sexes[k], length, rings);
  }
  return text;
}

const std::string kFitOptions = "--hidden 16 --epochs 200 --search off --seed 3";

TEST(CategoricalCli, FitUsesCategoryForGoodFit) {
  TempDir dir;
  dir.write("train.csv", abalone_like(400, 1));
  dir.write("test.csv", abalone_like(200, 2));

  const auto fit = run_cli(dir.path(), "fit train.csv -o m.safetensors " + kFitOptions);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("400 rows, 4 inputs, regression"));
  EXPECT_THAT(fit.out, HasSubstr("categorical: column 'sex' has 3 categories ('F', 'I', 'M') and became 3 0/1 inputs"));
  const auto eval = run_cli(dir.path(), "eval m.safetensors test.csv");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;

  const auto fit_dropped = run_cli(dir.path(), "fit train.csv --drop sex -o dropped.safetensors " + kFitOptions);
  ASSERT_EQ(fit_dropped.exit_code, 0) << fit_dropped.err;
  EXPECT_THAT(fit_dropped.out, Not(HasSubstr("categorical:")));
  const auto eval_dropped = run_cli(dir.path(), "eval dropped.safetensors test.csv");
  ASSERT_EQ(eval_dropped.exit_code, 0) << eval_dropped.err;

  const double with_sex = r2_of(eval.out);
  const double without_sex = r2_of(eval_dropped.out);
  RecordProperty("r2_with_sex", std::to_string(with_sex));
  RecordProperty("r2_without_sex", std::to_string(without_sex));
  EXPECT_GT(with_sex, 0.95) << eval.out;
  EXPECT_LT(without_sex, 0.3) << eval_dropped.out;
}

TEST(CategoricalCli, PredictReadsOriginalColumns) {
  TempDir dir;
  dir.write("train.csv", abalone_like(200, 4));
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors -q " + kFitOptions).exit_code, 0);
  // Columns in another order, an extra column, and only two of the three categories.
  dir.write("new.csv", "note,length,sex\na,0.3,F\nb,0.3,I\n");
  const auto predict = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  const std::string out = read_text(dir.path() / "out.csv");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(out, match, std::regex("rings\n([-0-9.e+]+)\n([-0-9.e+]+)\n"))) << out;
  // F has 16 base rings and I has 4.
  EXPECT_GT(std::stod(match[1]) - std::stod(match[2]), 8.0) << out;

  // Without a header the columns are taken by position, as in training: sex, then length.
  dir.write("headerless.csv", "F,0.3\nI,0.3\n");
  const auto by_position = run_cli(dir.path(), "predict m.safetensors headerless.csv -o position.csv");
  ASSERT_EQ(by_position.exit_code, 0) << by_position.err;
  EXPECT_EQ(read_text(dir.path() / "position.csv"), out);

  dir.write("extra.csv", "F,0.3,1\n");
  const auto extra = run_cli(dir.path(), "predict m.safetensors extra.csv");
  EXPECT_EQ(extra.exit_code, 1);
  EXPECT_THAT(extra.err, HasSubstr("expected 2 columns (2 input columns) but found 3"));
  EXPECT_THAT(extra.err, HasSubstr("sex, length"));

  const auto info = run_cli(dir.path(), "info m.safetensors");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("sex=F"));
  EXPECT_THAT(info.out, HasSubstr("categorical:  column 'sex', 3 categories ('F', 'I', 'M')"));
}

TEST(CategoricalCli, UnseenCategoryIsLocated) {
  TempDir dir;
  dir.write("train.csv", abalone_like(100, 5));
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors -q " + kFitOptions).exit_code, 0);
  dir.write("new.csv", "sex,length\nM,0.3\nX,0.4\n");
  const auto predict = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_THAT(predict.err, HasSubstr("new.csv:3:1: unknown category 'X' in input column 'sex'"));
  EXPECT_THAT(predict.err, HasSubstr("3 categories ('F', 'I', 'M')"));
  EXPECT_THAT(predict.err, HasSubstr("train the model again"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));

  dir.write("labelled.csv", "sex,length,rings\nM,0.3,9\nF,0.4,17\nU,0.2,5\n");
  const auto eval = run_cli(dir.path(), "eval m.safetensors labelled.csv");
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_THAT(eval.err, HasSubstr("labelled.csv:4:1: unknown category 'U' in input column 'sex'"));
}

TEST(CategoricalCli, TestFileUsesTrainingEncoding) {
  TempDir dir;
  dir.write("train.csv", abalone_like(100, 6));
  dir.write("test.csv", "sex,length,rings\nI,0.3,5\nI,0.4,6\n");
  const auto fit = run_cli(dir.path(), "fit train.csv --test test.csv -o m.safetensors " + kFitOptions);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("test (test.csv, 2 rows)"));

  dir.write("unseen.csv", "sex,length,rings\nI,0.3,5\nQ,0.4,6\n");
  const auto unseen = run_cli(dir.path(), "fit train.csv --test unseen.csv -o other.safetensors " + kFitOptions);
  EXPECT_EQ(unseen.exit_code, 1);
  EXPECT_THAT(unseen.err, HasSubstr("unseen.csv:3:1: unknown category 'Q'"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "other.safetensors"));
}

TEST(CategoricalCli, CategoricalOptionEncodesNumbers) {
  TempDir dir;
  std::string text = "zip,x,y\n";
  for (int r = 0; r < 60; ++r) {
    const int zip = 10 * (1 + r % 3);
    text += fmt::format("{},{},{}\n", zip, r % 7, zip == 20 ? 5 : 1);
  }
  dir.write("train.csv", text);
  const auto fit = run_cli(dir.path(), "fit train.csv --categorical zip -o m.safetensors " + kFitOptions);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("categorical: column 'zip' has 3 categories ('10', '20', '30') and became 3 0/1 inputs"));
  EXPECT_THAT(fit.out, HasSubstr("60 rows, 4 inputs"));

  dir.write("new.csv", "zip,x\n20.0,1\n40,1\n");
  const auto predict = run_cli(dir.path(), "predict m.safetensors new.csv");
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_THAT(predict.err, HasSubstr("new.csv:3:1: unknown category '40' in input column 'zip'"));

  const auto by_index = run_cli(dir.path(), "fit train.csv --categorical 1 -o n.safetensors -q " + kFitOptions);
  EXPECT_EQ(by_index.exit_code, 0) << by_index.err;
  const auto target = run_cli(dir.path(), "fit train.csv --categorical y -o t.safetensors " + kFitOptions);
  EXPECT_EQ(target.exit_code, 1);
  EXPECT_THAT(target.err, HasSubstr("column 'y' is a target"));
}

// Without the stored --categorical, the resumed run would read 2 inputs instead of 4 and reject
// the data as different from the checkpoint's.
TEST(CategoricalCli, ResumeKeepsCategoricalOption) {
  TempDir dir;
  std::string text = "zip,x,y\n";
  for (int r = 0; r < 30; ++r) text += fmt::format("{},{},{}\n", 10 * (1 + r % 3), r % 7, r % 3);
  dir.write("train.csv", text);
  const auto fit = run_cli(dir.path(),
                           "fit train.csv --categorical zip --checkpoint-every 1 --epochs 2 --search off --hidden 4 "
                           "-o m.safetensors -q");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  ASSERT_TRUE(std::filesystem::exists(dir.path() / "m-checkpoint-epoch-000001.safetensors"));

  const auto resumed = run_cli(dir.path(), "fit --resume m-checkpoint-epoch-000001.safetensors -o r.safetensors");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("categorical: column 'zip' has 3 categories ('10', '20', '30')"));
}

TEST(CategoricalCli, CategoricalWithIdxIsRejected) {
  TempDir dir;
  const auto fit = run_cli(dir.path(), "fit images-idx3-ubyte --labels labels-idx1-ubyte --categorical 1 -o m.safetensors");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("images-idx3-ubyte: --categorical names CSV columns, but the data are IDX images"));
  EXPECT_THAT(fit.err, HasSubstr("leave out --categorical"));
}

TEST(CategoricalCli, TooManyCategoriesIsAnError) {
  TempDir dir;
  std::string text = "name,x,y\n";
  for (int r = 0; r < 120; ++r) text += fmt::format("shell{},{},1\n", r, r % 5);
  dir.write("train.csv", text);
  const auto fit = run_cli(dir.path(), "fit train.csv -o m.safetensors " + kFitOptions);
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("train.csv: input column 'name' has 120 distinct values in its 120 filled cells"));
  EXPECT_THAT(fit.err, HasSubstr("--drop 1"));
  EXPECT_THAT(fit.err, HasSubstr("--categorical 'name'"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));
}

TEST(CategoricalCli, MissingCategoryIsLocated) {
  TempDir dir;
  dir.write("train.csv", "sex,length,rings\nM,0.3,9\nNA,0.4,17\nF,0.2,5\n");
  const auto fit = run_cli(dir.path(), "fit train.csv -o m.safetensors " + kFitOptions);
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("train.csv:3:1: missing value 'NA' in categorical input column 'sex'"));
  EXPECT_THAT(fit.err, HasSubstr("fill in a category or remove the row"));
}

}  // namespace
// A file of text columns only, like the UCI mushroom data: the class follows the odor.
std::string mushroom_like(int rows) {
  const char* const odors[] = {"a", "n", "p", "f"};
  const char* const shapes[] = {"x", "b", "k"};
  std::string text = "cap-shape,odor,class\n";
  for (int r = 0; r < rows; ++r) {
    const std::string odor = odors[r % 4];
    text += fmt::format("{},{},{}\n", shapes[r % 3], odor, odor == "p" || odor == "f" ? "poisonous" : "edible");
  }
  return text;
}

// A short file of text columns has no number to set its header apart from its data, so its first
// row is taken as the header where it names the model's input columns.
TEST(CategoricalCli, TextOnlyFilesKeepTheirHeader) {
  TempDir dir;
  dir.write("mushrooms.csv", mushroom_like(80));
  const auto fit = run_cli(dir.path(), "fit mushrooms.csv -o m.safetensors --epochs 60 --search off --seed 1");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("classification with 2 classes"));
  EXPECT_THAT(fit.out, HasSubstr("categorical: column 'odor' has 4 categories ('a', 'f', 'n', 'p')"));

  dir.write("new.csv", "odor,cap-shape\np,x\nn,b\n");
  const auto predicted = run_cli(dir.path(), "predict m.safetensors new.csv");
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_EQ(predicted.out, "class\npoisonous\nedible\n");

  dir.write("test.csv", "cap-shape,class,odor\nk,edible,a\nx,poisonous,f\n");
  const auto evaluated = run_cli(dir.path(), "eval m.safetensors test.csv");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  EXPECT_THAT(evaluated.out, HasSubstr("test.csv (2 rows): accuracy 1"));
}

}  // namespace protean
