// Fuzzes the model loader: deserialize_model on arbitrary bytes and, when a model loads, a
// prediction on one row of zeros. Large finite weights may still overflow to infinity, so the
// prediction's values are not checked, only that computing it is memory-safe.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protean/error.hpp"
#include "protean/io/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    protean::Model model = protean::deserialize_model(bytes, "fuzz.safetensors");
    const protean::Matrix row = protean::Matrix::zeros(1, model.input_width());
    (void)model.predict(row);
  } catch (const protean::Error&) {
  }
  return 0;
}
