// IDX reading (the MNIST file format), plain or gzip-compressed.
//
// An IDX file is a 4-byte magic (0, 0, type code, number of dimensions), one big-endian uint32
// per dimension, then the data in row-major order. Only unsigned bytes (type 0x08) are read,
// which is what MNIST and Fashion-MNIST use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "protean/data/dataset.hpp"

namespace protean {

struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> values;  // product(dims) bytes
};

// Reads an IDX file, detecting gzip by its magic bytes. Every error names the file, and the byte
// offset where one applies. Errors: missing file, bad magic, unsupported type, 0 or more than 4
// dimensions, a header claiming more than 2^31 values, data shorter than the header claims,
// bytes after the data, a damaged gzip stream. Memory grows with the bytes actually read, never
// with the size a header claims.
IdxArray read_idx(const std::filesystem::path& path);

// Reads an images file (N×rows×cols) and a labels file (N) into a classification dataset:
// inputs are the pixels as floats 0..255, one row per image; class names "0".."9" (or up to the
// largest label). An images file of N×K values gives K inputs per row. `source` is the images
// file and `source_lines` stays empty. Errors: mismatched counts, wrong dimensions, no images.
Dataset read_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels);

}  // namespace protean
