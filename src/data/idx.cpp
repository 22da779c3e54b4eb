#include "protean/data/idx.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

#include "protean/error.hpp"

namespace protean {

namespace {

constexpr std::uint8_t kUnsignedByteType = 0x08;
constexpr std::uint64_t kMaxValues = std::uint64_t{1} << 31;
constexpr std::size_t kReadChunk = std::size_t{1} << 20;

// Type codes defined by the IDX format, for messages about files we do not read.
const char* idx_type_name(std::uint8_t type) {
  switch (type) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "unknown type";
  }
}

std::string format_dims(const std::vector<std::uint32_t>& dims) {
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) text += "×";
    text += std::to_string(dims[i]);
  }
  return text;
}

// A gzFile that closes itself. zlib reads plain files through the same calls, so one reader
// serves both forms.
class IdxReader {
 public:
  explicit IdxReader(const std::filesystem::path& path) : name_(path.string()) {
    std::error_code status_error;
    const auto status = std::filesystem::status(path, status_error);
    if (!std::filesystem::exists(status)) {
      throw Error(Location{name_}, "file not found", "check the path and the current directory");
    }
    if (std::filesystem::is_directory(status)) {
      throw Error(Location{name_}, "is a directory, not an IDX file", "give the path of an IDX file");
    }
    file_ = gzopen(name_.c_str(), "rb");
    if (file_ == nullptr) {
      throw Error(Location{name_}, fmt::format("cannot open the file: {}", std::strerror(errno)),
                  "check that the file is readable by this user");
    }
  }
  ~IdxReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;

  const std::string& name() const { return name_; }
  std::uint64_t offset() const { return offset_; }

  // "gzip-compressed" or "uncompressed", valid after the first read.
  const char* form() const { return gzdirect(file_) ? "uncompressed" : "gzip-compressed"; }

  // Reads up to `size` bytes and returns how many were read; fewer means the end of the data.
  // Throws Error when the gzip stream is damaged or the read fails.
  std::size_t read(void* destination, std::size_t size) {
    auto* out = static_cast<std::uint8_t*>(destination);
    std::size_t total = 0;
    while (total < size) {
      const auto request = static_cast<unsigned>(std::min<std::size_t>(size - total, kReadChunk));
      const int got = gzread(file_, out + total, request);
      if (got < 0) throw_read_error();
      if (got == 0) break;
      total += static_cast<std::size_t>(got);
    }
    offset_ += total;
    if (total < size) {
      // zlib flags a gzip stream cut short with Z_BUF_ERROR. That is a short file like any other,
      // which the caller reports with the expected and found sizes; other codes are damage.
      int code = Z_OK;
      gzerror(file_, &code);
      if (code != Z_OK && code != Z_BUF_ERROR) throw_read_error();
    }
    return total;
  }

 private:
  [[noreturn]] void throw_read_error() {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    const std::string detail = code == Z_ERRNO ? std::strerror(errno) : std::string(message);
    throw Error(Location{name_},
                fmt::format("failed to read the {} file after byte offset {}: {}", form(), offset_, detail),
                "the file is damaged or incomplete; copy or download it again");
  }

  std::string name_;
  gzFile file_ = nullptr;
  std::uint64_t offset_ = 0;
};

