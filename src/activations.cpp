#include "protean/activations/activation.hpp"

#include <array>
#include <cstdlib>

namespace protean {

namespace {

struct NamedActivation {
  Activation activation;
  std::string_view name;
};

constexpr std::array<NamedActivation, 13> kNames{{
    {Activation::identity, "identity"},
    {Activation::sigmoid, "sigmoid"},
    {Activation::hard_sigmoid, "hard_sigmoid"},
    {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"},
    {Activation::tanh, "tanh"},
    {Activation::softplus, "softplus"},
    {Activation::elu, "elu"},
    {Activation::gelu, "gelu"},
    {Activation::silu, "silu"},
    {Activation::softsign, "softsign"},
    {Activation::hard_tanh, "hard_tanh"},
    {Activation::sine, "sine"},
}};

}  // namespace

std::string_view to_string(Activation activation) {
  for (const auto& entry : kNames) {
    if (entry.activation == activation) return entry.name;
  }
  std::abort();
}

std::optional<Activation> parse_activation(std::string_view name) {
  for (const auto& entry : kNames) {
    if (entry.name == name) return entry.activation;
  }
  if (name == "linear" || name == "none") return Activation::identity;
  if (name == "logistic") return Activation::sigmoid;
  if (name == "swish") return Activation::silu;
  return std::nullopt;
}

const std::vector<Activation>& all_activations() {
  static const std::vector<Activation> list = [] {
    std::vector<Activation> out;
    for (const auto& entry : kNames) out.push_back(entry.activation);
    return out;
  }();
  return list;
}

std::string activation_names() {
  std::string text;
  for (const auto& entry : kNames) {
    if (!text.empty()) text += ", ";
    text += entry.name;
  }
  return text;
}

bool derivative_needs_input(Activation activation) {
  return with_activation(activation, [](auto a) { return !decltype(a)::kDerivativeFromOutput; });
}

float activation_value(Activation activation, float x) {
  return with_activation(activation, [x](auto a) { return decltype(a)::value(x); });
}

float activation_derivative(Activation activation, float x, float y) {
  return with_activation(activation, [x, y](auto a) { return decltype(a)::derivative(x, y); });
}

}  // namespace protean
