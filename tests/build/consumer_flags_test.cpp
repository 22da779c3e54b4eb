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

TEST(CmakeConsumer, GetsLibraryInstructionSet) {
  if (std::system("cmake --version >/dev/null 2>&1 && ninja --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "cmake or ninja is not on PATH";
  }
  report_test::TemporaryFolder folder("protean_cmake_consumer");
  report_test::write_file(folder.path() / "main.cpp", "int main() { return 0; }\n");
  report_test::write_file(folder.path() / "CMakeLists.txt",
                          "cmake_minimum_required(VERSION 3.25)\n"
                          "project(consumer LANGUAGES CXX)\n"
                          "set(PROTEAN_BUILD_TESTS OFF CACHE BOOL \"\" FORCE)\n"
                          "set(PROTEAN_BUILD_BENCH OFF CACHE BOOL \"\" FORCE)\n"
                          "add_subdirectory(\"" PROTEAN_SOURCE_DIR "\" protean)\n"
                          "add_executable(consumer main.cpp)\n"
                          "target_link_libraries(consumer PRIVATE protean)\n");
  const auto configure =
      report_test::run_command(folder.path(), "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPROTEAN_NATIVE=ON");
  ASSERT_EQ(configure.status, 0) << configure.output;

  const std::string build_ninja = report_test::read_file(folder.path() / "build" / "build.ninja");
  const std::string flags = ninja_flags_of(build_ninja, "CMakeFiles/consumer.dir/main.cpp.o");
  ASSERT_FALSE(flags.empty()) << "no compile rule for main.cpp in build.ninja";
  // Eigen types are part of the public headers, and Eigen's alignment and allocation depend on
  // the instruction set; a consumer compiled without it crashed in Lbfgs::iterate().
  EXPECT_NE(flags.find("-march=native"), std::string::npos) << flags;
}

}  // namespace
}  // namespace protean
