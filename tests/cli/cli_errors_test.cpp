// Bad input through the command line: every kind gets exit code 1, a message that names the
// file, the place and the value, and leaves no output file behind or damaged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
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

struct BadInput {
  const char* name;
  const char* csv;                 // nullptr: the file does not exist
  std::vector<const char*> expected;  // substrings of the error message
};

const std::string kGoodModel = "previous model contents";

class CliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliBadInput, FitFailsCleanly) {
  const BadInput& input = GetParam();
  TempDir dir;
  if (input.csv != nullptr) dir.write("data.csv", input.csv);
  // A model from an earlier run must survive a failed fit untouched.
  dir.write("keep.safetensors", kGoodModel);

  const auto fresh = run_cli(dir.path(), "fit data.csv -o new.safetensors --epochs 2");
  EXPECT_EQ(fresh.exit_code, 1) << fresh.err;
  EXPECT_THAT(fresh.err, HasSubstr("error: "));
  for (const char* part : input.expected) EXPECT_THAT(fresh.err, HasSubstr(part));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "new.safetensors"));

  const auto over = run_cli(dir.path(), "fit data.csv -o keep.safetensors --epochs 2");
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_EQ(read_text(dir.path() / "keep.safetensors"), kGoodModel);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, CliBadInput,
    ::testing::Values(
        BadInput{"MissingFile", nullptr, {"data.csv", "not found"}},
        BadInput{"EmptyFile", "", {"data.csv", "no data"}},
        BadInput{"HeaderOnly", "x,y\n", {"data.csv", "header"}},
        BadInput{"EmptyCell", "x,y\n1,2\n,3\n4,5\n", {"data.csv:3:1", "empty"}},
        BadInput{"NonNumericCell", "x,y\n1,2\n3,4\n5abc,6\n", {"data.csv:4:1", "'5abc'"}},
        BadInput{"NanCell", "x,y\n1,2\nnan,3\n4,5\n", {"data.csv:3:1", "'nan'"}},
        BadInput{"InfinityInTarget", "x,y\n1,2\n2,inf\n4,5\n", {"data.csv:3:3", "'inf'"}},
        BadInput{"RaggedRow", "x,y\n1,2\n3,4,5\n6,7\n", {"data.csv:3", "3 fields", "2"}},
        BadInput{"UnterminatedQuote", "x,y\n1,2\n\"3,4\n5,6\n", {"data.csv:3", "quote"}},
        BadInput{"StrayTextInNumericTarget", "x,y\n1,2\n2,3\n3,oops\n4,5\n", {"data.csv:4:3", "'oops'", "--task classification"}},
        BadInput{"SingleSampleClass", "x,label\n1,a\n2,a\n3,b\n4,b\n5,b\n6,c\n", {"data.csv:7", "'c'"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Cli, PredictWrongColumnCount) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  dir.write("new.csv", "1,2,3,4\n5,6,7,8\n");
  const auto result = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("new.csv"));
  EXPECT_THAT(result.err, HasSubstr("expected 2 columns"));
  EXPECT_THAT(result.err, HasSubstr("found 4"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));
}

TEST(Cli, ProbabilitiesOfRegressionModelAreRefused) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  const auto result = run_cli(dir.path(), "predict m.safetensors train.csv --probabilities -o out.csv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("m.safetensors"));
  EXPECT_THAT(result.err, HasSubstr("needs a classification model"));
  EXPECT_THAT(result.err, HasSubstr("1 regression target"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));
}

