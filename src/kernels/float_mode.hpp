// Flushing of subnormal floats, the values below 2^-126 in magnitude.
//
// On many x86 processors an operation that takes or gives a subnormal float goes through a
// microcode assist of a hundred cycles or more. Training produces them as a matter of course:
// Adam's first moment of a weight whose gradient has become zero (a dead ReLU unit) shrinks by
// β1 = 0.9 each step and spends hundreds of steps in that range before it reaches zero. On an
// Intel Xeon with AVX-512 this made Adam 60% of a curve-task step (perf, 1-64-64-1, 30 epochs),
// and the task ran at 37 GFLOP/s with subnormals against 80-108 GFLOP/s with them flushed
// (protean_bench curve 1 30). Flushed, such a value is 0, a change of less than 2^-126.
//
// The worker pool gives its workers the caller's floating-point control state for each run, so
// a scope opened by the caller holds for every part of an operation, on whichever thread.
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define PROTEAN_HAS_MXCSR 1
#endif

namespace protean::detail {

// The control and status word of the calling thread's SSE and AVX arithmetic, 0 where there
// is none.
inline unsigned float_control() {
#ifdef PROTEAN_HAS_MXCSR
  return _mm_getcsr();
#else
  return 0;
#endif
}

inline void set_float_control([[maybe_unused]] unsigned control) {
#ifdef PROTEAN_HAS_MXCSR
  if (_mm_getcsr() != control) _mm_setcsr(control);
#endif
}

// While alive, results that would be subnormal are 0 on the calling thread (flush to zero), and
// subnormal operands are read as 0 (denormals are zero). The destructor restores the caller's mode.
class ScopedFlushSubnormals {
 public:
  ScopedFlushSubnormals() : saved_(float_control()) {
#ifdef PROTEAN_HAS_MXCSR
    constexpr unsigned kFlushToZero = 0x8000;
    constexpr unsigned kDenormalsAreZero = 0x0040;
    set_float_control(saved_ | kFlushToZero | kDenormalsAreZero);
#endif
  }
  ~ScopedFlushSubnormals() { set_float_control(saved_); }
  ScopedFlushSubnormals(const ScopedFlushSubnormals&) = delete;
  ScopedFlushSubnormals& operator=(const ScopedFlushSubnormals&) = delete;

 private:
  unsigned saved_;
};

}  // namespace protean::detail
