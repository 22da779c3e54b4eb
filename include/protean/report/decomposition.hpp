// Decomposition of a one-input, one-hidden-layer regression network into its hidden units.
//
// Such a network computes, on standardized data, y_std = b + Σᵢ cᵢ·act(wᵢ·x_std + bᵢ) with
// x_std = (x − mean_x) / scale_x and y = y_std·scale_y + mean_y. In the data's own units that is
//   y = B + Σᵢ Cᵢ·act(Wᵢ·x + Bᵢ)
// with Cᵢ = scale_y·cᵢ, Wᵢ = wᵢ / scale_x, Bᵢ = bᵢ − wᵢ·mean_x / scale_x and B = scale_y·b + mean_y.
// Each term Cᵢ·act(Wᵢ·x + Bᵢ) is one unit's contribution, and B plus their sum is the
// network's prediction. A network with several outputs (target columns) shares the hidden units
// among them, and each output has its own cᵢ, b and target scale, so it is decomposed one output
// at a time.
//
//   protean::Model model = protean::load_model("model.safetensors");
//   protean::Decomposition parts = protean::decompose(model, {-1.0f, 0.0f, 1.0f});
//   // parts.total[k] equals model.predict() at xs[k] up to float rounding
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protean/model.hpp"

namespace protean {

// One hidden unit's term Cᵢ·act(Wᵢ·x + Bᵢ), with its parameters in the data's units.
struct UnitTerm {
  Index unit = 0;              // 0-based column of the hidden layer
  double output_weight = 0.0;  // Cᵢ
  double input_weight = 0.0;   // Wᵢ
  double input_bias = 0.0;     // Bᵢ
  std::vector<float> values;   // the term at each x of Decomposition::xs
  double span = 0.0;           // max − min of `values`: how much the unit shapes the curve there
};

struct Decomposition {
  Activation activation = Activation::identity;
  Index target = 0;            // 0-based output (target column) decomposed
  std::vector<float> xs;       // the inputs the terms are evaluated at, in the input's units
  std::vector<UnitTerm> units; // in hidden-layer order
  double output_bias = 0.0;    // B
  std::vector<float> total;    // B + Σ terms at each x: the network's prediction

  // Indices into `units`, largest span first (ties by unit order).
  std::vector<std::size_t> order_by_span() const;
};

// Returns an empty optional when `model` can be decomposed, else the reason it cannot (for
// example "the network has 2 hidden layers; a decomposition needs exactly one").
std::optional<std::string> decomposition_unsupported_reason(const Model& model);

// Evaluates every hidden unit's contribution to output `target` (0-based) at `xs` (input units)
// in double precision. Errors: a model for which decomposition_unsupported_reason() returns a
// reason, and a `target` outside the network's outputs.
Decomposition decompose(const Model& model, const std::vector<float>& xs, Index target = 0);

}  // namespace protean
