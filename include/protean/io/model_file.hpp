// Model files: the safetensors layout, readable by numpy and the `safetensors` Python package.
//
//   8 bytes   little-endian uint64 H, the header's length
//   H bytes   JSON header: for every tensor {"dtype": "F32", "shape": [rows, cols],
//             "data_offsets": [begin, end]}, plus "__metadata__", a map of strings
//   the rest  raw little-endian float32 data, tensors back to back
//
// Tensors: "network.<layer>.<name>" for every parameter and buffer of each layer, such as
// "network.0.weight" (I×O) and "network.0.bias" (1×O) of a dense layer, and, when the model
// standardizes, "input_scaler.mean", "input_scaler.scale", "target_scaler.mean",
// "target_scaler.scale" (each 1×K; targets for regression only). Metadata: "format" = "protean",
// "format_version", "protean_version", and "model", a JSON text with the task, architecture,
// names, loss, training summary and the encoding of categorical input columns.
// docs/model-format.md describes every field.
#pragma once

#include <filesystem>
#include <string>

#include "protean/model.hpp"

namespace protean {

// Version 2 adds the layers and activations beyond dense layers with the first seven
// activations, and version 3 the categorical input columns ("input_columns"). A model is written
// in the oldest version that can store it, so a model of numeric columns and dense layers with the
// first seven activations is still version 1.
inline constexpr int kModelFormatVersion = 3;

// Serializes a model to the bytes of a model file. Errors: a model that deserialize_model()
// would reject, such as one without a loss, with missing names or with NaN weights.
std::string serialize_model(const Model& model);
// Parses model file bytes. Every size, offset, shape and name is checked before use, so a
// truncated, corrupt or hostile file gives an Error, never a crash or a large allocation.
Model deserialize_model(std::string_view bytes, const std::string& source);

// Writes atomically (see io/atomic_file.hpp), and writes nothing when serialize_model() fails.
void save_model(const Model& model, const std::filesystem::path& path);
Model load_model(const std::filesystem::path& path);

}  // namespace protean
