#include "protean/kernels/blas_kernels.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace protean {
namespace {

TEST(BlasKernels, NamesTheChosenSet) { EXPECT_FALSE(blas_kernels().empty()); }

TEST(BlasKernels, OlderSetOnNewProcessorIsReplaced) {
  EXPECT_EQ(faster_blas_kernels("Prescott", true, true), std::optional<std::string>("SkylakeX"));
  EXPECT_EQ(faster_blas_kernels("Prescott", true, false), std::optional<std::string>("Haswell"));
  EXPECT_EQ(faster_blas_kernels("NEHALEM", true, true), std::optional<std::string>("SkylakeX"));
  EXPECT_EQ(faster_blas_kernels("Sandybridge", true, false), std::optional<std::string>("Haswell"));
  EXPECT_EQ(faster_blas_kernels("Core2", true, false), std::optional<std::string>("Haswell"));
}

TEST(BlasKernels, ChoiceForThisProcessorIsKept) {
  // A set that OpenBLAS picks for a processor model it recognizes is kept.
  EXPECT_EQ(faster_blas_kernels("Haswell", true, true), std::nullopt);
  EXPECT_EQ(faster_blas_kernels("SkylakeX", true, true), std::nullopt);
  EXPECT_EQ(faster_blas_kernels("Cooperlake", true, true), std::nullopt);
  EXPECT_EQ(faster_blas_kernels("Zen", true, false), std::nullopt);
  // A processor without AVX2 gains nothing from a newer set.
  EXPECT_EQ(faster_blas_kernels("Prescott", false, false), std::nullopt);
  EXPECT_EQ(faster_blas_kernels("Nehalem", false, false), std::nullopt);
}

}  // namespace
}  // namespace protean
