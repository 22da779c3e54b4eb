// Rng: the seeded random source behind initialization, shuffling, splits and dropout.
//
// xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, with our own uniform and
// normal transforms. The standard library's distributions are not used because their output
// differs between standard library implementations, and Protean promises that a seed gives the
// same weights everywhere.
#pragma once

#include <cstdint>

namespace protean {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);

  std::uint64_t next_u64();
  // Uniform integer in [0, bound), bound > 0, without modulo bias (Lemire's method).
  std::uint64_t uniform_index(std::uint64_t bound);
  // Uniform float in [0, 1) with 24 random bits.
  float uniform();
  float uniform(float low, float high) { return low + (high - low) * uniform(); }
  // Standard normal by the Box-Muller transform.
  float normal();

  // Full state, for checkpoints.
  struct State {
    std::uint64_t s[4];
  };
  State state() const { return {{s_[0], s_[1], s_[2], s_[3]}}; }
  void set_state(const State& state);

 private:
  std::uint64_t s_[4];
};

}  // namespace protean
