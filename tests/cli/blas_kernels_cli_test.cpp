// The protean tool restarts itself with faster OpenBLAS kernels when OpenBLAS fell back to its
// kernels for older processors (kernels/blas_kernels.hpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "cli_support.hpp"
#include "protean/kernels/blas_kernels.hpp"

namespace protean {
namespace {

using testing_support::run_cli;

std::filesystem::path test_folder() {
  const auto folder = std::filesystem::temp_directory_path() / "protean_blas_kernels_cli_test";
  std::filesystem::create_directories(folder);
  return folder;
}

std::string kernels_in_version(const std::string& version) {
  const std::string label = "(OpenBLAS kernels: ";
  const auto start = version.find(label);
  if (start == std::string::npos) return "";
  const auto end = version.find(')', start);
  return version.substr(start + label.size(), end - start - label.size());
}

TEST(BlasKernelsCli, VersionNamesTheKernels) {
  const auto result = run_cli(test_folder(), "--version");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("protean "), std::string::npos) << result.out;
  EXPECT_FALSE(kernels_in_version(result.out).empty()) << result.out;
}

// Without OPENBLAS_CORETYPE, OpenBLAS 0.3.21 picks its SSE3 kernels on processors newer than
// itself. The tool must not run with such a set where this processor has a faster one.
TEST(BlasKernelsCli, UnsetCoretypeGetsNoOlderKernels) {
  const char* caller = std::getenv("OPENBLAS_CORETYPE");
  const std::optional<std::string> saved = caller != nullptr ? std::optional<std::string>(caller) : std::nullopt;
  unsetenv("OPENBLAS_CORETYPE");
  const auto result = run_cli(test_folder(), "--version");
  if (saved) setenv("OPENBLAS_CORETYPE", saved->c_str(), 1);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string kernels = kernels_in_version(result.out);
  ASSERT_FALSE(kernels.empty()) << result.out;
  EXPECT_EQ(faster_blas_kernels(kernels), std::nullopt) << "protean runs OpenBLAS's " << kernels << " kernels";
}

}  // namespace
}  // namespace protean