// The model fixes its input columns, so a bad cell cannot be dropped: predict and eval have no
// --drop, and their errors must not suggest it.
TEST(Cli, PredictBadCellDoesNotSuggestDrop) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  dir.write("new.csv", "a,b\n1,2\n3,zz\n");
  const auto result = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("new.csv:3:"));
  EXPECT_THAT(result.err, HasSubstr("cannot parse 'zz'"));
  EXPECT_THAT(result.err, HasSubstr("the model needs every value of its input columns"));
  EXPECT_THAT(result.err, Not(HasSubstr("--drop")));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));

  dir.write("labeled.csv", "a,b,y\n1,,3\n");
  const auto eval = run_cli(dir.path(), "eval m.safetensors labeled.csv");
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_THAT(eval.err, HasSubstr("empty cell in input column 'b'"));
  EXPECT_THAT(eval.err, Not(HasSubstr("--drop")));
}

TEST(Cli, PredictByColumnNameIgnoresExtraColumns) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  dir.write("new.csv", "id,b,a\n7,2,1\n8,1,2\n");
  const auto result = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string out = read_text(dir.path() / "out.csv");
  EXPECT_EQ(out.substr(0, 2), "y\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

// The model reads its columns by name, so a repeated name among them is an error. Repeated names
// among the columns it ignores are not.
TEST(Cli, PredictMatchesQuotedNamesWithSpaces) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  dir.write("new.csv", "\"a \",\" b\"\n7,2\n8,1\n");
  const auto result = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(read_text(dir.path() / "out.csv").substr(0, 2), "y\n");
}

TEST(Cli, PredictRejectsRepeatedModelColumnNames) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);

  dir.write("twice.csv", "b,a,b\n1,2,3\n");
  const auto predict = run_cli(dir.path(), "predict m.safetensors twice.csv -o out.csv");
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_THAT(predict.err, HasSubstr("twice.csv: the header names 2 columns 'b' (at positions 1, 3)"));
  EXPECT_THAT(predict.err, HasSubstr("rename or remove the others"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));

  dir.write("targets.csv", "a,b,y,y\n1,2,3,4\n");
  const auto eval = run_cli(dir.path(), "eval m.safetensors targets.csv");
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_THAT(eval.err, HasSubstr("targets.csv: the header names 2 columns 'y' (at positions 3, 4)"));
  EXPECT_THAT(eval.err, Not(HasSubstr("1-based index")));

  dir.write("extra.csv", "a,b,note,note\n1,2,x,y\n3,4,z,w\n");
  const auto ignored = run_cli(dir.path(), "predict m.safetensors extra.csv -o out.csv");
  ASSERT_EQ(ignored.exit_code, 0) << ignored.err;
  const std::string out = read_text(dir.path() / "out.csv");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(Cli, FitRejectsInputNamedLikeTarget) {
  TempDir dir;
  dir.write("data.csv", "a,y,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 -q");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("data.csv: an input column has the target column's name 'y'"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));

  const auto dropped = run_cli(dir.path(), "fit data.csv --drop 2 -o m.safetensors --epochs 2 -q");
  EXPECT_EQ(dropped.exit_code, 0) << dropped.err;
}

// eval has no --task, so a regression model's text target must not send the user to it.
TEST(Cli, EvalTextTargetDoesNotSuggestTask) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  dir.write("labeled.csv", "a,b,y\n1,2,cat\n");
  const auto eval = run_cli(dir.path(), "eval m.safetensors labeled.csv");
  EXPECT_EQ(eval.exit_code, 1);
  EXPECT_THAT(eval.err, HasSubstr("labeled.csv:2:5: cannot parse 'cat' as a number in target column 'y'"));
  EXPECT_THAT(eval.err, Not(HasSubstr("--task")));
}

