#include "kernels/packet_activations.hpp"

// GCC 12 flags the deliberately undefined vectors inside AVX-512 intrinsics as uninitialized
// once Eigen's packet functions are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cassert>

namespace protean::detail {
namespace {

using Packet = Eigen::internal::packet_traits<float>::type;
constexpr int kLanes = Eigen::internal::unpacket_traits<Packet>::size;

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
    const Packet one = pset1<Packet>(1.0f);
    return pmul(s, pmadd(z, psub(one, s), one));
  }
};

struct SinePackets {
  static Packet value(Packet z) { return Eigen::internal::psin(pmul(pset1<Packet>(act::Sine::kOmega), z)); }
  static Packet derivative(Packet z) {
    const Packet omega = pset1<Packet>(act::Sine::kOmega);
    return pmul(omega, Eigen::internal::pcos(pmul(omega, z)));
  }
};

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

// Applies op(packet of z, index of its first column) to each row of z in packets. The last,
// partial packet of a row is copied into a full one, padded with zeros, so that it goes through
// the same code as the others.
template <typename Op>
void for_each_packet(ConstMatrixView z, Op&& op) {
  const Index full = z.cols() / kLanes * kLanes;
  for (Index r = 0; r < z.rows(); ++r) {
    const float* in = z.row(r);
    for (Index c = 0; c < full; c += kLanes) op(r, c, Eigen::internal::ploadu<Packet>(in + c), kLanes);
    if (full < z.cols()) {
      alignas(64) float rest[kLanes] = {};
      std::copy(in + full, in + z.cols(), rest);
      op(r, full, Eigen::internal::pload<Packet>(rest), static_cast<int>(z.cols() - full));
    }
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
      Packet incoming;
      if (count == kLanes) {
        incoming = Eigen::internal::ploadu<Packet>(grad);
      } else {
        alignas(64) float lanes[kLanes] = {};
        std::copy(grad, grad + count, lanes);
        incoming = Eigen::internal::pload<Packet>(lanes);
      }
      store_lanes(grad, pmul(incoming, decltype(packets)::derivative(value)), count);
    });
  });
}

}  // namespace protean::detail
