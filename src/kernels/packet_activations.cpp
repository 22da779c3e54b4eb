#include "kernels/avx512_warnings.hpp"

#include "kernels/packet_activations.hpp"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cassert>

namespace protean::detail {
namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::packet_traits<float>::size;

using Eigen::internal::padd;
using Eigen::internal::pmadd;
using Eigen::internal::pmul;
using Eigen::internal::pset1;
using Eigen::internal::psub;

// Each activation as packet functions: value(z), and derivative(z) for the backward pass. The
// constants are those of the scalar definitions in activation.hpp.
struct GeluPackets {
  static Packet cdf(Packet z) {
    const Packet erf = Eigen::internal::perf(pmul(z, pset1<Packet>(0.70710678f)));
    return pmul(pset1<Packet>(0.5f), padd(pset1<Packet>(1.0f), erf));
  }
  static Packet value(Packet z) { return pmul(z, cdf(z)); }
  static Packet derivative(Packet z) {
    const Packet half_square = pmul(pset1<Packet>(-0.5f), pmul(z, z));
    const Packet density = pmul(pset1<Packet>(0.39894228f), Eigen::internal::pexp(half_square));
    return pmadd(z, density, cdf(z));
  }
};

struct SiluPackets {
  static Packet sigmoid(Packet z) { return Eigen::internal::scalar_logistic_op<float>().packetOp(z); }
  static Packet value(Packet z) { return pmul(z, sigmoid(z)); }
  static Packet derivative(Packet z) {
    const Packet s = sigmoid(z);
    const Packet ones = pset1<Packet>(1.0f);
    return pmul(s, pmadd(z, psub(ones, s), ones));
  }
};

struct SinePackets {
  static Packet value(Packet z) { return Eigen::internal::psin(pmul(pset1<Packet>(act::Sine::kOmega), z)); }
  static Packet derivative(Packet z) {
    const Packet omega = pset1<Packet>(act::Sine::kOmega);
    return pmul(omega, Eigen::internal::pcos(pmul(omega, z)));
  }
};

// ELU and softplus, whose derivative comes from the output y: elu'(z) = y + 1 for z ≤ 0, and
// softplus'(z) = σ(z) = 1 − e^-y.
struct EluPackets {
  static Packet value(Packet z) {
    const Packet positive = Eigen::internal::pcmp_lt(pset1<Packet>(0.0f), z);
    return Eigen::internal::pselect(positive, z, Eigen::internal::pexpm1(z));
  }
  static Packet output_derivative(Packet y) {
    const Packet positive = Eigen::internal::pcmp_lt(pset1<Packet>(0.0f), y);
    return Eigen::internal::pselect(positive, pset1<Packet>(1.0f), padd(y, pset1<Packet>(1.0f)));
  }
};

// max(z, 0) + log1p(e^-|z|), which neither overflows for large z nor loses precision for very
// negative z.
struct SoftplusPackets {
  static Packet value(Packet z) {
    const Packet tail = Eigen::internal::plog1p(Eigen::internal::pexp(Eigen::internal::pnegate(Eigen::internal::pabs(z))));
    return padd(Eigen::internal::pmax(z, pset1<Packet>(0.0f)), tail);
  }
  static Packet output_derivative(Packet y) {
    return Eigen::internal::pnegate(Eigen::internal::pexpm1(Eigen::internal::pnegate(y)));
  }
};

template <typename Fn>
void with_output_packets(Activation activation, Fn&& fn) {
  switch (activation) {
    case Activation::elu: return fn(EluPackets{});
    case Activation::softplus: return fn(SoftplusPackets{});
    default: assert(false && "has_packet_bias_activation() is false for this activation"); return;
  }
}

// Calls fn(packets) with the packet functions of one of has_packet_activation()'s activations.
template <typename Fn>
void with_packets(Activation activation, Fn&& fn) {
  switch (activation) {
    case Activation::gelu: return fn(GeluPackets{});
    case Activation::silu: return fn(SiluPackets{});
    case Activation::sine: return fn(SinePackets{});
    default: assert(false && "has_packet_activation() is false for this activation"); return;
  }
}

// Loads `count` ≤ kLanes values from `in`; a partial packet is padded with zeros.
Packet load_lanes(const float* in, int count) {
  if (count == kLanes) return Eigen::internal::ploadu<Packet>(in);
  alignas(64) float lanes[kLanes] = {};
  std::copy(in, in + count, lanes);
  return Eigen::internal::pload<Packet>(lanes);
}

// Applies op(row, first column, packet) to `width` values from `in` in packets. The last,
// partial packet is padded, so that it goes through the same code as the others.
template <typename Op>
void for_each_packet(const float* in, Index width, Op&& op) {
  for (Index c = 0; c < width; c += kLanes) {
    const int count = static_cast<int>(std::min<Index>(kLanes, width - c));
    op(c, load_lanes(in + c, count), count);
  }
}

// for_each_packet() over every row of z, with the row index passed first.
template <typename Op>
void for_each_packet(ConstMatrixView z, Op&& op) {
  for (Index r = 0; r < z.rows(); ++r) {
    for_each_packet(z.row(r), z.cols(), [&](Index c, Packet value, int count) { op(r, c, value, count); });
  }
}

// Stores the first `count` lanes of `value` at `out`.
void store_lanes(float* out, Packet value, int count) {
  if (count == kLanes) {
    Eigen::internal::pstoreu(out, value);
    return;
  }
  alignas(64) float lanes[kLanes];
  Eigen::internal::pstore(lanes, value);
  std::copy(lanes, lanes + count, out);
}

}  // namespace

bool has_packet_activation(Activation activation) {
  return activation == Activation::gelu || activation == Activation::silu || activation == Activation::sine;
}

void packet_activation_forward(Activation activation, ConstMatrixView z, MatrixView y) {
  assert(z.rows() == y.rows());
  assert(z.cols() == y.cols());
  with_packets(activation, [&](auto packets) {
    for_each_packet(z, [&](Index r, Index c, Packet value, int count) {
      store_lanes(y.row(r) + c, decltype(packets)::value(value), count);
    });
  });
}

void packet_activation_backward(Activation activation, ConstMatrixView z, MatrixView dy) {
  assert(z.rows() == dy.rows());
  assert(z.cols() == dy.cols());
  with_packets(activation, [&](auto packets) {
    for_each_packet(z, [&](Index r, Index c, Packet value, int count) {
      float* grad = dy.row(r) + c;
      store_lanes(grad, pmul(load_lanes(grad, count), decltype(packets)::derivative(value)), count);
    });
  });
}

bool has_packet_bias_activation(Activation activation) {
  return activation == Activation::elu || activation == Activation::softplus;
}

void packet_bias_activation(Activation activation, ConstMatrixView b, MatrixView y) {
  assert(b.cols() == y.cols());
  with_output_packets(activation, [&](auto packets) {
    const float* bias = b.data();
    for (Index r = 0; r < y.rows(); ++r) {
      float* row = y.row(r);
      for_each_packet(row, y.cols(), [&](Index c, Packet value, int count) {
        const Packet z = padd(value, load_lanes(bias + c, count));
        store_lanes(row + c, decltype(packets)::value(z), count);
      });
    }
  });
}

void packet_output_derivative(Activation activation, const float* y, float* dy, Index width) {
  with_output_packets(activation, [&](auto packets) {
    for_each_packet(y, width, [&](Index c, Packet value, int count) {
      store_lanes(dy + c, pmul(load_lanes(dy + c, count), decltype(packets)::output_derivative(value)), count);
    });
  });
}

}  // namespace protean::detail