TEST(Cli, CorruptModelIsReported) {
  TempDir dir;
  dir.write("bad.safetensors", std::string("\x20\x00\x00\x00\x00\x00\x00\x00{\"broken", 15));
  dir.write("new.csv", "1,2\n");
  const auto result = run_cli(dir.path(), "predict bad.safetensors new.csv -o out.csv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("bad.safetensors"));
  EXPECT_THAT(result.err, HasSubstr("invalid model file"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "out.csv"));
}

TEST(Cli, OutputOverInputIsRejected) {
  TempDir dir;
  const std::string csv = "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n";
  dir.write("data.csv", csv);
  const auto fit = run_cli(dir.path(), "fit data.csv -o data.csv --epochs 2");
  EXPECT_EQ(fit.exit_code, 1);
  EXPECT_THAT(fit.err, HasSubstr("is the input file"));
  EXPECT_EQ(read_text(dir.path() / "data.csv"), csv);
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  const auto predict = run_cli(dir.path(), "predict m.safetensors data.csv -o data.csv");
  EXPECT_EQ(predict.exit_code, 1);
  EXPECT_EQ(read_text(dir.path() / "data.csv"), csv);
}

TEST(Cli, PredictOutputFolderSuggestsCsvName) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  std::filesystem::create_directory(dir.path() / "out");
  const auto result = run_cli(dir.path(), "predict m.safetensors train.csv -o out");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("out: the output path is a folder"));
  EXPECT_THAT(result.err, HasSubstr("out/predictions.csv"));
  EXPECT_THAT(result.err, Not(HasSubstr("model.safetensors")));
}

TEST(Cli, MissingOutputFolderFailsBeforeTraining) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  const auto result = run_cli(dir.path(), "fit data.csv -o nowhere/m.safetensors");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("'nowhere' does not exist"));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("epoch")));
}

TEST(Cli, TestDataWithOtherColumnsFailsBeforeTraining) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  dir.write("test.csv", "a,b,y\n1,2,3\n2,3,4\n");
  const auto result = run_cli(dir.path(), "-q fit data.csv --test test.csv -o m.safetensors");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("test.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors"));
}

// A test file with one row per class would look like a name column on its own. It takes the
// training data's task instead.
TEST(Cli, TestDataWithOneRowPerClass) {
  TempDir dir;
  std::string train = "x,letter\n";
  std::string test = "x,letter\n";
  for (int i = 0; i < 26; ++i) {
    const std::string letter(1, static_cast<char>('a' + i));
    for (int k = 0; k < 4; ++k) train += std::to_string(i) + "." + std::to_string(k) + "," + letter + "\n";
    test += std::to_string(i) + ".5," + letter + "\n";
  }
  dir.write("data.csv", train);
  dir.write("test.csv", test);
  const auto result = run_cli(dir.path(), "fit data.csv --test test.csv -o m.safetensors --epochs 2 --search off");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("test (test.csv, 26 rows): accuracy"));
}

TEST(Cli, TestDataWithUnknownClassFailsBeforeTraining) {
  TempDir dir;
  std::string csv = "x,kind\n";
  for (int i = 0; i < 20; ++i) csv += std::to_string(i) + (i < 10 ? ",low\n" : ",high\n");
  dir.write("data.csv", csv);
  dir.write("test.csv", "x,kind\n1,low\n15,medium\n");
  for (const std::string quiet : {"", "-q "}) {
    const auto result = run_cli(dir.path(), quiet + "fit data.csv --test test.csv -o m.safetensors --epochs 2");
    EXPECT_EQ(result.exit_code, 1) << quiet;
    EXPECT_THAT(result.err, HasSubstr("test.csv:3: class 'medium' was not seen in training (known classes: high, low)"));
    EXPECT_THAT(result.out, Not(HasSubstr("epoch")));
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors")) << quiet;
  }
}

TEST(Cli, PredictRejectsHeaderWithoutModelNames) {
  TempDir dir;
  dir.write("train.csv", "a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n6,0,6\n7,1,8\n8,2,10\n9,1,10\n10,0,10\n");
  ASSERT_EQ(run_cli(dir.path(), "fit train.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  dir.write("new.csv", "u,v\n1,2\n");
  const auto result = run_cli(dir.path(), "predict m.safetensors new.csv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("lacks the model's input columns a, b"));
}

TEST(Cli, SwappedPredictArgumentsAreExplained) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n");
  dir.write("m.safetensors", "x,y\n1,2\n");
  const auto result = run_cli(dir.path(), "predict data.csv m.safetensors");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("text file, not a model file"));
  EXPECT_THAT(result.err, HasSubstr("take the model first"));
}

// info reads a model alone, so the advice names no data argument for it.
TEST(Cli, InfoOnDataFileAsksForModel) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n");
  const auto result = run_cli(dir.path(), "info data.csv");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("give the model file written by 'protean fit'"));
}

