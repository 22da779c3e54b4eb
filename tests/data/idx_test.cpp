#include "protean/data/idx.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::error_from;
using testing_support::TempDir;
using testing_support::write_gzip;

// Builds IDX bytes: the magic (0, 0, type, dims.size()), big-endian dims, then `values`.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& values,
                      std::uint8_t type = 0x08) {
  std::string bytes = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t dim : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((dim >> shift) & 0xFF);
  }
  bytes.append(values.begin(), values.end());
  return bytes;
}

std::vector<std::uint8_t> counting_values(std::size_t count) {
  std::vector<std::uint8_t> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<std::uint8_t>(i % 251);
  return values;
}

TEST(Idx, ReadsPlainFile) {
  TempDir dir;
  const auto values = counting_values(2 * 3 * 4);
  const auto path = dir.write("images.idx", idx_bytes({2, 3, 4}, values));
  const IdxArray array = read_idx(path);
  EXPECT_THAT(array.dims, ElementsAre(2u, 3u, 4u));
  EXPECT_EQ(array.values, values);
}

TEST(Idx, ReadsGzipFile) {
  TempDir dir;
  const auto values = counting_values(5 * 7);
  const auto path = write_gzip(dir, "images.idx.gz", idx_bytes({5, 7}, values));
  const IdxArray array = read_idx(path);
  EXPECT_THAT(array.dims, ElementsAre(5u, 7u));
  EXPECT_EQ(array.values, values);
}

TEST(Idx, ReadsLargerThanOneChunk) {
  TempDir dir;
  const auto values = counting_values(3 * 1000 * 1000);
  const auto path = write_gzip(dir, "big.idx.gz", idx_bytes({3, 1000, 1000}, values));
  const IdxArray array = read_idx(path);
  EXPECT_EQ(array.values.size(), values.size());
  EXPECT_EQ(array.values, values);
}

TEST(Idx, ReadsFourDimensions) {
  TempDir dir;
  const auto path = dir.write("four.idx", idx_bytes({1, 2, 2, 2}, counting_values(8)));
  EXPECT_THAT(read_idx(path).dims, ElementsAre(1u, 2u, 2u, 2u));
}

TEST(Idx, ZeroSizedDimension) {
  TempDir dir;
  const auto path = dir.write("empty.idx", idx_bytes({0, 28}, {}));
  const IdxArray array = read_idx(path);
  EXPECT_THAT(array.dims, ElementsAre(0u, 28u));
  EXPECT_TRUE(array.values.empty());
}

TEST(Idx, MissingFile) {
  TempDir dir;
  const auto path = dir.path() / "absent.idx";
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_EQ(error.where().file, path.string());
  EXPECT_THAT(error.what(), HasSubstr("not found"));
  EXPECT_THAT(error.what(), HasSubstr("check the path"));
}

TEST(Idx, BadMagic) {
  TempDir dir;
  const auto path = dir.write("text.idx", "hello, world");
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("not an IDX file"));
  EXPECT_THAT(error.what(), HasSubstr("68 65 6c 6c"));
  EXPECT_THAT(error.what(), HasSubstr("uncompressed"));
}

TEST(Idx, BadMagicInGzipFile) {
  TempDir dir;
  const auto path = write_gzip(dir, "text.gz", "hello, world");
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr("not an IDX file"));
  EXPECT_THAT(error.what(), HasSubstr("gzip-compressed"));
}

TEST(Idx, UnsupportedType) {
  TempDir dir;
  const auto path = dir.write("floats.idx", idx_bytes({1}, {0, 0, 0, 0}, 0x0D));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("type code 0x0d (float32)"));
  EXPECT_THAT(error.what(), HasSubstr("only unsigned-byte IDX"));
}

TEST(Idx, BadDimensionCount) {
  TempDir dir;
  for (std::uint8_t count : {0, 5}) {
    std::string bytes = {'\0', '\0', '\x08', static_cast<char>(count)};
    bytes.append(64, '\0');
    const auto path = dir.write("dims.idx", bytes);
    const Error error = error_from([&] { read_idx(path); });
    EXPECT_THAT(error.what(), HasSubstr("gives " + std::to_string(count) + " dimensions; expected 1 to 4"));
  }
}

