// Fuzzes the checkpoint loader: deserialize_checkpoint() on arbitrary bytes. Its model part goes
// through deserialize_model(), and every checkpoint tensor and field is checked against it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protean/error.hpp"
#include "protean/train/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const protean::Checkpoint checkpoint = protean::deserialize_checkpoint(bytes, "fuzz.ckpt");
    (void)protean::serialize_checkpoint(checkpoint);
  } catch (const protean::Error&) {
  }
  return 0;
}
