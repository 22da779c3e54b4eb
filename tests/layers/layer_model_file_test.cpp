// Model files with every layer type: save, load and predict bitwise, and strict loading.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "layer_test_support.hpp"
#include "protean/architecture.hpp"
#include "protean/error.hpp"
#include "protean/io/model_file.hpp"
#include "protean/losses/mse.hpp"
#include "protean/optimizers/adam.hpp"
#include "protean/train/trainer.hpp"

namespace protean {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// Every layer kind, with activations that need the input among them.
constexpr const char* kEveryLayer =
    "fourier:3, fourier:1:gaussian:0.5, 16 gelu, res(16 silu), res(8 elu), bn, ln, dropout:0.2, 8 sine, 8 softsign, 2 hard_tanh";

// A few training steps, so that batch normalization's running statistics are not their initial values.
Model trained_model() {
  Rng rng(12);
  const Matrix x = testing::random_matrix(64, 2, rng);
  const Matrix y = testing::random_matrix(64, 2, rng);
  Model model;
  model.network = Network(2);
  model.network.add(parse_architecture(kEveryLayer));
  model.network.initialize(5);
  model.input_names = {"a", "b"};
  model.target_names = {"u", "v"};
  model.loss = "mse";
  Adam adam(1e-3f);
  TrainOptions options;
  options.epochs = 2;
  options.batch_size = 16;
  train(model.network, MeanSquaredError(), adam, x, y, options);
  return model;
}

struct FileParts {
  json header;
  std::string data;
};

FileParts split_file(const std::string& bytes) {
  std::uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  return {json::parse(bytes.substr(8, length)), bytes.substr(8 + length)};
}

std::string join_file(const FileParts& parts) {
  const std::string header = parts.header.dump();
  const std::uint64_t length = header.size();
  std::string bytes(reinterpret_cast<const char*>(&length), 8);
  return bytes + header + parts.data;
}

// Rewrites the "model" metadata of a serialized model.
std::string with_description(const std::string& bytes, const std::function<void(json&)>& edit) {
  FileParts parts = split_file(bytes);
  json description = json::parse(parts.header["__metadata__"]["model"].get<std::string>());
  edit(description);
  parts.header["__metadata__"]["model"] = description.dump();
  return join_file(parts);
}

std::string load_error(const std::string& bytes) {
  try {
    deserialize_model(bytes, "test.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(LayerModelFile, EveryLayerRoundTripsBitwise) {
  Model model = trained_model();
  const auto buffers = model.network.buffers();
  ASSERT_FALSE(buffers.empty());
  EXPECT_NE(model.network.buffers()[1].value(0, 0), 0.0f) << "running_mean still at its initial value";

  const std::string bytes = serialize_model(model);
  Model loaded = deserialize_model(bytes, "memory");
  EXPECT_EQ(loaded.network.describe(), model.network.describe());
  EXPECT_EQ(loaded.network.describe(), kEveryLayer);

  const auto original_parameters = model.network.parameters();
  const auto loaded_parameters = loaded.network.parameters();
  ASSERT_EQ(original_parameters.size(), loaded_parameters.size());
  for (std::size_t i = 0; i < original_parameters.size(); ++i) {
    EXPECT_EQ(loaded_parameters[i].name, original_parameters[i].name);
    EXPECT_TRUE(bitwise_equal(loaded_parameters[i].value, original_parameters[i].value)) << original_parameters[i].name;
  }
  const auto loaded_buffers = loaded.network.buffers();
  ASSERT_EQ(loaded_buffers.size(), buffers.size());
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(loaded_buffers[i].value, buffers[i].value)) << buffers[i].name;
  }

  Rng rng(13);
  const Matrix x = testing::random_matrix(40, 2, rng);
  EXPECT_TRUE(bitwise_equal(loaded.predict(x), model.predict(x)));
}

TEST(LayerModelFile, VersionFollowsLayers) {
  Model dense_only;
  dense_only.network = Network(1);
  dense_only.network.add_dense(4, Activation::softplus).add_dense(1);
  dense_only.input_names = {"x"};
  dense_only.target_names = {"y"};
  dense_only.loss = "mse";
  EXPECT_EQ(split_file(serialize_model(dense_only)).header["__metadata__"]["format_version"], "1");
  EXPECT_EQ(split_file(serialize_model(trained_model())).header["__metadata__"]["format_version"], "2");

  Model new_activation = dense_only;
  new_activation.network = Network(1);
  new_activation.network.add_dense(4, Activation::gelu).add_dense(1);
  EXPECT_EQ(split_file(serialize_model(new_activation)).header["__metadata__"]["format_version"], "2");
}

TEST(LayerModelFile, RejectsNewLayersInVersion1) {
  FileParts parts = split_file(serialize_model(trained_model()));
  parts.header["__metadata__"]["format_version"] = "1";
  EXPECT_THAT(load_error(join_file(parts)), HasSubstr("layer 0 is a fourier_features layer with activation identity, which format version 1 does not have"));
}

TEST(LayerModelFile, RejectsBadLayerConfig) {
  const std::string bytes = serialize_model(trained_model());
  EXPECT_THAT(load_error(with_description(bytes, [](json& d) { d["layers"][0]["type"] = "conv"; })),
              HasSubstr("layer 0: invalid layer in the JSON architecture: unknown layer type 'conv'"));
  EXPECT_THAT(load_error(with_description(bytes, [](json& d) { d["layers"][7]["rate"] = 1.5; })),
              HasSubstr("layer 7: invalid dropout rate 1.5"));
  EXPECT_THAT(load_error(with_description(bytes, [](json& d) { d["layers"][0]["frequencies"] = 30; })),
              HasSubstr("layer 0: invalid number of Fourier frequencies 30"));
  // A wider Fourier layer needs a frequencies tensor that the file does not have.
  EXPECT_THAT(load_error(with_description(bytes, [](json& d) { d["layers"][0]["frequencies"] = 4; })),
              HasSubstr("tensor 'network.0.frequencies' has shape [2,6] where the architecture needs [2, 8]"));
}

TEST(LayerModelFile, RejectsMissingBuffer) {
  FileParts parts = split_file(serialize_model(trained_model()));
  std::string name;
  for (const auto& [key, value] : parts.header.items()) {
    if (key.ends_with(".running_var")) name = key;
  }
  ASSERT_FALSE(name.empty());
  parts.header.erase(name);
  EXPECT_THAT(load_error(join_file(parts)), HasSubstr("'" + name + "' is missing"));
}

TEST(LayerModelFile, RejectsNegativeVariance) {
  FileParts parts = split_file(serialize_model(trained_model()));
  std::string name;
  for (const auto& [key, value] : parts.header.items()) {
    if (key.ends_with(".running_var")) name = key;
  }
  const auto begin = parts.header[name]["data_offsets"][0].get<std::size_t>();
  const float negative = -1.0f;
  std::memcpy(parts.data.data() + begin, &negative, sizeof(float));
  EXPECT_THAT(load_error(join_file(parts)), HasSubstr("tensor '" + name + "' holds a negative variance"));
}

}  // namespace
}  // namespace protean
