// Model files of models with categorical input columns (format version 3), and the older
// versions that models of numeric columns keep.
#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "protean/data/csv.hpp"
#include "protean/error.hpp"
#include "protean/fit.hpp"
#include "protean/io/model_file.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

const std::filesystem::path kFixtures = std::filesystem::path(PROTEAN_SOURCE_DIR) / "tests" / "fixtures" / "models";

// 30 rows: a color with three categories, a number, and a target of both.
std::string color_csv() {
  std::string text = "color,x,y\n";
  const char* colors[] = {"red", "green", "blue"};
  for (int r = 0; r < 30; ++r) {
    const int k = r % 3;
    text += fmt::format("{},{},{}\n", colors[k], r * 0.1, 2.0 * k + r * 0.1);
  }
  return text;
}

Dataset color_data() { return to_dataset(parse_csv(color_csv(), "colors.csv"), DatasetOptions{}); }

Model color_model() {
  FitOptions options;
  options.hidden = {5};
  options.epochs = 3;
  options.search = SearchMode::off;
  return fit(color_data(), options).model;
}

json metadata_of(const std::string& bytes) {
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  return json::parse(bytes.substr(8, length))["__metadata__"];
}

// Rewrites the metadata of a serialized model, keeping the tensor data as it is.
std::string with_metadata(const std::string& bytes, const std::function<void(json& metadata, json& model)>& edit) {
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  json header = json::parse(bytes.substr(8, length));
  json model = json::parse(header["__metadata__"]["model"].get<std::string>());
  edit(header["__metadata__"], model);
  header["__metadata__"]["model"] = model.dump();
  const std::string text = header.dump();
  const std::uint64_t new_length = text.size();
  return std::string(reinterpret_cast<const char*>(&new_length), 8) + text + bytes.substr(8 + length);
}