std::vector<std::uint32_t> read_header(IdxReader& reader) {
  std::array<std::uint8_t, 4> magic{};
  const std::size_t magic_bytes = reader.read(magic.data(), magic.size());
  if (magic_bytes < magic.size()) {
    throw Error(
        Location{reader.name()},
        fmt::format("truncated IDX header: expected 4 magic bytes, found {} ({} file)", magic_bytes, reader.form()),
        "the file is incomplete or not an IDX file; copy or download it again");
  }
  if (magic[0] != 0 || magic[1] != 0) {
    throw Error(
        Location{reader.name()},
        fmt::format("not an IDX file: the magic bytes at offset 0 are {:02x} {:02x} {:02x} {:02x}, expected 00 00 "
                    "08 followed by the number of dimensions ({} file)",
                    magic[0], magic[1], magic[2], magic[3], reader.form()),
        "give an IDX file such as train-images-idx3-ubyte or its .gz form");
  }
  if (magic[2] != kUnsignedByteType) {
    throw Error(Location{reader.name()},
                fmt::format("IDX type code 0x{:02x} ({}) at offset 2 is not supported; only unsigned-byte IDX files "
                            "(type 0x08) can be read",
                            magic[2], idx_type_name(magic[2])),
                "convert the file to unsigned bytes (as MNIST and Fashion-MNIST are stored)");
  }
  const std::uint8_t dim_count = magic[3];
  if (dim_count < 1 || dim_count > 4) {
    throw Error(Location{reader.name()},
                fmt::format("IDX header at offset 3 gives {} dimensions; expected 1 to 4", dim_count),
                "check that this is an IDX file and not damaged");
  }

  std::array<std::uint8_t, 16> raw{};
  const std::size_t dim_bytes = reader.read(raw.data(), 4u * dim_count);
  if (dim_bytes < 4u * dim_count) {
    throw Error(
        Location{reader.name()},
        fmt::format("truncated IDX header: expected {} bytes of dimension sizes after offset 4, found {} ({} file)",
                    4u * dim_count, dim_bytes, reader.form()),
        "the file is incomplete; copy or download it again");
  }
  std::vector<std::uint32_t> dims(dim_count);
  for (std::size_t d = 0; d < dim_count; ++d) {
    const std::uint8_t* p = raw.data() + 4 * d;
    dims[d] =
        (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  }
  return dims;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
  IdxReader reader(path);
  IdxArray array;
  array.dims = read_header(reader);

  // Multiplying at most four 32-bit sizes could overflow 64 bits, so stop once past the limit.
  std::uint64_t expected = 1;
  for (std::uint32_t dim : array.dims) {
    expected *= dim;
    if (expected > kMaxValues) {
      throw Error(Location{reader.name()},
                  fmt::format("IDX header claims dimensions {}, more than 2^31 values", format_dims(array.dims)),
                  "check that the file is not damaged; files this large are not supported");
    }
  }

  // Grow the buffer with the bytes actually read, so a damaged header that claims a huge size
  // costs no more memory than the file holds.
  const std::uint64_t data_offset = reader.offset();
  while (array.values.size() < expected) {
    const std::size_t old_size = array.values.size();
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(expected - old_size, kReadChunk));
    array.values.resize(old_size + chunk);
    const std::size_t got = reader.read(array.values.data() + old_size, chunk);
    array.values.resize(old_size + got);
    if (got < chunk) break;
  }
  if (array.values.size() < expected) {
    throw Error(
        Location{reader.name()},
        fmt::format("truncated IDX data: dimensions {} need {} bytes after the {}-byte header, found {} ({} file)",
                    format_dims(array.dims), expected, data_offset, array.values.size(), reader.form()),
        "the file is incomplete; copy or download it again");
  }

  std::uint8_t extra = 0;
  if (reader.read(&extra, 1) > 0) {
    throw Error(
        Location{reader.name()},
        fmt::format("unexpected bytes after the IDX data at offset {}: dimensions {} need {} bytes of data, but "
                    "the file is longer ({} file)",
                    data_offset + expected, format_dims(array.dims), expected, reader.form()),
        "check that the header matches the data; the file may be damaged or not an IDX file");
  }
  array.values.shrink_to_fit();
  return array;
}

Dataset read_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels) {
  const IdxArray image_array = read_idx(images);
  const IdxArray label_array = read_idx(labels);
  const std::string image_name = images.string();
  const std::string label_name = labels.string();

  if (image_array.dims.size() != 2 && image_array.dims.size() != 3) {
    throw Error(
        Location{image_name},
        fmt::format("images file has dimensions {}; expected 3 (images × rows × columns) or 2 (samples × features)",
                    format_dims(image_array.dims)),
        "give the images file (for example t10k-images-idx3-ubyte.gz) first and the labels file second");
  }
  if (label_array.dims.size() != 1) {
    throw Error(
        Location{label_name},
        fmt::format("labels file has dimensions {}; expected 1 (one label per image)", format_dims(label_array.dims)),
        "give the labels file (for example t10k-labels-idx1-ubyte.gz) second");
  }

  const std::uint32_t count = image_array.dims[0];
  if (count != label_array.dims[0]) {
    throw Error(
        Location{label_name},
        fmt::format("{} has {} labels but {} has {} images", label_name, label_array.dims[0], image_name, count),
        "give an images file and the labels file that belongs to it");
  }
  if (count == 0) {
    throw Error(Location{image_name}, "the images file contains no images", "give a file with at least one image");
  }

  std::uint64_t width = 1;
  for (std::size_t d = 1; d < image_array.dims.size(); ++d) width *= image_array.dims[d];

  Dataset data;
  data.task = Task::classification;
  data.source = image_name;
  data.inputs = Matrix::zeros(static_cast<Index>(count), static_cast<Index>(width));
  const std::uint8_t* pixel = image_array.values.data();
  float* out = data.inputs.data();
  for (std::size_t i = 0; i < image_array.values.size(); ++i) out[i] = static_cast<float>(pixel[i]);

  data.targets = Matrix::zeros(static_cast<Index>(count), 1);
  std::uint8_t max_label = 0;
  for (std::uint32_t r = 0; r < count; ++r) {
    const std::uint8_t label = label_array.values[r];
    max_label = std::max(max_label, label);
    data.targets(static_cast<Index>(r), 0) = static_cast<float>(label);
  }
  for (int c = 0; c <= max_label; ++c) data.class_names.push_back(std::to_string(c));

  data.input_names.reserve(static_cast<std::size_t>(width));
  for (std::uint64_t i = 0; i < width; ++i) data.input_names.push_back(fmt::format("pixel_{}", i));
  data.target_names = {"label"};
  return data;
}

}  // namespace protean