TEST(Idx, TruncatedMagic) {
  TempDir dir;
  const auto path = dir.write("short.idx", std::string("\0\0", 2));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr("truncated IDX header"));
  EXPECT_THAT(error.what(), HasSubstr("found 2"));
}

TEST(Idx, TruncatedDimensions) {
  TempDir dir;
  const std::string full = idx_bytes({10, 28, 28}, {});
  const auto path = dir.write("short.idx", full.substr(0, 9));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("truncated IDX header"));
  EXPECT_THAT(error.what(), HasSubstr("expected 12 bytes"));
  EXPECT_THAT(error.what(), HasSubstr("found 5"));
}

TEST(Idx, TruncatedData) {
  TempDir dir;
  const auto path = dir.write("short.idx", idx_bytes({10, 2, 2}, counting_values(30)));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("truncated IDX data"));
  EXPECT_THAT(error.what(), HasSubstr("need 40 bytes"));
  EXPECT_THAT(error.what(), HasSubstr("found 30"));
  EXPECT_THAT(error.what(), HasSubstr("copy or download it again"));
}

TEST(Idx, TruncatedGzipStream) {
  TempDir dir;
  const auto whole = write_gzip(dir, "whole.gz", idx_bytes({100, 100}, counting_values(10000)));
  std::ifstream in(whole, std::ios::binary);
  const std::string compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto path = dir.write("cut.gz", compressed.substr(0, compressed.size() / 2));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("gzip-compressed"));
  EXPECT_THAT(error.what(), HasSubstr("again"));
}

TEST(Idx, HugeClaimedSize) {
  TempDir dir;
  const auto path = dir.write("huge.idx", idx_bytes({65536, 65536}, counting_values(10)));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr("65536×65536"));
  EXPECT_THAT(error.what(), HasSubstr("more than 2^31 values"));
}

TEST(Idx, HugeClaimedSizeOverflowing64Bits) {
  TempDir dir;
  const std::uint32_t max = 0xFFFFFFFFu;
  const auto path = dir.write("huge.idx", idx_bytes({max, max, max, max}, {}));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr("more than 2^31 values"));
}

// A header claims 2^31 bytes and 10 follow. The reader grows its buffer with the bytes it reads,
// so this fails on the short data without first allocating 2 GiB.
TEST(Idx, ShortFileWithLargeClaim) {
  TempDir dir;
  const auto path = dir.write("claim.idx", idx_bytes({32768, 65536}, counting_values(10)));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr("need 2147483648 bytes"));
  EXPECT_THAT(error.what(), HasSubstr("found 10"));
}

TEST(Idx, TrailingBytes) {
  TempDir dir;
  const auto path = dir.write("long.idx", idx_bytes({4}, counting_values(6)));
  const Error error = error_from([&] { read_idx(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("unexpected bytes after the IDX data at offset 12"));
  EXPECT_THAT(error.what(), HasSubstr("need 4 bytes"));
}

TEST(IdxDataset, ImagesAndLabels) {
  TempDir dir;
  const auto images = dir.write("images.idx", idx_bytes({3, 2, 2}, {0, 1, 2, 3, 10, 11, 12, 13, 255, 254, 253, 252}));
  const auto labels = write_gzip(dir, "labels.idx.gz", idx_bytes({3}, {4, 0, 2}));
  const Dataset data = read_idx_dataset(images, labels);
  EXPECT_EQ(data.task, Task::classification);
  ASSERT_EQ(data.inputs.rows(), 3);
  ASSERT_EQ(data.inputs.cols(), 4);
  EXPECT_EQ(data.inputs(0, 3), 3.0f);
  EXPECT_EQ(data.inputs(1, 0), 10.0f);
  EXPECT_EQ(data.inputs(2, 0), 255.0f);
  ASSERT_EQ(data.targets.cols(), 1);
  EXPECT_EQ(data.targets(0, 0), 4.0f);
  EXPECT_EQ(data.targets(1, 0), 0.0f);
  EXPECT_EQ(data.targets(2, 0), 2.0f);
  EXPECT_THAT(data.class_names, ElementsAre("0", "1", "2", "3", "4"));
  EXPECT_THAT(data.input_names, ElementsAre("pixel_0", "pixel_1", "pixel_2", "pixel_3"));
  EXPECT_THAT(data.target_names, ElementsAre("label"));
  EXPECT_EQ(data.source, images.string());
  EXPECT_TRUE(data.source_lines.empty());
}

TEST(IdxDataset, TwoDimensionalInputs) {
  TempDir dir;
  const auto inputs = dir.write("inputs.idx", idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6}));
  const auto labels = dir.write("labels.idx", idx_bytes({2}, {1, 0}));
  const Dataset data = read_idx_dataset(inputs, labels);
  EXPECT_EQ(data.inputs.cols(), 3);
  EXPECT_EQ(data.inputs(1, 2), 6.0f);
}

