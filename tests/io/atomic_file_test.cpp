// Tests of check_output_path, which runs before any long work.
#include "protean/io/atomic_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::HasSubstr;

TEST(CheckOutputPath, EmptyPathIsRejected) {
  try {
    check_output_path("", {"data.csv"}, "predictions.csv");
    FAIL() << "an empty output path was accepted";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("the output path is empty"));
    EXPECT_THAT(error.what(), HasSubstr("for example predictions.csv"));
  }
}

TEST(CheckOutputPath, FolderSuggestsExampleName) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path();
  try {
    check_output_path(folder, {}, "predictions.csv");
    FAIL() << "a folder was accepted as the output path";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("the output path is a folder"));
    EXPECT_THAT(error.what(), HasSubstr((folder / "predictions.csv").string()));
  }
}

}  // namespace
}  // namespace protean