// With stdout and stderr in one file, the lines keep the order in which they were written. The
// note about the search comes before the error that ends the run.
TEST(Cli, RedirectedOutputKeepsItsOrder) {
  TempDir dir;
  std::string csv = "x,label\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + (i % 2 == 0 ? ",even\n" : ",odd\n");
  csv += "99,lonely\n";
  dir.write("data.csv", csv);
  const std::string command = "cd '" + dir.path().string() + "' && '" PROTEAN_CLI_PATH
                              "' fit data.csv -e 2 -o m.safetensors >both.txt 2>&1 </dev/null";
  ASSERT_NE(std::system(command.c_str()), 0);
  const std::string both = read_text(dir.path() / "both.txt");
  const std::size_t note = both.find("search: not run");
  const std::size_t error = both.find("error:");
  ASSERT_NE(note, std::string::npos) << both;
  ASSERT_NE(error, std::string::npos) << both;
  EXPECT_LT(note, error) << both;
}

TEST(Cli, DropTakesCommaListBeforeData) {
  TempDir dir;
  dir.write("data.csv", "id,note,x,y\n1,9,1,2\n2,8,2,3\n3,7,3,4\n4,6,4,5\n5,5,5,6\n6,4,6,7\n7,3,7,8\n8,2,8,9\n9,1,9,10\n10,0,10,11\n");
  const auto result = run_cli(dir.path(), "fit --drop id,note data.csv -o m.safetensors --epochs 2");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("10 rows, 1 input, regression"));
}

TEST(Cli, TinyDataTrainsWithoutValidation) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,4\n3,6\n4,8\n");
  const auto result = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 3");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("4 rows are too few to hold out"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "m.safetensors"));
}

TEST(Cli, UnknownCommandIsNamed) {
  TempDir dir;
  const auto result = run_cli(dir.path(), "-q train data.csv");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("unknown command 'train'; use one of fit, predict, eval, info, report, explain"));
}

TEST(Cli, UnknownOptionIsUsageError) {
  TempDir dir;
  const auto result = run_cli(dir.path(), "fit data.csv --epoch 3");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--epoch"));
}

struct BadNumberOption {
  const char* arguments;
  const char* expected;  // the whole message after "OPTION: "
};

// Every numeric option rejects NaN, values beyond the float range, fractions given to whole-number
// options and out-of-range values with a usage error that states the accepted values.
TEST(Cli, BadNumberOptionsAreExplained) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  const std::vector<BadNumberOption> cases = {
      {"--lr 1e40", "--lr: invalid value '1e40': give a positive number such as 0.001"},
      {"--lr nan", "--lr: invalid value 'nan': give a positive number such as 0.001"},
      {"--huber-delta 0", "--huber-delta: invalid value '0': give a positive number such as 1"},
      {"--clip-norm -1", "--clip-norm: invalid value '-1': give 0 or a positive number such as 1"},
      {"--weight-decay inf", "--weight-decay: invalid value 'inf': give 0 or a positive number such as 0.0001"},
      {"--weight-decay 1e40", "--weight-decay: invalid value '1e40': give 0 or a positive number such as 0.0001"},
      {"--validation nan", "--validation: invalid value 'nan': give a number in [0, 0.99] such as 0.1"},
      {"--validation 1", "--validation: invalid value '1': give a number in [0, 0.99] such as 0.1"},
      {"--lr-factor 0", "--lr-factor: invalid value '0': give a number in (0, 1] such as 0.1"},
      {"--epochs 1.5", "--epochs: invalid value '1.5': give a whole number from 1 to 1000000"},
      {"--epochs 0", "--epochs: invalid value '0': give a whole number from 1 to 1000000"},
      {"--patience -1", "--patience: invalid value '-1': give a whole number of 0 or more"},
      {"--warmup 99999999999", "--warmup: invalid value '99999999999': give a whole number of 0 or more"},
      {"--seed -1", "--seed: invalid value '-1': give a whole number from 0 to 18446744073709551615"},
      {"--seed 18446744073709551616",
       "--seed: invalid value '18446744073709551616': give a whole number from 0 to 18446744073709551615"},
  };
  for (const BadNumberOption& bad : cases) {
    const auto result = run_cli(dir.path(), std::string("fit data.csv -o m.safetensors ") + bad.arguments);
    EXPECT_EQ(result.exit_code, 2) << bad.arguments;
    EXPECT_THAT(result.err, HasSubstr(bad.expected)) << bad.arguments;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "m.safetensors")) << bad.arguments;
  }
}

