#include "protean/kernels/blas_kernels.hpp"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace protean {

std::string blas_kernels() {
  const char* name = openblas_get_corename();
  return name != nullptr ? std::string(name) : std::string("unknown");
}

std::optional<std::string> faster_blas_kernels(std::string_view chosen, bool has_avx2_fma, bool has_avx512) {
  // OpenBLAS's kernel sets for processors without AVX2, lowercase as the library prints them in
  // various cases.
  constexpr std::array<std::string_view, 17> kOlder = {
      "katmai",  "coppermine", "northwood", "prescott",  "banias",    "atom",     "core2",     "penryn", "dunnington",
      "nehalem", "sandybridge", "opteron",  "opteron_sse3", "barcelona", "bobcat", "bulldozer", "nano"};
  std::string name(chosen);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::find(kOlder.begin(), kOlder.end(), name) == kOlder.end()) return std::nullopt;
  if (has_avx512) return std::string("SkylakeX");
  if (has_avx2_fma) return std::string("Haswell");
  return std::nullopt;
}

std::optional<std::string> faster_blas_kernels(std::string_view chosen) {
#if defined(__x86_64__) || defined(__i386__)
  const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  return faster_blas_kernels(chosen, avx2_fma, avx512);
#else
  static_cast<void>(chosen);
  return std::nullopt;
#endif
}

void restart_with_faster_blas_kernels(char** argv) {
  if (argv == nullptr || argv[0] == nullptr || std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::optional<std::string> faster = faster_blas_kernels(blas_kernels());
  if (!faster) return;
  // The variable being set, the restarted program does not restart again.
  if (setenv("OPENBLAS_CORETYPE", faster->c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // execv returns only on failure: go on as before, with the variable as the caller had it.
  unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace protean