TEST(IdxDataset, CountMismatch) {
  TempDir dir;
  const auto images = dir.write("images.idx", idx_bytes({3, 1, 1}, {1, 2, 3}));
  const auto labels = dir.write("labels.idx", idx_bytes({2}, {0, 1}));
  const Error error = error_from([&] { read_idx_dataset(images, labels); });
  EXPECT_THAT(error.what(), HasSubstr(images.string()));
  EXPECT_THAT(error.what(), HasSubstr(labels.string()));
  EXPECT_THAT(error.what(), HasSubstr("has 2 labels"));
  EXPECT_THAT(error.what(), HasSubstr("has 3 images"));
  EXPECT_THAT(error.what(), HasSubstr("labels file that belongs to it"));
}

TEST(IdxDataset, LabelsWithTwoDimensions) {
  TempDir dir;
  const auto images = dir.write("images.idx", idx_bytes({2, 1, 1}, {1, 2}));
  const auto labels = dir.write("labels.idx", idx_bytes({2, 1}, {0, 1}));
  const Error error = error_from([&] { read_idx_dataset(images, labels); });
  EXPECT_THAT(error.what(), HasSubstr("labels file has dimensions 2×1; expected 1"));
}

TEST(IdxDataset, FilesSwapped) {
  TempDir dir;
  const auto images = dir.write("images.idx", idx_bytes({2, 1, 1}, {1, 2}));
  const auto labels = dir.write("labels.idx", idx_bytes({2}, {0, 1}));
  const Error error = error_from([&] { read_idx_dataset(labels, images); });
  EXPECT_THAT(error.what(), HasSubstr("images file has dimensions 2; expected 3"));
  EXPECT_THAT(error.what(), HasSubstr("images file"));
}

TEST(IdxDataset, NoImages) {
  TempDir dir;
  const auto images = dir.write("images.idx", idx_bytes({0, 2, 2}, {}));
  const auto labels = dir.write("labels.idx", idx_bytes({0}, {}));
  const Error error = error_from([&] { read_idx_dataset(images, labels); });
  EXPECT_THAT(error.what(), HasSubstr("contains no images"));
}

constexpr const char* kFashionLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

TEST(IdxFashionMnist, TestLabels) {
  if (!std::filesystem::exists(kFashionLabels)) GTEST_SKIP() << kFashionLabels << " is not installed";
  const IdxArray labels = read_idx(kFashionLabels);
  ASSERT_THAT(labels.dims, ElementsAre(10000u));
  std::vector<int> per_class(10, 0);
  for (std::uint8_t label : labels.values) {
    ASSERT_LT(label, 10);
    ++per_class[label];
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], 1000) << "class " << c;
}

TEST(IdxFashionMnist, TestDataset) {
  const std::filesystem::path images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(images) || !std::filesystem::exists(kFashionLabels)) {
    GTEST_SKIP() << "Fashion-MNIST test files are not installed";
  }
  const Dataset data = read_idx_dataset(images, kFashionLabels);
  EXPECT_EQ(data.rows(), 10000);
  EXPECT_EQ(data.inputs.cols(), 784);
  EXPECT_EQ(data.class_count(), 10);
  EXPECT_EQ(data.input_names.back(), "pixel_783");
}

}  // namespace
}  // namespace protean
