// Fuzzes the architecture text parser: parse_architecture() on arbitrary text (both the text
// and the JSON form). A text that parses must print back to text that parses to the same
// layers, and a network small enough to build from it must run a forward pass.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protean/architecture.hpp"
#include "protean/error.hpp"
#include "protean/network.hpp"

namespace {

constexpr protean::Index kInputs = 2;
// Larger networks are parsed and checked but not built, to keep each input fast.
constexpr protean::Index kMaxValuesToBuild = 1 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<protean::LayerConfig> layers;
  try {
    layers = protean::parse_architecture(text);
  } catch (const protean::Error&) {
    return 0;
  }

  const std::string printed = protean::format_architecture(layers);
  std::vector<protean::LayerConfig> reparsed;
  try {
    reparsed = protean::parse_architecture(printed);
  } catch (const protean::Error&) {
    std::abort();  // the printer wrote text its own parser rejects
  }
  if (protean::format_architecture(reparsed) != printed) std::abort();

  protean::Index width = kInputs;
  protean::Index values = 0;
  try {
    for (const protean::LayerConfig& layer : layers) {
      protean::check_layer_config(layer, width);
      for (const protean::TensorShape& shape : protean::layer_tensor_shapes(layer, width)) values += shape.rows * shape.cols;
      width = protean::layer_output_width(layer, width);
      if (values > kMaxValuesToBuild || width > kMaxValuesToBuild) return 0;
    }
    protean::Network network(kInputs);
    network.add(layers);
    network.initialize(1);
    const protean::Matrix row = protean::Matrix::zeros(1, kInputs);
    (void)network.predict(row);
  } catch (const protean::Error&) {
  }
  return 0;
}