// An empty value, as an unset shell variable gives, is a usage error. It must not select the
// option's default, a linear model (--hidden), or no output at all.
TEST(Cli, EmptyOptionValuesAreRejected) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 -q").exit_code, 0);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fit data.csv -o new.safetensors --hidden ''", "--hidden"},
      {"fit data.csv -o new.safetensors --arch ''", "--arch"},
      {"fit data.csv -o new.safetensors -t ''", "--target"},
      {"fit data.csv -o new.safetensors --test ''", "--test"},
      {"fit data.csv -o new.safetensors --report ''", "--report"},
      {"fit data.csv -o ''", "--output"},
      {"predict m.safetensors data.csv -o ''", "--output"},
      {"predict m.safetensors ''", "DATA"},
      {"info ''", "MODEL"},
  };
  for (const auto& [arguments, option] : cases) {
    const auto result = run_cli(dir.path(), "--quiet " + arguments);
    EXPECT_EQ(result.exit_code, 2) << arguments;
    EXPECT_THAT(result.err, HasSubstr(option + ": the value is empty")) << arguments;
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "new.safetensors")) << arguments;
  }
}

TEST(Cli, UnusedScheduleOptionsWarn) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  const auto unused = run_cli(dir.path(),
                              "fit data.csv -o m.safetensors --epochs 2 -q --huber-delta 2 --lr-factor 0.5 "
                              "--step-epochs 3 --plateau-patience 2");
  ASSERT_EQ(unused.exit_code, 0) << unused.err;
  EXPECT_THAT(unused.err, HasSubstr("warning: --huber-delta is not used, because the loss is not huber"));
  EXPECT_THAT(unused.err, HasSubstr("warning: --lr-factor is not used by the cosine schedule"));
  EXPECT_THAT(unused.err, HasSubstr("warning: --step-epochs is not used by the cosine schedule"));
  EXPECT_THAT(unused.err, HasSubstr("warning: --plateau-patience is not used by the cosine schedule"));

  const auto used = run_cli(dir.path(),
                            "fit data.csv -o m.safetensors --epochs 2 -q --loss huber --huber-delta 2 --schedule step "
                            "--lr-factor 0.5 --step-epochs 1");
  ASSERT_EQ(used.exit_code, 0) << used.err;
  EXPECT_THAT(used.err, Not(HasSubstr("not used")));
}

