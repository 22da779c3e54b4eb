// Recognizes files given in the wrong place, so that loaders can report what the file is.
#pragma once

#include <algorithm>
#include <string_view>

namespace protean {

// Returns whether `bytes` starts with 8 printable ASCII characters. A safetensors file starts with
// a binary header length whose high bytes are zero, so printable text there means a CSV or other
// text file was given where a model or checkpoint was expected.
inline bool starts_with_text(std::string_view bytes) {
  return bytes.size() >= 8 && std::all_of(bytes.begin(), bytes.begin() + 8, [](char c) {
           return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f);
         });
}

}  // namespace protean
