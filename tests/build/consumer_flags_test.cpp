// The `protean` CMake target as a project that embeds it sees it: configured with
// add_subdirectory(), the project's own sources must be compiled for the library's instruction set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "report/report_test_support.hpp"

namespace protean {
namespace {

namespace fs = std::filesystem;

// Returns the FLAGS line of the Ninja rule that compiles `object`, or an empty string.
std::string ninja_flags_of(const std::string& build_ninja, const std::string& object) {
  const std::size_t rule = build_ninja.find("build " + object + ":");
  if (rule == std::string::npos) return {};
  const std::size_t flags = build_ninja.find("FLAGS = ", rule);
  const std::size_t next_rule = build_ninja.find("\nbuild ", rule + 1);
  if (flags == std::string::npos || flags > next_rule) return {};
  return build_ninja.substr(flags, build_ninja.find('\n', flags) - flags);
}

// Configures, without building, a project that embeds Protean with add_subdirectory() and sets
// neither a C++ standard nor any PROTEAN_ option, as the README example does. Returns the text of
// its build.ninja, or an empty string after a failed assertion.
std::string configure_consumer(const report_test::TemporaryFolder& folder) {
  report_test::write_file(folder.path() / "main.cpp", "int main() { return 0; }\n");
  report_test::write_file(folder.path() / "CMakeLists.txt",
                          "cmake_minimum_required(VERSION 3.25)\n"
                          "project(consumer LANGUAGES CXX)\n"
                          "add_subdirectory(\"" PROTEAN_SOURCE_DIR "\" protean)\n"
                          "add_executable(consumer main.cpp)\n"
                          "target_link_libraries(consumer PRIVATE protean)\n");
  const auto configure =
      report_test::run_command(folder.path(), "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROTEAN_NATIVE=ON");
  EXPECT_EQ(configure.status, 0) << configure.output;
  if (configure.status != 0) return {};
  return report_test::read_file(folder.path() / "build" / "build.ninja");
}

bool has_cmake_and_ninja() {
  return std::system("cmake --version >/dev/null 2>&1 && ninja --version >/dev/null 2>&1") == 0;
}

TEST(CmakeConsumer, GetsLibraryInstructionSetAndStandard) {
  if (!has_cmake_and_ninja()) GTEST_SKIP() << "cmake or ninja is not on PATH";
  report_test::TemporaryFolder folder("protean_cmake_consumer");
  const std::string build_ninja = configure_consumer(folder);
  ASSERT_FALSE(build_ninja.empty());

  const std::string flags = ninja_flags_of(build_ninja, "CMakeFiles/consumer.dir/main.cpp.o");
  ASSERT_FALSE(flags.empty()) << "no compile rule for main.cpp in build.ninja";
  // Eigen types are part of the public headers, and Eigen's alignment and allocation depend on
  // the instruction set; a consumer compiled without it crashed in Lbfgs::iterate().
  EXPECT_NE(flags.find("-march=native"), std::string::npos) << flags;
  // The public headers need C++20, and a consumer compiled as C++17 (g++ 12's default) failed on
  // a defaulted operator== in layer_config.hpp.
  EXPECT_NE(flags.find("++20"), std::string::npos) << flags;
}

TEST(CmakeConsumer, SkipsTestsBenchmarksAndExamples) {
  if (!has_cmake_and_ninja()) GTEST_SKIP() << "cmake or ninja is not on PATH";
  report_test::TemporaryFolder folder("protean_cmake_consumer_targets");
  const std::string build_ninja = configure_consumer(folder);
  ASSERT_FALSE(build_ninja.empty());

  EXPECT_NE(build_ninja.find("build protean/libprotean.a:"), std::string::npos);
  for (const char* target : {"protean_tests", "protean_bench", "quickstart"}) {
    EXPECT_EQ(build_ninja.find(target), std::string::npos) << target << " is built in an embedding project";
  }
}

}  // namespace
}  // namespace protean
