#include "protean/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <string>

#include "protean/error.hpp"

namespace protean {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* action, int error_number) {
  throw Error(Location{path.string()}, fmt::format("cannot {}: {}", action, std::strerror(error_number)),
              "check that the folder exists, is writable and has free space");
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string temporary = (folder / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) fail(path, "create a temporary file beside it", errno);

  auto abandon = [&](const char* action) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    fail(path, action, saved);
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon("write");
    }
    written += static_cast<std::size_t>(n);
  }
  // mkstemp creates the file readable by the owner alone; give it the usual permissions.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  if (::fsync(fd) != 0) abandon("flush to disk");
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    fail(path, "close", saved);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    if (saved == EISDIR) {
      throw Error(Location{path.string()}, "cannot replace a folder with a file", "give a file name as the output path");
    }
    fail(path, "replace", saved);
  }
}

void check_output_path(const std::filesystem::path& output, const std::vector<std::filesystem::path>& inputs,
                       const std::string& example_name) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  if (output.empty()) throw Error("the output path is empty", "give a file name, for example " + example_name);
  if (fs::is_directory(output, ignored)) {
    throw Error(Location{output.string()}, "the output path is a folder", "give a file name, for example " + (output / example_name).string());
  }
  const fs::path folder = output.has_parent_path() ? output.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ignored)) {
    throw Error(Location{output.string()}, fmt::format("the output folder '{}' does not exist", folder.string()),
                "create it first or choose another output path");
  }
  for (const fs::path& input : inputs) {
    if (!input.empty() && fs::exists(output, ignored) && fs::equivalent(output, input, ignored)) {
      throw Error(Location{output.string()}, fmt::format("the output path is the input file '{}'; writing it would destroy that input", input.string()),
                  "choose another output path with -o");
    }
  }
}

}  // namespace protean