TEST(Cli, ExplainAndReportNumbersAreChecked) {
  TempDir dir;
  const std::vector<BadNumberOption> cases = {
      {"explain m.safetensors --top-units -1", "--top-units: invalid value '-1': give a whole number of 0 or more"},
      {"report m.safetensors data.csv --top-units -1", "--top-units: invalid value '-1': give a whole number of 0 or more"},
      {"explain m.safetensors --range 0 1e40", "--range: invalid value '1e40'"},
      {"explain m.safetensors --range nan 1", "--range: invalid value 'nan'"},
      {"explain m.safetensors --points 1", "--points: invalid value '1': give a whole number from 2 to 1000000"},
  };
  for (const BadNumberOption& bad : cases) {
    const auto result = run_cli(dir.path(), bad.arguments);
    EXPECT_EQ(result.exit_code, 2) << bad.arguments;
    EXPECT_THAT(result.err, HasSubstr(bad.expected)) << bad.arguments;
  }
}

TEST(Cli, LargestSeedIsAccepted) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 -q --seed 18446744073709551615");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const auto info = run_cli(dir.path(), "info m.safetensors");
  EXPECT_THAT(info.out, HasSubstr("seed 18446744073709551615"));
}

TEST(Cli, InvalidHiddenWidthsAreExplained) {
  TempDir dir;
  dir.write("data.csv", "x,y\n1,2\n2,3\n3,4\n4,5\n5,6\n6,7\n7,8\n8,9\n9,10\n10,11\n");
  const auto result = run_cli(dir.path(), "fit data.csv --hidden 64,x");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("'x'"));
  EXPECT_THAT(result.err, HasSubstr("--hidden 64,64"));
}

TEST(Cli, ClassificationRoundTrip) {
  TempDir dir;
  std::string csv = "x1;x2;kind\n";
  for (int i = 0; i < 60; ++i) {
    const double a = (i % 10) / 10.0, b = (i / 10) / 6.0;
    csv += std::to_string(a) + ";" + std::to_string(b) + ";" + (a > b ? "\"up, high\"" : "down") + "\n";
  }
  dir.write("data.csv", csv);
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 30");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("classification with 2 classes"));
  const auto predict = run_cli(dir.path(), "predict m.safetensors data.csv --probabilities");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_THAT(predict.out, HasSubstr("kind,probability_down,\"probability_up, high\"\n"));
  const auto eval = run_cli(dir.path(), "eval m.safetensors data.csv");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("accuracy"));
  const auto info = run_cli(dir.path(), "info m.safetensors");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("architecture: 64 relu x2, 2\n"));
  EXPECT_THAT(info.out, HasSubstr("classes:      2 (down, up, high)"));
}

TEST(Cli, LbfgsProgressCountsIterations) {
  TempDir dir;
  std::string csv = "x,y\n";
  for (int i = 0; i < 40; ++i) csv += std::to_string(i * 0.1) + "," + std::to_string(std::sin(i * 0.1)) + "\n";
  dir.write("data.csv", csv);
  const auto result = run_cli(dir.path(), "fit data.csv -o m.safetensors --optimizer lbfgs -e 3");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("iteration 1/3  loss "));
  EXPECT_THAT(result.out, HasSubstr("kept iteration "));
  EXPECT_THAT(result.out, Not(HasSubstr("epoch")));
  EXPECT_THAT(result.err, Not(HasSubstr("epoch")));
}

TEST(Cli, EqualNumericLabelsAreOneClass) {
  TempDir dir;
  std::string csv = "x,label\n";
  // Class "1" is written two ways, and class "2" with a space inside quotes.
  for (int i = 0; i < 40; ++i) {
    std::string label = "\" 2\"";
    if (i < 20) label = i % 2 == 1 ? "1" : "1.0";
    csv += std::to_string(i) + "," + label + "\n";
  }
  dir.write("data.csv", csv);
  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --task classification --epochs 5 --search off");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const auto info = run_cli(dir.path(), "info m.safetensors");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("classes:      2 (1.0, 2)\n"));
  dir.write("test.csv", "x,label\n3,1\n30,2.0\n");
  const auto eval = run_cli(dir.path(), "eval m.safetensors test.csv");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_THAT(eval.out, HasSubstr("accuracy"));
}

