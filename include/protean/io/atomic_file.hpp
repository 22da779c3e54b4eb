// Atomic file replacement: write to a temporary file beside the target, flush it to disk, then
// rename it over the target. A reader sees the old file or the new one, never a mix, and a
// failed write (full disk, killed process) leaves the old file as it was.
#pragma once

#include <filesystem>
#include <string_view>

namespace protean {

// Errors name the path and the system's reason, and remove the temporary file.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace protean
