// Fuzzes the IDX reader on arbitrary bytes, plain or gzip-compressed. read_idx takes a path, so
// each input goes into an in-memory file (memfd) that is read back through /proc/self/fd.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protean/data/idx.hpp"
#include "protean/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("protean-idx-fuzz", 0);
  if (fd < 0) std::abort();
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, data + written, size - written);
    if (n <= 0) std::abort();
    written += static_cast<std::size_t>(n);
  }
  try {
    (void)protean::read_idx("/proc/self/fd/" + std::to_string(fd));
  } catch (const protean::Error&) {
  }
  ::close(fd);
  return 0;
}
