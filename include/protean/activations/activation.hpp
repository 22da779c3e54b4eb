// Activation functions: one small type per function, with its derivative beside it.
//
// Each type has
//   static float value(float x)               y = act(x)
//   static float derivative(float x, float y) dy/dx, given the input x and the output y
//   static constexpr bool kDerivativeFromOutput  true when derivative() reads only y
// Layers keep only the outputs Y when kDerivativeFromOutput holds, so backpropagation through
// them costs no extra memory. GELU, SiLU and sine do not qualify: Dense keeps their
// pre-activations Z as well (see derivative_needs_input()). Every activation is checked against
// central finite differences in tests/activations/activation_test.cpp.
//
// `Activation` names one of them at run time; with_activation() turns the name back into the
// type so that kernels are compiled once per function with nothing dispatched per element.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace protean {

namespace act {

struct Identity {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return x; }
  static float derivative(float, float) { return 1.0f; }
};

// Logistic sigmoid 1 / (1 + e^-x). Written so that exp() only gets non-positive arguments, which
// cannot overflow: for x < 0 it uses e^x / (1 + e^x). σ' = σ(1 − σ).
struct Sigmoid {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
    const float e = std::exp(x);
    return e / (1.0f + e);
  }
  static float derivative(float, float y) { return y * (1.0f - y); }
};

// Piecewise-linear sigmoid: clamp(x / 6 + 1/2, 0, 1), the slope PyTorch and Keras 3 use.
// Its derivative is 1/6 where the output is strictly between 0 and 1, else 0.
struct HardSigmoid {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return std::clamp(x * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f); }
  static float derivative(float, float y) { return (y > 0.0f && y < 1.0f) ? (1.0f / 6.0f) : 0.0f; }
};

struct Relu {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return x > 0.0f ? x : 0.0f; }
  static float derivative(float, float y) { return y > 0.0f ? 1.0f : 0.0f; }
};

// max(x, 0.01·x). The output keeps the sign of the input, so the slope can be read from it.
struct LeakyRelu {
  static constexpr bool kDerivativeFromOutput = true;
  static constexpr float kSlope = 0.01f;
  static float value(float x) { return x > 0.0f ? x : kSlope * x; }
  static float derivative(float, float y) { return y > 0.0f ? 1.0f : kSlope; }
};

// tanh' = 1 − tanh².
struct Tanh {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return std::tanh(x); }
  static float derivative(float, float y) { return 1.0f - y * y; }
};

// softplus(x) = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so that it neither
// overflows for large x nor loses precision for very negative x. Its derivative is σ(x), which
// equals 1 − e^-y, read from the output y.
struct Softplus {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return std::max(x, 0.0f) + std::log1p(std::exp(-std::abs(x))); }
  static float derivative(float, float y) { return -std::expm1(-y); }
};

// ELU with α = 1 (Clevert et al., 2016): x for x > 0, else e^x − 1. For x ≤ 0 the derivative
// e^x equals y + 1, and y > 0 exactly when x > 0, so it is read from the output.
struct Elu {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return x > 0.0f ? x : std::expm1(x); }
  static float derivative(float, float y) { return y > 0.0f ? 1.0f : y + 1.0f; }
};

// GELU in its exact form x·Φ(x) with the normal CDF Φ(x) = (1 + erf(x/√2)) / 2 (Hendrycks and
// Gimpel, 2016), not the tanh approximation. Its derivative Φ(x) + x·φ(x) needs the input.
struct Gelu {
  static constexpr bool kDerivativeFromOutput = false;
  static float value(float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678f)); }
  static float derivative(float x, float) {
    const float cdf = 0.5f * (1.0f + std::erf(x * 0.70710678f));
    const float density = 0.39894228f * std::exp(-0.5f * x * x);
    return cdf + x * density;
  }
};

// SiLU (swish with β = 1): x·σ(x). Its derivative σ(x)·(1 + x·(1 − σ(x))) needs the input.
struct Silu {
  static constexpr bool kDerivativeFromOutput = false;
  static float value(float x) { return x * Sigmoid::value(x); }
  static float derivative(float x, float) {
    const float s = Sigmoid::value(x);
    return s * (1.0f + x * (1.0f - s));
  }
};

// softsign(x) = x / (1 + |x|). Its derivative 1 / (1 + |x|)² equals (1 − |y|)².
struct Softsign {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return x / (1.0f + std::abs(x)); }
  static float derivative(float, float y) {
    const float gap = 1.0f - std::abs(y);
    return gap * gap;
  }
};

// clamp(x, −1, 1), with derivative 1 where the output is strictly inside (−1, 1), else 0.
struct HardTanh {
  static constexpr bool kDerivativeFromOutput = true;
  static float value(float x) { return std::clamp(x, -1.0f, 1.0f); }
  static float derivative(float, float y) { return (y > -1.0f && y < 1.0f) ? 1.0f : 0.0f; }
};

// sin(ω₀·x) with ω₀ = 30, the SIREN activation of Sitzmann et al. (2020), "Implicit Neural
// Representations with Periodic Activation Functions". Dense layers with it use Init::siren
// (see dense.hpp). Its derivative ω₀·cos(ω₀·x) needs the input.
struct Sine {
  static constexpr bool kDerivativeFromOutput = false;
  static constexpr float kOmega = 30.0f;
  static float value(float x) { return std::sin(kOmega * x); }
  static float derivative(float x, float) { return kOmega * std::cos(kOmega * x); }
};

}  // namespace act

enum class Activation {
  identity,
  sigmoid,
  hard_sigmoid,
  relu,
  leaky_relu,
  tanh,
  softplus,
  elu,
  gelu,
  silu,
  softsign,
  hard_tanh,
  sine,
};

// Canonical names used on the command line and in model files: "identity", "sigmoid",
// "hard_sigmoid", "relu", "leaky_relu", "tanh", "softplus", "elu", "gelu", "silu", "softsign",
// "hard_tanh", "sine".
std::string_view to_string(Activation activation);
std::optional<Activation> parse_activation(std::string_view name);
const std::vector<Activation>& all_activations();
// The canonical names joined by ", ", for help text and error messages.
std::string activation_names();
// True for the activations whose derivative reads the input x (kDerivativeFromOutput false).
// Backend::dense_backward cannot handle these, so Dense runs them through the pre-activation path.
bool derivative_needs_input(Activation activation);

// Calls fn(act::T{}) with the type that `activation` names.
template <typename Fn>
decltype(auto) with_activation(Activation activation, Fn&& fn) {
  switch (activation) {
    case Activation::identity: return fn(act::Identity{});
    case Activation::sigmoid: return fn(act::Sigmoid{});
    case Activation::hard_sigmoid: return fn(act::HardSigmoid{});
    case Activation::relu: return fn(act::Relu{});
    case Activation::leaky_relu: return fn(act::LeakyRelu{});
    case Activation::tanh: return fn(act::Tanh{});
    case Activation::softplus: return fn(act::Softplus{});
    case Activation::elu: return fn(act::Elu{});
    case Activation::gelu: return fn(act::Gelu{});
    case Activation::silu: return fn(act::Silu{});
    case Activation::softsign: return fn(act::Softsign{});
    case Activation::hard_tanh: return fn(act::HardTanh{});
    case Activation::sine: return fn(act::Sine{});
  }
  // Unreachable for a valid enum value; a corrupted value is our bug, not the user's.
  std::abort();
}

// Scalar convenience wrappers, for tests and plots.
float activation_value(Activation activation, float x);
float activation_derivative(Activation activation, float x, float y);

}  // namespace protean
