// Helpers shared by the data-layer tests: a scratch directory, gzip files and error capture.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "protean/error.hpp"

namespace protean::testing_support {

// A fresh directory under the system temp directory, removed with its contents at scope exit.
// The name contains the process id and the running test's name, so parallel test runs do not meet.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = "protean-data-" + std::to_string(::getpid());
    if (info != nullptr) name += std::string("-") + info->test_suite_name() + "-" + info->name();
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `bytes` to a file in this directory and returns its path.
  std::filesystem::path write(const std::string& file_name, std::string_view bytes) const {
    const auto file = path_ / file_name;
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return file;
  }

 private:
  std::filesystem::path path_;
};

// Writes `bytes` gzip-compressed to `file_name` in `dir` and returns its path.
inline std::filesystem::path write_gzip(const TempDir& dir, const std::string& file_name, const std::string& bytes) {
  const auto path = dir.path() / file_name;
  gzFile file = gzopen(path.c_str(), "wb");
  EXPECT_NE(file, nullptr);
  if (file == nullptr) return path;
  EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
  return path;
}

// Runs `action` and returns the protean::Error it throws; records a test failure if it throws none.
template <typename Action>
Error error_from(Action&& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "expected a protean::Error, but none was thrown";
  return Error("no error was thrown");
}

}  // namespace protean::testing_support