TEST(Cli, DecimalCommaFileFitsAndPredicts) {
  TempDir dir;
  std::string csv = "x;y\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + ",5;" + std::to_string(2 * i) + ",25\n";
  dir.write("data.csv", csv);
  const auto plain = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 -q");
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_THAT(plain.err, HasSubstr("data.csv:2:1: cannot parse '0,5'"));
  EXPECT_THAT(plain.err, HasSubstr("give --decimal-comma"));

  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 -q --decimal-comma");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  dir.write("new.csv", "x\n1,5\n2,5\n");
  const auto predict = run_cli(dir.path(), "predict m.safetensors new.csv --decimal-comma -o out.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  EXPECT_EQ(read_text(dir.path() / "out.csv").substr(0, 2), "y\n");
}

TEST(Cli, TwoValueTargetIsClasses) {
  TempDir dir;
  std::string csv = "age,survived\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + "," + std::to_string(i % 3 == 0 ? 1 : 0) + "\n";
  dir.write("data.csv", csv);
  const std::string note = "task: classification, since target column 'survived' contains only the values 0 and 1";

  const auto fit = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2 --search off");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("classification with 2 classes"));
  EXPECT_THAT(fit.out, HasSubstr(note));
  EXPECT_THAT(fit.out, HasSubstr("give --task regression"));
  dir.write("new.csv", "age\n3\n4\n");
  const auto predict = run_cli(dir.path(), "predict m.safetensors new.csv -o out.csv");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  // Classes, named as the file writes them, rather than numbers between and beyond 0 and 1.
  EXPECT_THAT(read_text(dir.path() / "out.csv"), ::testing::MatchesRegex("survived\n[01]\n[01]\n"));

  const auto regression = run_cli(dir.path(), "fit data.csv -o r.safetensors --epochs 2 --search off --task regression");
  ASSERT_EQ(regression.exit_code, 0) << regression.err;
  EXPECT_THAT(regression.out, HasSubstr("regression"));
  EXPECT_THAT(regression.out, Not(HasSubstr(note)));

  std::string three = "age,grade\n";
  for (int i = 0; i < 30; ++i) three += std::to_string(i) + "," + std::to_string(i % 3) + "\n";
  dir.write("three.csv", three);
  const auto three_values = run_cli(dir.path(), "fit three.csv -o m3.safetensors --epochs 2 --search off");
  ASSERT_EQ(three_values.exit_code, 0) << three_values.err;
  EXPECT_THAT(three_values.out, HasSubstr("regression"));
  EXPECT_THAT(three_values.out, Not(HasSubstr("task: classification")));
}

TEST(Cli, ConstantColumnWarns) {
  TempDir dir;
  std::string csv = "x,flat,y\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + ",7," + std::to_string(2 * i) + "\n";
  dir.write("data.csv", csv);
  const auto result = run_cli(dir.path(), "fit data.csv -o m.safetensors --epochs 2");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("warning: input column 'flat' is constant"));
}

TEST(Cli, SameSeedSameModelFile) {
  TempDir dir;
  std::string csv = "x,y\n";
  for (int i = 0; i < 50; ++i) csv += std::to_string(i * 0.1) + "," + std::to_string(std::sin(i * 0.1)) + "\n";
  dir.write("data.csv", csv);
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -o a.safetensors --epochs 5 -s 3 -q").exit_code, 0);
  ASSERT_EQ(run_cli(dir.path(), "fit data.csv -o b.safetensors --epochs 5 -s 3 -q").exit_code, 0);
  // The training summary records wall time, so compare predictions, which must match exactly.
  ASSERT_EQ(run_cli(dir.path(), "predict a.safetensors data.csv -o pa.csv").exit_code, 0);
  ASSERT_EQ(run_cli(dir.path(), "predict b.safetensors data.csv -o pb.csv").exit_code, 0);
  EXPECT_EQ(read_text(dir.path() / "pa.csv"), read_text(dir.path() / "pb.csv"));
}

}  // namespace
}  // namespace protean
