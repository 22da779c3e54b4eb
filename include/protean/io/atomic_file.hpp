// Atomic file replacement: write to a temporary file beside the target, flush it to disk, then
// rename it over the target. A reader sees the old file or the new one, never a mix, and a
// failed write (full disk, killed process) leaves the old file as it was.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace protean {

// Errors name the path and the system's reason, and remove the temporary file.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Checks, before any long work, that `output` can be written: it is not a folder, its folder
// exists, and it is none of `inputs` (writing it would destroy data the run reads).
// Throws an Error naming the path and what to do. When `output` is a folder, the message suggests
// `example_name` inside it.
void check_output_path(const std::filesystem::path& output, const std::vector<std::filesystem::path>& inputs,
                       const std::string& example_name = "model.safetensors");

}  // namespace protean
