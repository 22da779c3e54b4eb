#include "protean/architecture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "protean/error.hpp"
#include "protean/network.hpp"

namespace protean {
namespace {

using ::testing::HasSubstr;

LayerConfig dense(Index units, Activation activation = Activation::identity) {
  LayerConfig config;
  config.units = units;
  config.activation = activation;
  return config;
}

TEST(Architecture, ParsesEveryLayerKind) {
  const auto layers = parse_architecture("fourier:8, 128 relu, res(128 relu)x3, bn, dropout:0.1, ln, 10");
  ASSERT_EQ(layers.size(), 9u);
  EXPECT_EQ(layers[0].kind, LayerKind::fourier_features);
  EXPECT_EQ(layers[0].frequencies, 8);
  EXPECT_EQ(layers[0].scheme, FourierScheme::bands);
  EXPECT_EQ(layers[1], dense(128, Activation::relu));
  for (std::size_t i = 2; i < 5; ++i) {
    EXPECT_EQ(layers[i].kind, LayerKind::residual);
    EXPECT_EQ(layers[i].units, 128);
    EXPECT_EQ(layers[i].activation, Activation::relu);
  }
  EXPECT_EQ(layers[5].kind, LayerKind::batch_norm);
  EXPECT_EQ(layers[5].momentum, 0.1f);
  EXPECT_EQ(layers[6].kind, LayerKind::dropout);
  EXPECT_EQ(layers[6].rate, 0.1f);
  EXPECT_EQ(layers[7].kind, LayerKind::layer_norm);
  EXPECT_EQ(layers[8], dense(10));
}

TEST(Architecture, ParsesOptionsAndSpacing) {
  const auto layers = parse_architecture("  fourier:4:gaussian:2.5 ,64 gelu x2,res( 32 )x2, batchnorm:0.01,layernorm ");
  ASSERT_EQ(layers.size(), 7u);
  EXPECT_EQ(layers[0].scheme, FourierScheme::gaussian);
  EXPECT_EQ(layers[0].scale, 2.5f);
  EXPECT_EQ(layers[1], dense(64, Activation::gelu));
  EXPECT_EQ(layers[2], dense(64, Activation::gelu));
  EXPECT_EQ(layers[3].activation, Activation::identity);
  EXPECT_EQ(layers[5].momentum, 0.01f);
  EXPECT_EQ(layers[6].kind, LayerKind::layer_norm);
  EXPECT_EQ(parse_architecture("fourier:3:bands")[0].scheme, FourierScheme::bands);
}

TEST(Architecture, PrintsCanonicalText) {
  EXPECT_EQ(format_architecture(parse_architecture("fourier:8, 128 relu, res(128 relu)x3, bn, dropout:0.1, 10")),
            "fourier:8, 128 relu, res(128 relu)x3, bn, dropout:0.1, 10");
  EXPECT_EQ(format_architecture(parse_architecture("64 relu, 64 relu,64 relu, 1 identity")), "64 relu x3, 1");
  EXPECT_EQ(format_architecture(parse_architecture("bn:0.05, fourier:2:gaussian:10, res(8)")), "bn:0.05, fourier:2:gaussian:10, res(8)");
}

TEST(Architecture, TextRoundTrip) {
  const char* texts[] = {
      "1",
      "fourier:6, 256 sine, 256 sine, 1",
      "res(64 silu)x4, ln, dropout:0.25, 3",
      "fourier:16:gaussian:12.5, 128 elu, bn:0.2, res(32 softsign), res(32 hard_tanh), 2",
  };
  for (const char* text : texts) {
    const auto layers = parse_architecture(text);
    EXPECT_EQ(parse_architecture(format_architecture(layers)), layers) << text;
    EXPECT_EQ(parse_architecture(architecture_to_json(layers)), layers) << text;
  }
}

// A run of equal layers longer than the largest repeat count is printed as several runs, so the
// text still parses. The fuzzer found "1, 1x6262, 1x6262", which printed as "1 x12525".
TEST(Architecture, LongRunsPrintAsSeveralRepeats) {
  const auto layers = parse_architecture("1, 1x6262, 1x6262");
  ASSERT_EQ(layers.size(), 12525u);
  EXPECT_EQ(format_architecture(layers), "1 x10000, 1 x2525");
  EXPECT_EQ(parse_architecture(format_architecture(layers)), layers);
  EXPECT_EQ(format_architecture(parse_architecture("res(4)x10000, res(4)")), "res(4)x10000, res(4)");
}

TEST(Architecture, NetworkDescribeRoundTrip) {
  const std::string text = "fourier:4, 32 tanh, res(32 relu)x2, res(16 gelu), bn, ln, dropout:0.5, 2";
  Network net(2);
  net.add(parse_architecture(text));
  EXPECT_EQ(net.describe(), text);
  Network rebuilt(2);
  rebuilt.add(parse_architecture(net.describe()));
  EXPECT_EQ(rebuilt.layer_configs(), net.layer_configs());
  EXPECT_EQ(rebuilt.parameter_count(), net.parameter_count());
  EXPECT_EQ(net.output_width(), 2);
  EXPECT_EQ(net.layer(0).output_width(), 2 * 2 * 4);
}

TEST(Architecture, BuilderMatchesText) {
  Network built(3);
  built.add_fourier_features(2).add_dense(16, Activation::relu).add_residual(16, Activation::relu).add_batch_norm().add_layer_norm()
      .add_dropout(0.2f).add_dense(1);
  EXPECT_EQ(built.describe(), "fourier:2, 16 relu, res(16 relu), bn, ln, dropout:0.2, 1");
}

TEST(Architecture, TensorShapesMatchLayers) {
  Network net(3);
  net.add(parse_architecture("fourier:2:gaussian:1, 8 relu, res(5 tanh), res(5), bn, ln, dropout:0.1, 1"));
  Index width = 3;
  for (std::size_t i = 0; i < net.layer_count(); ++i) {
    Layer& layer = net.layer(i);
    const auto shapes = layer_tensor_shapes(layer.config(), width);
    std::vector<TensorShape> actual;
    for (const auto& parameter : layer.parameters()) actual.push_back({parameter.name, parameter.value.rows(), parameter.value.cols()});
    for (const auto& buffer : layer.buffers()) actual.push_back({buffer.name, buffer.value.rows(), buffer.value.cols()});
    ASSERT_EQ(shapes.size(), actual.size()) << "layer " << i;
    for (std::size_t t = 0; t < shapes.size(); ++t) {
      EXPECT_EQ(shapes[t].name, actual[t].name) << "layer " << i;
      EXPECT_EQ(shapes[t].rows, actual[t].rows) << "layer " << i << " " << shapes[t].name;
      EXPECT_EQ(shapes[t].cols, actual[t].cols) << "layer " << i << " " << shapes[t].name;
    }
    EXPECT_EQ(layer_output_width(layer.config(), width), layer.output_width());
    width = layer.output_width();
  }
}

struct ErrorCase {
  const char* text;
  int column;
  const char* expected;
  const char* found;
};

TEST(Architecture, ErrorsNameColumnAndToken) {
  const ErrorCase cases[] = {
      {"", 1, "expected a layer", "the end of the text"},
      {"64 relux", 4, "expected an activation (identity, sigmoid", "'relux'"},
      {"64 relu,, 3", 9, "expected a layer", "','"},
      {"res(64 relu", 12, "expected ')' to close the residual block", "the end of the text"},
      {"res 64", 5, "expected '(' after 'res'", "'64'"},
      {"dropout:1.5", 9, "expected the dropout rate, a number in [0, 1)", "'1.5'"},
      {"dropout", 8, "expected ':' and a rate after 'dropout'", "the end of the text"},
      {"fourier:8:sines", 11, "expected 'bands' or 'gaussian'", "'sines'"},
      {"fourier:8:gaussian:-1", 20, "standard deviation", "'-1'"},
      {"64 relu 32", 9, "expected ',' between layers", "'32'"},
      {"res(64)x0", 9, "expected a repeat count after 'x', a whole number from 1 to 10000", "'0'"},
      {"conv:3", 1, "expected a layer: a width", "'conv'"},
      {"0 relu", 1, "expected a layer width, a whole number from 1 to 16777216", "'0'"},
      {"bn:0", 4, "momentum, a number in (0, 1]", "'0'"},
  };
  for (const auto& c : cases) {
    try {
      parse_architecture(c.text);
      ADD_FAILURE() << "no error for '" << c.text << "'";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_THAT(message, HasSubstr("at column " + std::to_string(c.column) + ",")) << c.text;
      EXPECT_THAT(message, HasSubstr(c.expected)) << c.text;
      EXPECT_THAT(message, HasSubstr(std::string("but found ") + c.found)) << c.text;
      EXPECT_THAT(e.fix(), HasSubstr("docs/architecture-text.md")) << c.text;
    }
  }
}

TEST(Architecture, JsonErrorsNameKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "empty"},
      {"[{\"type\": \"conv\"}]", "unknown layer type 'conv'"},
      {"[{\"type\": \"dense\", \"activation\": \"relu\"}]", "'units' is missing"},
      {"[{\"type\": \"dense\", \"units\": 0, \"activation\": \"relu\"}]", "'units' is 0, outside [1, 16777216]"},
      {"[{\"type\": \"dense\", \"units\": 4, \"activation\": \"relu\", \"bias\": false}]", "unknown key 'bias'"},
      {"[{\"type\": \"dropout\", \"rate\": \"high\"}]", "'rate' is '\"high\"', not a number"},
      {"[1, 2", "not a JSON list"},
  };
  for (const auto& [text, expected] : cases) {
    try {
      parse_architecture(text);
      ADD_FAILURE() << "no error for " << text;
    } catch (const Error& e) {
      EXPECT_THAT(std::string(e.what()), HasSubstr(expected)) << text;
    }
  }
}

TEST(Architecture, BuildRejectsImpossibleLayers) {
  Network net(2);
  EXPECT_THROW(net.add(parse_architecture("fourier:25")), Error);                   // beyond kMaxBands
  EXPECT_THROW(net.add(parse_architecture("dropout:0.5, fourier:5000000:gaussian:1")), Error);  // too many features
  EXPECT_EQ(net.layer_count(), 1u);  // the dropout layer before the failing one
  LayerConfig bad_rate;
  bad_rate.kind = LayerKind::dropout;
  bad_rate.rate = 1.0f;
  EXPECT_THROW(net.add(bad_rate), Error);
}

}  // namespace
}  // namespace protean
