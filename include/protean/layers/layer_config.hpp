// LayerConfig: everything needed to rebuild one layer apart from its tensors.
//
// The architecture text (architecture.hpp), its JSON form and the model file's "layers" list are
// three spellings of a list of these, and Network::add(const LayerConfig&) builds from one.
#pragma once

#include <cstdint>

#include "protean/activations/activation.hpp"

namespace protean {

using Index = std::int64_t;

enum class LayerKind { dense, residual, batch_norm, layer_norm, dropout, fourier_features };

// Frequency scheme of FourierFeatures.
enum class FourierScheme {
  bands,     // per input, frequencies 1/8, 1/4, …, 2^(K−4) cycles per unit of input
  gaussian,  // a dense I×(I·K) matrix of draws from N(0, scale²)
};

struct LayerConfig {
  LayerKind kind = LayerKind::dense;
  Index units = 0;                               // dense, residual: output width O
  Activation activation = Activation::identity;  // dense, residual
  float momentum = 0.1f;                         // batch_norm: weight of the newest batch in the running statistics
  float rate = 0.0f;                             // dropout: probability of zeroing a unit, in [0, 1)
  Index frequencies = 0;                         // fourier_features: K frequencies per input
  FourierScheme scheme = FourierScheme::bands;   // fourier_features
  float scale = 1.0f;                            // fourier_features with gaussian: standard deviation σ

  bool operator==(const LayerConfig&) const = default;
};

}  // namespace protean
