// Silences a false warning of GCC 12 in the source file that includes this header, which it does
// first, before the intrinsics and Eigen headers. GCC flags the deliberately undefined vector
// that AVX-512 intrinsics such as _mm512_max_ps pass to their masked builtins as uninitialized
// once they are inlined, in our kernels and in Eigen's packet math alike.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
