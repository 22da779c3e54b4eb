// Runs the protean executable the way a user does, capturing its exit code and output.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace protean::testing_support {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `protean ARGS` in `folder` (a shell command line; quote paths with spaces yourself).
inline CliResult run_cli(const std::filesystem::path& folder, const std::string& arguments) {
  const auto out = folder / "cli.stdout";
  const auto err = folder / "cli.stderr";
  const std::string command = "cd '" + folder.string() + "' && '" PROTEAN_CLI_PATH "' " + arguments + " >'" + out.string() +
                              "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

}  // namespace protean::testing_support