std::string load_error(const std::string& bytes) {
  try {
    deserialize_model(bytes, "test.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CategoricalModelFile, RoundTripKeepsEncoding) {
  Model model = color_model();
  const std::string bytes = serialize_model(model);
  EXPECT_EQ(metadata_of(bytes)["format_version"], "3");

  Model loaded = deserialize_model(bytes, "memory");
  EXPECT_EQ(loaded.input_encoding, model.input_encoding);
  EXPECT_THAT(loaded.input_names, ElementsAre("color=blue", "color=green", "color=red", "x"));
  ASSERT_EQ(loaded.input_encoding.column_count(), 2);
  EXPECT_THAT(loaded.input_encoding.columns()[0].categories, ElementsAre("blue", "green", "red"));
  const Dataset data = color_data();
  EXPECT_TRUE(bitwise_equal(model.predict(data.inputs), loaded.predict(data.inputs)));
}

TEST(CategoricalModelFile, ZeroOneInputsAreNotStandardized) {
  const Model model = color_model();
  for (Index c = 0; c < 3; ++c) {
    EXPECT_EQ(model.input_scaler.mean()(0, c), 0.0f) << model.input_names[static_cast<std::size_t>(c)];
    EXPECT_EQ(model.input_scaler.scale()(0, c), 1.0f) << model.input_names[static_cast<std::size_t>(c)];
  }
  EXPECT_NE(model.input_scaler.mean()(0, 3), 0.0f) << "the numeric column x is standardized";
}

TEST(CategoricalModelFile, RawRowsEncodeLikeTheCsv) {
  const Model model = color_model();
  const Matrix from_rows = model.encoding().encode({{"green", "0.4"}, {"red", "1.5"}});
  // The file has its columns in another order than the model and lacks the category "blue".
  const CsvTable table = parse_csv("x,color\n0.4,green\n1.5,red\n", "new.csv");
  const Dataset from_csv = model_dataset(model, table, /*with_targets=*/false);
  EXPECT_THAT(from_csv.input_names, ElementsAre("color=blue", "color=green", "color=red", "x"));
  EXPECT_TRUE(bitwise_equal(from_rows, from_csv.inputs));
  EXPECT_EQ(from_rows(0, 1), 1.0f);
  EXPECT_EQ(from_rows(1, 3), 1.5f);
}

TEST(CategoricalModelFile, NumericModelKeepsOldLayout) {
  Dataset data = to_dataset(parse_csv("a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n5,2,7\n", "numbers.csv"), DatasetOptions{});
  FitOptions options;
  options.hidden = {3};
  options.epochs = 1;
  options.search = SearchMode::off;
  const std::string bytes = serialize_model(fit(data, options).model);
  const json metadata = metadata_of(bytes);
  EXPECT_EQ(metadata["format_version"], "1");
  EXPECT_FALSE(json::parse(metadata["model"].get<std::string>()).contains("input_columns"));
}

// Files without input_columns get one numeric column per input name, and a model built in C++
// may have named an input "".
TEST(CategoricalModelFile, UnnamedNumericInputStillLoads) {
  Dataset data = to_dataset(parse_csv("a,b,y\n1,2,3\n2,1,3\n3,3,6\n4,1,5\n", "numbers.csv"), DatasetOptions{});
  data.input_names = {"", "b"};
  data.encoding = InputEncoding();
  FitOptions options;
  options.hidden = {3};
  options.epochs = 1;
  options.search = SearchMode::off;
  const Model loaded = deserialize_model(serialize_model(fit(data, options).model), "memory");
  EXPECT_THAT(loaded.input_names, ElementsAre("", "b"));
  EXPECT_THAT(loaded.encoding().column_names(), ElementsAre("", "b"));
}

TEST(CategoricalModelFile, InputColumnsNeedVersion3) {
  const std::string bytes = with_metadata(serialize_model(color_model()), [](json& metadata, json&) {
    metadata["format_version"] = "2";
  });
  EXPECT_THAT(load_error(bytes), HasSubstr("'input_columns' appears in format version 2"));
}

TEST(CategoricalModelFile, InputColumnsMustMatchInputNames) {
  const std::string renamed = with_metadata(serialize_model(color_model()), [](json&, json& model) {
    model["input_columns"][0]["categories"][1] = "purple";
  });
  EXPECT_THAT(load_error(renamed), HasSubstr("'input_columns' encode 4 inputs that differ from the 4 'input_names'"));

  const std::string repeated = with_metadata(serialize_model(color_model()), [](json&, json& model) {
    model["input_columns"][0]["categories"][1] = " blue";
  });
  EXPECT_THAT(load_error(repeated), HasSubstr("lists the category ' blue' twice"));

  const std::string not_text = with_metadata(serialize_model(color_model()), [](json&, json& model) {
    model["input_columns"][0]["categories"][0] = 7;
  });
  EXPECT_THAT(load_error(not_text), HasSubstr("a category of input column 'color' is not a string"));
}

TEST(CategoricalModelFile, MalformedInputColumnsAreRejected) {
  const std::string bytes = serialize_model(color_model());
  const std::string not_list = with_metadata(bytes, [](json&, json& model) { model["input_columns"] = "color"; });
  EXPECT_THAT(load_error(not_list), HasSubstr("test.safetensors: invalid model file: 'input_columns' is not a list of 1 to 4 columns"));

  const std::string no_name = with_metadata(bytes, [](json&, json& model) { model["input_columns"][1].erase("name"); });
  EXPECT_THAT(load_error(no_name), HasSubstr("'name' is missing"));

  const std::string bad_categories =
      with_metadata(bytes, [](json&, json& model) { model["input_columns"][0]["categories"] = json::array(); });
  EXPECT_THAT(load_error(bad_categories), HasSubstr("the categories of input column 'color' are not a list of 1 to 4 names"));
}

// The version 1 fixture predates input_columns; it must load as numeric columns and read its CSV.
TEST(CategoricalModelFile, OldModelReadsItsCsv) {
  Model model = load_model(kFixtures / "v1_regression_2-3-1.safetensors");
  EXPECT_FALSE(model.input_encoding.has_categorical());
  EXPECT_THAT(model.encoding().column_names(), ElementsAre("x1", "x2"));
  const Dataset data = model_dataset(model, read_csv(kFixtures / "v1_regression_2-3-1.csv"), /*with_targets=*/true);
  ASSERT_EQ(data.inputs.cols(), 2);
  // The file's first row is "-1.5,-1,3.6250".
  EXPECT_EQ(data.inputs(0, 0), -1.5f);
  EXPECT_EQ(data.inputs(0, 1), -1.0f);
  EXPECT_TRUE(model.evaluate(data).r2.has_value());
}

}  // namespace
}  // namespace protean
