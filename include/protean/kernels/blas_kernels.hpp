// BLAS kernels: which of OpenBLAS's kernel sets this process runs, and a restart that picks a
// faster one when OpenBLAS did not recognize the processor.
//
// OpenBLAS chooses its kernels once, when it is loaded, from the processor model. A model newer
// than the library is not in its table, and OpenBLAS 0.3.21 (Debian 12) then falls back to its
// SSE3 kernels ("Prescott"), even on a processor with AVX-512. On an Intel Xeon of model 207
// (Emerald Rapids) that made sgemm 5 times slower: 28 against 146 GFLOP/s on 1 thread
// (protean_bench peak 1, without OPENBLAS_CORETYPE and with it set to SkylakeX). The variable
// must be set before the library loads, hence a restart of the program.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace protean {

// Returns the name of the kernel set OpenBLAS chose in this process, such as "SkylakeX".
std::string blas_kernels();

// Returns the kernel set to ask OpenBLAS for instead of `chosen`, or nothing. OpenBLAS falls back
// to a set for processors without AVX2 on a model it does not recognize. For such a `chosen`, the
// result is "SkylakeX" with AVX-512 (F, CD, BW, DQ and VL) and "Haswell" with AVX2 and FMA.
std::optional<std::string> faster_blas_kernels(std::string_view chosen, bool has_avx2_fma, bool has_avx512);
// Returns the same for the processor this process runs on.
std::optional<std::string> faster_blas_kernels(std::string_view chosen);

// Runs the program again from its start with OPENBLAS_CORETYPE set, when OpenBLAS chose kernels
// for older processors than this one and the caller left OPENBLAS_CORETYPE unset. A variable set
// to any value, even an empty or unknown one, is left alone. Call this first in main(), before
// any other thread starts. It returns when no restart was needed or the restart failed, and the
// program then goes on with the kernels it has.
void restart_with_faster_blas_kernels(char** argv);

}  // namespace protean
