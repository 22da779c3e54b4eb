// Helpers for the report tests: temporary folders, data sets, and running programs.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "protean/data/dataset.hpp"
#include "protean/report/report.hpp"

namespace protean::report_test {

// A fresh folder under the system's temporary folder, removed with everything in it.
class TemporaryFolder {
 public:
  explicit TemporaryFolder(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline bool gnuplot_installed() { return program_available("gnuplot"); }

// y = sin(2x) + x/2 on [-2, 2], as a CSV text with header "position,height".
inline std::string wave_csv(int rows) {
  std::string text = "position,height\n";
  for (int r = 0; r < rows; ++r) {
    const double x = -2.0 + 4.0 * r / (rows - 1);
    text += std::to_string(x) + "," + std::to_string(std::sin(2.0 * x) + 0.5 * x) + "\n";
  }
  return text;
}

inline Dataset wave_dataset(int rows) {
  Dataset data;
  data.inputs = Matrix::zeros(rows, 1);
  data.targets = Matrix::zeros(rows, 1);
  for (int r = 0; r < rows; ++r) {
    const double x = -2.0 + 4.0 * r / (rows - 1);
    data.inputs(r, 0) = static_cast<float>(x);
    data.targets(r, 0) = static_cast<float>(std::sin(2.0 * x) + 0.5 * x);
  }
  data.input_names = {"position"};
  data.target_names = {"height"};
  data.source = "wave";
  return data;
}

// z = x·y + cos(x) on a regular 12 × 12 grid.
inline Dataset surface_dataset() {
  Dataset data;
  const int side = 12;
  data.inputs = Matrix::zeros(side * side, 2);
  data.targets = Matrix::zeros(side * side, 1);
  for (int i = 0; i < side; ++i) {
    for (int j = 0; j < side; ++j) {
      const int r = i * side + j;
      const double x = -1.0 + 2.0 * i / (side - 1);
      const double y = -1.0 + 2.0 * j / (side - 1);
      data.inputs(r, 0) = static_cast<float>(x);
      data.inputs(r, 1) = static_cast<float>(y);
      data.targets(r, 0) = static_cast<float>(x * y + std::cos(x));
    }
  }
  data.input_names = {"east", "north"};
  data.target_names = {"elevation"};
  data.source = "surface";
  return data;
}

// Two classes split by the sign of x + y, with names "left" and "right".
inline Dataset halves_dataset() {
  Dataset data;
  data.task = Task::classification;
  const int rows = 200;
  data.inputs = Matrix::zeros(rows, 2);
  data.targets = Matrix::zeros(rows, 1);
  for (int r = 0; r < rows; ++r) {
    const double x = std::sin(r * 1.7);
    const double y = std::cos(r * 2.3);
    data.inputs(r, 0) = static_cast<float>(x);
    data.inputs(r, 1) = static_cast<float>(y);
    data.targets(r, 0) = x + y > 0.0 ? 1.0f : 0.0f;
  }
  data.input_names = {"a", "b"};
  data.target_names = {"side"};
  data.class_names = {"left", "right"};
  data.source = "halves";
  return data;
}

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line in `folder` and returns its exit status and output.
inline CommandResult run_command(const std::filesystem::path& folder, const std::string& command_line) {
  const std::filesystem::path log = folder / "command_output.txt";
  const std::string command = "cd '" + folder.string() + "' && " + command_line + " >'" + log.string() + "' 2>&1";
  const int raw = std::system(command.c_str());
  CommandResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.output = read_file(log);
  return result;
}

}  // namespace protean::report_test
