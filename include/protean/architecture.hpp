// Architecture text: one line that describes a network's layers, for the CLI and for people.
//
//   fourier:8, 128 relu, res(128 relu)x3, bn, dropout:0.1, 10
//
// is Fourier features with 8 bands per input, a dense layer of 128 ReLU units, three residual
// blocks of width 128, batch normalization, dropout with rate 0.1 and a dense output layer of 10
// units with no activation. docs/architecture-text.md gives the grammar. The same list of layers
// has a JSON form (a list of objects, as in the model file's "layers"), and parse_architecture()
// reads both. format_architecture() is the one printer; Network::describe() uses it, and
// parsing what it prints gives the same list of layers.
//
//   std::vector<protean::LayerConfig> layers = protean::parse_architecture("64 relu, res(64 relu)x2, 1");
//   protean::Network net(3);
//   net.add(layers);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protean/layers/layer.hpp"
#include "protean/layers/layer_config.hpp"

namespace protean {

// Largest width of any layer, as for the model file: 2^24 units.
inline constexpr Index kMaxLayerWidth = Index{1} << 24;
// Largest repeat count, as in "res(64 relu)x100".
inline constexpr Index kMaxRepeat = 10'000;

// Parses the text form or, when the text starts with '[', the JSON form. Errors name the column
// (1-based) of the text, the token found there and what was expected.
std::vector<LayerConfig> parse_architecture(std::string_view text);
// Prints the text form, with runs of identical layers written once with "xN".
std::string format_architecture(const std::vector<LayerConfig>& layers);
// Prints the JSON form: a list of objects such as {"type": "dense", "units": 64, "activation": "relu"}.
std::string architecture_to_json(const std::vector<LayerConfig>& layers);

// Output width of a layer with this configuration and input width.
Index layer_output_width(const LayerConfig& config, Index input_width);
// Throws an Error when the configuration cannot follow a layer of `input_width` outputs: a
// width outside [1, kMaxLayerWidth], a rate or momentum out of range, too many Fourier bands.
void check_layer_config(const LayerConfig& config, Index input_width);

// Name and shape of one tensor that a layer saves: its parameters, then its buffers.
struct TensorShape {
  std::string name;  // as in Layer::parameters() and Layer::buffers(), e.g. "first.weight"
  Index rows = 0;
  Index cols = 0;
};
// The tensors a layer of this configuration has, computed without building it, so that a model
// file can be checked against its architecture before anything is allocated.
std::vector<TensorShape> layer_tensor_shapes(const LayerConfig& config, Index input_width);

// Builds an uninitialized layer. Dense layers get Init::automatic.
std::unique_ptr<Layer> make_layer(const LayerConfig& config, Index input_width);

std::string_view to_string(LayerKind kind);

}  // namespace protean
