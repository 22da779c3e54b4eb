#include "protean/data/csv.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "data/data_test_support.hpp"
#include "protean/error.hpp"

namespace protean {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing_support::error_from;
using testing_support::TempDir;

CsvTable parse(std::string_view text, const CsvOptions& options = {}) { return parse_csv(text, "test.csv", options); }

Dataset dataset_from(std::string_view text, const DatasetOptions& options = {}) {
  return to_dataset(parse(text), options);
}

// Option builders. Designated initializers would read better, but GCC 12 warns about the
// members they leave out even though those have default values.
CsvOptions delimiter_option(char delimiter) {
  CsvOptions options;
  options.delimiter = delimiter;
  return options;
}

CsvOptions header_option(HeaderMode header) {
  CsvOptions options;
  options.header = header;
  return options;
}

DatasetOptions target_option(const std::string& target) {
  DatasetOptions options;
  options.target = target;
  return options;
}

DatasetOptions drop_option(const std::vector<std::string>& drop) {
  DatasetOptions options;
  options.drop = drop;
  return options;
}

DatasetOptions task_option(Task task) {
  DatasetOptions options;
  options.task = task;
  return options;
}

DatasetOptions no_target_option() {
  DatasetOptions options;
  options.has_target = false;
  return options;
}

// ---- Fields, quotes and line ends ----

TEST(Csv, ParsesHeaderAndRows) {
  const CsvTable table = parse("a,b,c\n1,2,3\n4,5,6\n");
  EXPECT_TRUE(table.has_header);
  EXPECT_EQ(table.delimiter, ',');
  EXPECT_THAT(table.column_names, ElementsAre("a", "b", "c"));
  ASSERT_EQ(table.row_count(), 2);
  EXPECT_THAT(table.rows[0], ElementsAre("1", "2", "3"));
  EXPECT_THAT(table.rows[1], ElementsAre("4", "5", "6"));
  EXPECT_THAT(table.row_lines, ElementsAre(2, 3));
  EXPECT_EQ(table.source, "test.csv");
}

TEST(Csv, DetectsSemicolon) {
  const CsvTable table = parse("a;b\n1;2\n");
  EXPECT_EQ(table.delimiter, ';');
  EXPECT_THAT(table.column_names, ElementsAre("a", "b"));
}

TEST(Csv, DetectsTab) {
  const CsvTable table = parse("a\tb\tc\n1\t2\t3\n");
  EXPECT_EQ(table.delimiter, '\t');
  EXPECT_THAT(table.rows[0], ElementsAre("1", "2", "3"));
}

TEST(Csv, DetectionPrefersConsistentFieldCount) {
  // Comma decimals split differently per row, while ';' splits every row into 2 fields.
  const CsvTable table = parse("name;price\nx;1,5\ny;20\n", header_option(HeaderMode::present));
  EXPECT_EQ(table.delimiter, ';');
  EXPECT_THAT(table.rows[0], ElementsAre("x", "1,5"));
}

TEST(Csv, DetectionIgnoresDelimitersInQuotes) {
  const CsvTable table = parse("\"a;b\",c\n\"x;y;z\",1\n\"p\",2\n");
  EXPECT_EQ(table.delimiter, ',');
  EXPECT_THAT(table.column_names, ElementsAre("a;b", "c"));
  EXPECT_THAT(table.rows[0], ElementsAre("x;y;z", "1"));
}

TEST(Csv, GivenDelimiterOverridesDetection) {
  const CsvTable table = parse("a,b;c\n1,2;3\n", delimiter_option(';'));
  EXPECT_EQ(table.delimiter, ';');
  EXPECT_THAT(table.column_names, ElementsAre("a,b", "c"));
}

TEST(Csv, SingleColumn) {
  const CsvTable table = parse("value\n1\n2\n");
  EXPECT_EQ(table.column_count(), 1);
  EXPECT_THAT(table.column_names, ElementsAre("value"));
  EXPECT_EQ(table.row_count(), 2);
}

TEST(Csv, QuotedFieldWithDelimiter) {
  const CsvTable table = parse("name,x\n\"Smith, J.\",1\n");
  EXPECT_THAT(table.rows[0], ElementsAre("Smith, J.", "1"));
}

TEST(Csv, DoubledQuoteIsOneQuote) {
  const CsvTable table = parse("name,x\n\"say \"\"hi\"\"\",1\n\"\"\"\",2\n");
  EXPECT_EQ(table.rows[0][0], "say \"hi\"");
  EXPECT_EQ(table.rows[1][0], "\"");
}

TEST(Csv, EmptyQuotedField) {
  const CsvTable table = parse("a,b\n\"\",1\n");
  EXPECT_EQ(table.rows[0][0], "");
}

TEST(Csv, QuotedFieldKeepsSpaces) {
  const CsvTable table = parse("a,b\n\" x \",1\n");
  EXPECT_EQ(table.rows[0][0], " x ");
}

TEST(Csv, UnquotedFieldLosesSurroundingSpaces) {
  const CsvTable table = parse(" a , b \n 1 , two words \n");
  EXPECT_THAT(table.column_names, ElementsAre("a", "b"));
  EXPECT_THAT(table.rows[0], ElementsAre("1", "two words"));
}

TEST(Csv, QuoteInsideUnquotedFieldIsText) {
  const CsvTable table = parse("a,b\n5\"6,1\n");
  EXPECT_EQ(table.rows[0][0], "5\"6");
}

TEST(Csv, QuotedFieldWithNewline) {
  const CsvTable table = parse("note,x\n\"line one\nline two\",1\n\"z\",2\n");
  ASSERT_EQ(table.row_count(), 2);
  EXPECT_EQ(table.rows[0][0], "line one\nline two");
  EXPECT_EQ(table.row_lines[0], 2);
  EXPECT_EQ(table.row_lines[1], 4);
}

TEST(Csv, ColumnsAfterQuotedNewlineCountFromNewLine) {
  const CsvTable table = parse("note,x\n\"a\nbc\",1\n");
  // The second field starts on line 3, after `bc",`.
  EXPECT_EQ(table.row_columns[0][1], 5);
}

TEST(Csv, LineCountAfterQuotedCrlf) {
  const CsvTable table = parse("note,x\r\n\"a\r\nb\",1\r\nc,2\r\n");
  EXPECT_EQ(table.rows[0][0], "a\r\nb");
  EXPECT_THAT(table.row_lines, ElementsAre(2, 4));
}

TEST(Csv, CrlfLineEnds) {
  const CsvTable table = parse("a,b\r\n1,2\r\n3,4\r\n");
  EXPECT_THAT(table.column_names, ElementsAre("a", "b"));
  EXPECT_THAT(table.rows[1], ElementsAre("3", "4"));
  EXPECT_THAT(table.row_lines, ElementsAre(2, 3));
}

TEST(Csv, CarriageReturnOnlyLineEnds) {
  const CsvTable table = parse("a,b\r1,2\r3,4\r");
  EXPECT_EQ(table.row_count(), 2);
  EXPECT_THAT(table.row_lines, ElementsAre(2, 3));
}

TEST(Csv, ByteOrderMarkSkipped) {
  const CsvTable table = parse("\xEF\xBB\xBFid,x\n1,2\n");
  EXPECT_EQ(table.column_names[0], "id");
  EXPECT_EQ(table.row_columns[0][0], 1);
}

TEST(Csv, BlankLinesSkipped) {
  const CsvTable table = parse("\n\na,b\n\n1,2\n   \n\r\n3,4\n\n");
  EXPECT_THAT(table.column_names, ElementsAre("a", "b"));
  ASSERT_EQ(table.row_count(), 2);
  EXPECT_THAT(table.row_lines, ElementsAre(5, 8));
}

TEST(Csv, FinalLineWithoutNewline) {
  const CsvTable table = parse("a,b\n1,2\n3,4");
  ASSERT_EQ(table.row_count(), 2);
  EXPECT_THAT(table.rows[1], ElementsAre("3", "4"));
}

TEST(Csv, FinalQuotedFieldWithoutNewline) {
  const CsvTable table = parse("a,b\n1,\"x\"");
  EXPECT_THAT(table.rows[0], ElementsAre("1", "x"));
}

TEST(Csv, TrailingDelimiterGivesEmptyField) {
  const CsvTable table = parse("a,b,c\n1,2,\n");
  EXPECT_THAT(table.rows[0], ElementsAre("1", "2", ""));
}

TEST(Csv, ColumnsAreByteOffsetsFromLineStart) {
  const CsvTable table = parse("a,b,c\n1,22,333\n");
  EXPECT_THAT(table.row_columns[0], ElementsAre(1, 3, 6));
}

TEST(Csv, LocationNamesFileLineAndColumn) {
  const CsvTable table = parse("a,b\n1,2\n3,44\n");
  const Location where = table.location(1, 1);
  EXPECT_EQ(where.file, "test.csv");
  EXPECT_EQ(where.line, 3);
  EXPECT_EQ(where.column, 3);
  EXPECT_EQ(where.to_string(), "test.csv:3:3");
}

TEST(Csv, ManyRows) {
  std::string text = "x,y\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "," + std::to_string(2 * i) + "\n";
  const CsvTable table = parse(text);
  ASSERT_EQ(table.row_count(), 20000);
  EXPECT_EQ(table.rows[19999][1], "39998");
  EXPECT_EQ(table.row_lines[19999], 20001);
}

// ---- Header detection ----

TEST(CsvHeader, TextOverNumbersIsHeader) {
  const CsvTable table = parse("1,width\n2,3\n4,5\n");
  EXPECT_TRUE(table.has_header);
  EXPECT_THAT(table.column_names, ElementsAre("1", "width"));
}

TEST(CsvHeader, NumericFirstRowIsData) {
  const CsvTable table = parse("1,2\n3,4\n");
  EXPECT_FALSE(table.has_header);
  EXPECT_THAT(table.column_names, ElementsAre("column_1", "column_2"));
  EXPECT_EQ(table.row_count(), 2);
  EXPECT_THAT(table.row_lines, ElementsAre(1, 2));
}

TEST(CsvHeader, TextColumnsWithoutHeader) {
  // Both rows hold a text class column, so the first row matches the rest and is data.
  const CsvTable table = parse("1.5,cat\n2.5,dog\n");
  EXPECT_FALSE(table.has_header);
  EXPECT_EQ(table.row_count(), 2);
}

TEST(CsvHeader, AllTextFirstRowOverMixedRows) {
  const CsvTable table = parse("a,b\n1,x\ny,2\n");
  EXPECT_TRUE(table.has_header);
}

TEST(CsvHeader, AllTextTableHasNoHeader) {
  const CsvTable table = parse("a,b\nc,d\n");
  EXPECT_FALSE(table.has_header);
}

// A file of categorical columns only has no number to tell its header from its data. The header's
// names occur only once in their columns, while the data rows repeat categories.
TEST(CsvHeader, CategoricalTableHeaderIsFound) {
  const CsvTable table = parse("class,cap-shape,odor\np,x,n\ne,b,a\np,x,a\n");
  EXPECT_TRUE(table.has_header);
  EXPECT_THAT(table.column_names, ElementsAre("class", "cap-shape", "odor"));
  EXPECT_EQ(table.row_count(), 3);
}

TEST(CsvHeader, CategoricalTableWithoutHeader) {
  // The first row's class 'p' occurs again below it, so that row is data.
  const CsvTable table = parse("p,x,n\ne,b,a\np,x,a\n");
  EXPECT_FALSE(table.has_header);
  EXPECT_EQ(table.row_count(), 3);
}

TEST(CsvHeader, UniqueTextRowsStayData) {
  // No column repeats a value, so the rows may be names of any kind, header or not.
  const CsvTable table = parse("a,b\nc,d\ne,f\n");
  EXPECT_FALSE(table.has_header);
}

TEST(CsvHeader, EmptyFirstCellIsNotHeader) {
  const CsvTable table = parse(",2\n3,4\n");
  EXPECT_FALSE(table.has_header);
  EXPECT_EQ(table.row_count(), 2);
}

TEST(CsvHeader, PresentModeKeepsNumericHeader) {
  const CsvTable table = parse("1,2\n3,4\n", header_option(HeaderMode::present));
  EXPECT_TRUE(table.has_header);
  EXPECT_THAT(table.column_names, ElementsAre("1", "2"));
  EXPECT_EQ(table.row_count(), 1);
}

TEST(CsvHeader, AbsentModeKeepsTextRow) {
  const CsvTable table = parse("a,b\n1,2\n", header_option(HeaderMode::absent));
  EXPECT_FALSE(table.has_header);
  EXPECT_EQ(table.row_count(), 2);
  EXPECT_THAT(table.rows[0], ElementsAre("a", "b"));
}

TEST(CsvHeader, EmptyNameGetsColumnNumber) {
  const CsvTable table = parse(",price\n1,2\n");
  EXPECT_THAT(table.column_names, ElementsAre("column_1", "price"));
}

TEST(CsvHeader, QuotedNamesLoseSurroundingSpaces) {
  const CsvTable table = parse("\"x1 \",\" price\",\" \"\n1,2,3\n");
  EXPECT_THAT(table.column_names, ElementsAre("x1", "price", "column_3"));
  EXPECT_EQ(find_column(table, "price"), 1);
}

// ---- Parse errors ----

TEST(CsvError, EmptyText) {
  const Error error = error_from([] { parse(""); });
  EXPECT_EQ(error.where().file, "test.csv");
  EXPECT_THAT(error.what(), HasSubstr("contains no data"));
  EXPECT_THAT(error.what(), HasSubstr("check"));
}

TEST(CsvError, BlankLinesOnly) {
  const Error error = error_from([] { parse("\xEF\xBB\xBF\n  \r\n\n"); });
  EXPECT_THAT(error.what(), HasSubstr("contains no data"));
}

TEST(CsvError, HeaderOnly) {
  const Error error = error_from([] { parse("a,b,c\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:1"));
  EXPECT_THAT(error.what(), HasSubstr("has a header but no data rows"));
  EXPECT_THAT(error.what(), HasSubstr("add data rows"));
}

TEST(CsvError, RaggedRowWithExtraField) {
  const Error error = error_from([] { parse("a,b\n1,2\n3,4,5\n"); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_EQ(error.where().column, 5);
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:5"));
  EXPECT_THAT(error.what(), HasSubstr("row has 3 fields but the header (line 1) has 2"));
  EXPECT_THAT(error.what(), HasSubstr("missing or extra delimiter"));
  EXPECT_THAT(error.what(), HasSubstr("--delimiter"));
}

TEST(CsvError, RaggedRowWithMissingField) {
  const Error error = error_from([] { parse("a;b;c\n1;2;3\n\n4;5\n"); });
  EXPECT_EQ(error.where().line, 4);
  EXPECT_THAT(error.what(), HasSubstr("test.csv:4"));
  EXPECT_THAT(error.what(), HasSubstr("row has 2 fields but the header (line 1) has 3"));
  EXPECT_THAT(error.what(), HasSubstr("separated by ';'"));
}

TEST(CsvError, RaggedRowWithoutHeader) {
  const Error error = error_from([] { parse("1,2\n3\n", header_option(HeaderMode::absent)); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:2"));
  EXPECT_THAT(error.what(), HasSubstr("the first row (line 1) has 2"));
}

TEST(CsvError, RaggedRowAfterQuotedNewline) {
  const Error error = error_from([] { parse("a,b\n\"x\ny\",1\n2\n"); });
  EXPECT_EQ(error.where().line, 4);
}

TEST(CsvError, UnterminatedQuote) {
  const Error error = error_from([] { parse("a,b\n1,2\n3,\"open\n4,5\n"); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_EQ(error.where().column, 3);
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("never closed"));
  EXPECT_THAT(error.what(), HasSubstr("'\"open"));
  EXPECT_THAT(error.what(), HasSubstr("add the closing"));
}

TEST(CsvError, TextAfterClosingQuote) {
  const Error error = error_from([] { parse("a,b\n\"x\"y,1\n"); });
  EXPECT_EQ(error.where().line, 2);
  EXPECT_EQ(error.where().column, 4);
  EXPECT_THAT(error.what(), HasSubstr("'y,1'"));
  EXPECT_THAT(error.what(), HasSubstr("after the closing quote"));
  EXPECT_THAT(error.what(), HasSubstr("\"\""));
}

TEST(CsvError, GzipInput) {
  const Error error = error_from([] { parse(std::string("\x1f\x8b\x08\0\0\0", 6)); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv: the text is gzip-compressed"));
  EXPECT_THAT(error.what(), HasSubstr("read_csv()"));
}

// Files of other formats are named by their first bytes, with what to do instead.
TEST(CsvError, NamesKnownFileFormats) {
  const struct {
    std::string bytes;
    const char* format;
    const char* fix;
  } cases[] = {
      {std::string("PK\x03\x04\x14\0\x06\0", 8), "a ZIP archive, such as an Excel .xlsx", "export the sheet as CSV"},
      {std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", 10), "an Excel 97-2003 .xls workbook", "CSV UTF-8"},
      {std::string("\xFF\xFEx\0,\0y\0\n\0", 10), "UTF-16 text", "iconv -f UTF-16 -t UTF-8 test.csv > test-utf8.csv"},
      {std::string("\xFE\xFF\0x\0,\0y", 8), "UTF-16 text", "iconv -f UTF-16"},
      {std::string("\xFF\xFE\0\0x\0\0\0", 8), "UTF-32 text", "iconv -f UTF-32"},
      {std::string("x\0,\0y\0\n\0001\0,\0002\0\n\0", 16), "UTF-16LE text without a byte order mark",
       "iconv -f UTF-16LE -t UTF-8 test.csv"},
      {std::string("\0x\0,\0y\0\n\0001\0,\0002\0\n", 16), "UTF-16BE text without a byte order mark", "iconv -f UTF-16BE"},
      {"BZh91AY&SY", "bzip2-compressed", "bunzip2"},
      {std::string("\xFD" "7zXZ\0\0\x04", 8), "xz-compressed", "unxz"},
      {std::string("\x28\xB5\x2F\xFD\x04\0", 6), "zstd-compressed", "unzstd"},
      {std::string("PAR1\x15\x04\0\0PAR1", 12), "an Apache Parquet file", "to_csv"},
      {std::string("\x89HDF\r\n\x1A\n\0\0", 10), "an HDF5 file", "as CSV"},
      {std::string("\x93NUMPY\x01\0", 8), "a NumPy .npy array", "numpy.savetxt"},
      {std::string("SQLite format 3\0\x10\0", 18), "an SQLite database", "export the table"},
      {"%PDF-1.7\n", "a PDF document", "CSV file"},
      {std::string("\0\0\x08\x03\0\0\0\x02", 8), "an IDX file (MNIST format)", "--labels"},
      {std::string("\x20\0\0\0\0\0\0\0{\"__metadata__\":{}}", 27), "a safetensors file", "the model file comes first"},
  };
  for (const auto& c : cases) {
    const Error error = error_from([&] { parse(c.bytes); });
    EXPECT_THAT(error.what(), HasSubstr(std::string("test.csv: the file is ") + c.format)) << c.format;
    EXPECT_THAT(error.what(), HasSubstr(c.fix)) << c.format;
  }
  // Text that only starts like a signature is still read as CSV.
  EXPECT_EQ(parse("PK,value\n1,2\n").column_names.front(), "PK");
  EXPECT_EQ(parse("BZh,x\n1,2\n").row_count(), 1);
  EXPECT_EQ(parse("PAR1,x\n1,2\n").row_count(), 1);
}

TEST(CsvError, BinaryInput) {
  const Error error = error_from([] { parse(std::string("ab\0cd", 5)); });
  EXPECT_THAT(error.what(), HasSubstr("zero byte at offset 2"));
  EXPECT_THAT(error.what(), HasSubstr("plain text"));
}

TEST(CsvError, InvalidDelimiter) {
  const Error error = error_from([] { parse("a\n1\n", delimiter_option('"')); });
  EXPECT_THAT(error.what(), HasSubstr("invalid delimiter '\"'"));
  EXPECT_THAT(error.what(), HasSubstr("leave the delimiter unset"));
}

// ---- Files ----

TEST(CsvFile, ReadsGzipFile) {
  TempDir dir;
  const auto path = testing_support::write_gzip(dir, "prices.csv.gz", "size,price\n1,10\n2,20\n");
  const CsvTable table = read_csv(path);
  EXPECT_EQ(table.source, path.string());
  EXPECT_THAT(table.column_names, ElementsAre("size", "price"));
  ASSERT_EQ(table.row_count(), 2);
  EXPECT_EQ(table.rows[1][1], "20");
  EXPECT_EQ(table.row_lines[1], 3);
}

TEST(CsvFile, ReadsGzipMembersInARow) {
  TempDir dir;
  const auto first = testing_support::write_gzip(dir, "a.gz", "x,y\n1,2\n");
  const auto second = testing_support::write_gzip(dir, "b.gz", "3,4\n");
  std::string both;
  for (const auto& path : {first, second}) {
    std::ifstream in(path, std::ios::binary);
    both.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const CsvTable table = read_csv(dir.write("both.csv.gz", both));
  ASSERT_EQ(table.row_count(), 2);
  EXPECT_EQ(table.rows[1][0], "3");
}

// A gzip-compressed file of another format is named as decompressed, and a conversion command
// reads the file through gunzip, since iconv cannot read gzip data.
TEST(CsvFileError, CompressedOtherFormats) {
  TempDir dir;
  const auto utf16 = testing_support::write_gzip(dir, "wide.csv.gz", std::string("\xFF\xFEx\0,\0y\0\n\0", 10));
  const Error with_mark = error_from([&] { read_csv(utf16); });
  EXPECT_THAT(with_mark.what(), HasSubstr("wide.csv.gz: the file, once decompressed, is UTF-16 text"));
  const std::string base = (dir.path() / "wide").string();
  EXPECT_THAT(with_mark.what(),
              HasSubstr("'gunzip -c " + utf16.string() + " | iconv -f UTF-16 -t UTF-8 > " + base + "-utf8.csv'"));

  const auto no_mark =
      testing_support::write_gzip(dir, "bare.gz", std::string("x\0,\0y\0\n\0001\0,\0002\0\n\0", 16));
  const Error without_mark = error_from([&] { read_csv(no_mark); });
  EXPECT_THAT(without_mark.what(), HasSubstr("once decompressed, is UTF-16LE text without a byte order mark"));
  EXPECT_THAT(without_mark.what(), HasSubstr("'gunzip -c " + no_mark.string() + " | iconv -f UTF-16LE -t UTF-8 > " +
                                             (dir.path() / "bare").string() + "-utf8.csv'"));

  const auto workbook = testing_support::write_gzip(dir, "book.xlsx.gz", std::string("PK\x03\x04\x14\0\x06\0", 8));
  EXPECT_THAT(error_from([&] { read_csv(workbook); }).what(),
              HasSubstr("the file, once decompressed, is a ZIP archive"));
}

TEST(CsvFileError, GzipCompressedTwice) {
  TempDir dir;
  const auto inner = testing_support::write_gzip(dir, "inner.gz", "x,y\n1,2\n");
  std::ifstream in(inner, std::ios::binary);
  const std::string inner_bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto twice = testing_support::write_gzip(dir, "data.csv.gz.gz", inner_bytes);
  const Error error = error_from([&] { read_csv(twice); });
  EXPECT_THAT(error.what(), HasSubstr("the file is gzip-compressed twice"));
  EXPECT_THAT(error.what(), HasSubstr("'gunzip -c " + twice.string() + " | gunzip -c > " +
                                      (dir.path() / "data.csv").string() + "'"));
  EXPECT_THAT(error.what(), Not(HasSubstr("read_csv()")));
}

// Reads a gzip file written by write_gzip() back as bytes.
std::string gzip_bytes(const TempDir& dir, const std::string& text) {
  std::ifstream in(testing_support::write_gzip(dir, "whole.gz", text), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(CsvFileError, DamagedGzipFiles) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7 % 13) + "\n";
  const std::string whole = gzip_bytes(dir, text);

  Error error = error_from([&] { read_csv(dir.write("cut.csv.gz", whole.substr(0, whole.size() / 2))); });
  EXPECT_THAT(error.what(), HasSubstr("cut.csv.gz: the gzip data ends early"));
  EXPECT_THAT(error.what(), HasSubstr("gzip -t"));

  error = error_from([&] { read_csv(dir.write("tail.csv.gz", whole + "junk")); });
  EXPECT_THAT(error.what(), HasSubstr("tail.csv.gz: the file has 4 bytes after the end of its gzip data"));

  std::string flipped = whole;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
  error = error_from([&] { read_csv(dir.write("flipped.csv.gz", flipped)); });
  EXPECT_THAT(error.what(), HasSubstr("flipped.csv.gz: the gzip data"));
}

TEST(CsvFileError, CompressedBinaryStopsEarly) {
  TempDir dir;
  // 64 MiB of zero bytes: rejected from the first block of output, as the plain file would be.
  const auto path = testing_support::write_gzip(dir, "zeros.gz", std::string(64u << 20, '\0'));
  const Error error = error_from([&] { read_csv(path); });
  EXPECT_THAT(error.what(), HasSubstr("zeros.gz: the file, once decompressed, contains a zero byte at offset 0"));
}

TEST(CsvFile, ReadsFile) {
  TempDir dir;
  const auto path = dir.write("prices.csv", "size,price\n1,10\n2,20\n");
  const CsvTable table = read_csv(path);
  EXPECT_EQ(table.source, path.string());
  EXPECT_THAT(table.column_names, ElementsAre("size", "price"));
  EXPECT_EQ(table.row_count(), 2);
}

TEST(CsvFile, ReadsFixture) {
  const CsvTable table = read_csv(std::filesystem::path(PROTEAN_SOURCE_DIR) / "tests/fixtures/csv/quoted.csv");
  EXPECT_EQ(table.delimiter, ';');
  EXPECT_THAT(table.column_names, ElementsAre("name", "width", "height", "kind"));
  ASSERT_EQ(table.row_count(), 3);
  EXPECT_EQ(table.rows[1][0], "two\r\nlines");
  EXPECT_EQ(table.rows[2][0], "semi;colon \"quoted\"");
  EXPECT_THAT(table.row_lines, ElementsAre(2, 3, 5));
}

TEST(CsvFile, MissingFile) {
  TempDir dir;
  const auto path = dir.path() / "absent.csv";
  const Error error = error_from([&] { read_csv(path); });
  EXPECT_EQ(error.where().file, path.string());
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("not found"));
  EXPECT_THAT(error.what(), HasSubstr("check the path"));
}

TEST(CsvFile, DirectoryRejected) {
  TempDir dir;
  const Error error = error_from([&] { read_csv(dir.path()); });
  EXPECT_THAT(error.what(), HasSubstr("is a directory"));
}

TEST(CsvFile, UnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read files without read permission";
  TempDir dir;
  const auto path = dir.write("locked.csv", "a\n1\n");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  const Error error = error_from([&] { read_csv(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("cannot open"));
  EXPECT_THAT(error.what(), HasSubstr("readable"));
}

TEST(CsvFile, EmptyFile) {
  TempDir dir;
  const auto path = dir.write("empty.csv", "");
  const Error error = error_from([&] { read_csv(path); });
  EXPECT_THAT(error.what(), HasSubstr(path.string()));
  EXPECT_THAT(error.what(), HasSubstr("contains no data"));
}

TEST(CsvFile, BostonHousing) {
  const CsvTable table = read_csv(std::filesystem::path(PROTEAN_SOURCE_DIR) / "data/boston_housing.csv");
  EXPECT_TRUE(table.has_header);
  EXPECT_EQ(table.row_count(), 506);
  EXPECT_EQ(table.column_count(), 13);
  EXPECT_EQ(table.column_names.back(), "MEDV");
  EXPECT_EQ(std::count(table.column_names.begin(), table.column_names.end(), "B"), 0);
  const Dataset data = to_dataset(table, {});
  EXPECT_EQ(data.task, Task::regression);
  EXPECT_EQ(data.inputs.cols(), 12);
}

// ---- Numbers ----

TEST(CsvNumber, AcceptedForms) {
  const std::vector<std::pair<std::string, float>> cases = {
      {"1", 1.0f},     {"-2.5", -2.5f}, {"+3", 3.0f},    {"1e-3", 1e-3f}, {"2E+2", 200.0f}, {".5", 0.5f},
      {"5.", 5.0f},    {" 7 ", 7.0f},   {"\t8\t", 8.0f}, {"-0", -0.0f},   {"0.1", 0.1f},    {"123456789", 123456789.0f},
      {"1e-50", 0.0f},
  };
  for (const auto& [text, expected] : cases) {
    const std::optional<float> value = parse_number(text);
    ASSERT_TRUE(value.has_value()) << quote_value(text);
    EXPECT_EQ(*value, expected) << quote_value(text);
  }
}

TEST(CsvNumber, RejectedForms) {
  for (const std::string text :
       {"", "   ", "1,5", "12abc", "0x10", "abc", "1 2", "+", "+-1", "++1", "1e", "--1", "e5", "1.2.3"}) {
    EXPECT_FALSE(parse_number(text).has_value()) << quote_value(text);
  }
}

TEST(CsvNumber, NanAndInfinityParse) {
  EXPECT_TRUE(std::isnan(*parse_number("nan")));
  EXPECT_EQ(*parse_number("inf"), std::numeric_limits<float>::infinity());
  EXPECT_EQ(*parse_number("-inf"), -std::numeric_limits<float>::infinity());
}

TEST(CsvNumber, BeyondFloatRangeIsInfinity) {
  EXPECT_EQ(*parse_number("1e39"), std::numeric_limits<float>::infinity());
  EXPECT_EQ(*parse_number("-1e400"), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(*parse_number("0.001e400"), std::numeric_limits<float>::infinity());
  EXPECT_EQ(*parse_number("1e99999999999999999999"), std::numeric_limits<float>::infinity());
}

TEST(CsvNumber, BelowDoubleRangeIsZero) {
  EXPECT_EQ(*parse_number("1e-400"), 0.0f);
  EXPECT_TRUE(std::signbit(*parse_number("-1e-400")));
  EXPECT_EQ(*parse_number("1000e-400"), 0.0f);
  EXPECT_EQ(*parse_number("0." + std::string(400, '0') + "1"), 0.0f);
  EXPECT_EQ(*parse_number("1e-99999999999999999999"), 0.0f);
}

// Needs a locale with a comma decimal separator. Where none is installed, one can be built with
// `localedef -i de_DE -f UTF-8 DIR/de_DE.UTF-8` and used by running the tests with LOCPATH=DIR.
TEST(CsvNumber, IgnoresProcessLocale) {
  const char* previous = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = previous != nullptr ? previous : "C";
  const char* comma_locale = nullptr;
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR.utf8"}) {
    if (std::setlocale(LC_NUMERIC, name) != nullptr) {
      comma_locale = name;
      break;
    }
  }
  if (comma_locale == nullptr) GTEST_SKIP() << "no locale with a comma decimal separator is installed";
  const std::string decimal_point = std::localeconv()->decimal_point;

  const std::optional<float> value = parse_number("1.5");
  const std::optional<float> comma = parse_number("1,5");
  std::setlocale(LC_NUMERIC, saved.c_str());
  EXPECT_EQ(decimal_point, ",") << comma_locale;
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(*value, 1.5f);
  EXPECT_FALSE(comma.has_value());
}

// ---- Column lookup ----

TEST(CsvColumn, FindsByName) {
  const CsvTable table = parse("a,b,c\n1,2,3\n");
  EXPECT_EQ(find_column(table, "b"), 1);
}

TEST(CsvColumn, FindsByOneBasedIndex) {
  const CsvTable table = parse("a,b,c\n1,2,3\n");
  EXPECT_EQ(find_column(table, "3"), 2);
}

TEST(CsvColumn, NameWinsOverIndex) {
  const CsvTable table = parse("2,1,x\n1,2,3\n", header_option(HeaderMode::present));
  EXPECT_EQ(find_column(table, "1"), 1);
}

TEST(CsvColumn, UnknownNameListsColumns) {
  const CsvTable table = parse("alpha,beta\n1,2\n");
  const Error error = error_from([&] { find_column(table, "gamma"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv"));
  EXPECT_THAT(error.what(), HasSubstr("'gamma' not found"));
  EXPECT_THAT(error.what(), HasSubstr("'alpha', 'beta'"));
  EXPECT_THAT(error.what(), HasSubstr("1-based column index"));
}

TEST(CsvColumn, SuggestsNameWithOtherCase) {
  const CsvTable table = parse("MEDV,RM\n1,2\n");
  const Error error = error_from([&] { find_column(table, "medv"); });
  EXPECT_THAT(error.what(), HasSubstr("'medv' not found"));
  EXPECT_THAT(error.what(), HasSubstr("did you mean 'MEDV'?"));
}

TEST(CsvColumn, LongNameListIsShortened) {
  std::string header;
  std::string row;
  for (int i = 0; i < 100; ++i) {
    if (i > 0) {
      header += ',';
      row += ',';
    }
    header += 'c';
    header += std::to_string(i);
    row += std::to_string(i);
  }
  const CsvTable table = parse(header + "\n" + row + "\n");
  const Error error = error_from([&] { find_column(table, "missing"); });
  EXPECT_THAT(error.what(), HasSubstr("(100 columns in all)"));
  EXPECT_THAT(error.what(), ::testing::Not(HasSubstr("'c99'")));
}

TEST(CsvColumn, IndexOutOfRange) {
  const CsvTable table = parse("a,b\n1,2\n");
  for (const char* index : {"0", "3", "99999999999999999999999"}) {
    const Error error = error_from([&] { find_column(table, index); });
    EXPECT_THAT(error.what(), HasSubstr("out of range")) << index;
    EXPECT_THAT(error.what(), HasSubstr("from 1 to 2")) << index;
  }
}

TEST(CsvColumn, DuplicateNameNeedsIndex) {
  const CsvTable table = parse("a,b,a\n1,2,3\n");
  const Error error = error_from([&] { find_column(table, "a"); });
  EXPECT_THAT(error.what(), HasSubstr("matches 2 columns (at positions 1, 3)"));
  EXPECT_THAT(error.what(), HasSubstr("1-based index"));
}

// ---- Conversion to a dataset ----

TEST(CsvDataset, DefaultTargetIsLastColumn) {
  const Dataset data = dataset_from("x1,x2,y\n1,2,3\n4,5,6\n");
  EXPECT_EQ(data.task, Task::regression);
  EXPECT_THAT(data.input_names, ElementsAre("x1", "x2"));
  EXPECT_THAT(data.target_names, ElementsAre("y"));
  ASSERT_EQ(data.inputs.rows(), 2);
  ASSERT_EQ(data.inputs.cols(), 2);
  EXPECT_EQ(data.inputs(1, 0), 4.0f);
  EXPECT_EQ(data.inputs(1, 1), 5.0f);
  ASSERT_EQ(data.targets.cols(), 1);
  EXPECT_EQ(data.targets(0, 0), 3.0f);
  EXPECT_EQ(data.targets(1, 0), 6.0f);
  EXPECT_TRUE(data.class_names.empty());
}

TEST(CsvDataset, FillsSourceAndLines) {
  const Dataset data = dataset_from("x,y\n\n1,2\n3,4\n");
  EXPECT_EQ(data.source, "test.csv");
  EXPECT_THAT(data.source_lines, ElementsAre(3, 4));
}

TEST(CsvDataset, TargetByName) {
  const Dataset data = dataset_from("y,x1,x2\n1,2,3\n", target_option("y"));
  EXPECT_THAT(data.input_names, ElementsAre("x1", "x2"));
  EXPECT_EQ(data.targets(0, 0), 1.0f);
  EXPECT_EQ(data.inputs(0, 0), 2.0f);
}

TEST(CsvDataset, TargetByIndex) {
  const Dataset data = dataset_from("a,b,c\n1,2,3\n", target_option("2"));
  EXPECT_THAT(data.target_names, ElementsAre("b"));
  EXPECT_THAT(data.input_names, ElementsAre("a", "c"));
  EXPECT_EQ(data.targets(0, 0), 2.0f);
}

TEST(CsvDataset, DropsColumns) {
  const Dataset data = dataset_from("id,name,x,y\n1,ann,2,3\n", drop_option({"id", "2"}));
  EXPECT_THAT(data.input_names, ElementsAre("x"));
  EXPECT_EQ(data.inputs.cols(), 1);
  EXPECT_EQ(data.inputs(0, 0), 2.0f);
}

TEST(CsvDataset, SpacesAroundNumbers) {
  const Dataset data = dataset_from("x,y\n  1.5 ,\t2 \n");
  EXPECT_EQ(data.inputs(0, 0), 1.5f);
  EXPECT_EQ(data.targets(0, 0), 2.0f);
}

TEST(CsvDataset, QuotedNumbers) {
  const Dataset data = dataset_from("x,y\n\"1.5\",\" 2\"\n");
  EXPECT_EQ(data.inputs(0, 0), 1.5f);
  EXPECT_EQ(data.targets(0, 0), 2.0f);
}

TEST(CsvDataset, WithoutTarget) {
  const Dataset data = dataset_from("a,b\n1,2\n3,4\n5,6\n", no_target_option());
  EXPECT_THAT(data.input_names, ElementsAre("a", "b"));
  EXPECT_TRUE(data.target_names.empty());
  EXPECT_EQ(data.inputs.rows(), 3);
  EXPECT_EQ(data.targets.rows(), 3);
  EXPECT_EQ(data.targets.cols(), 0);
}

TEST(CsvDataset, WithoutTargetKeepsTextCheck) {
  const Error error = error_from([] { dataset_from("a,b\n1,2\n3,cat\n", no_target_option()); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("'cat'"));
}

TEST(CsvDataset, TextTargetMeansClassification) {
  const Dataset data = dataset_from("x,kind\n1,dog\n2,cat\n3,dog\n4,ant\n");
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_THAT(data.class_names, ElementsAre("ant", "cat", "dog"));
  ASSERT_EQ(data.targets.cols(), 1);
  EXPECT_EQ(data.targets(0, 0), 2.0f);
  EXPECT_EQ(data.targets(1, 0), 1.0f);
  EXPECT_EQ(data.targets(2, 0), 2.0f);
  EXPECT_EQ(data.targets(3, 0), 0.0f);
}

TEST(CsvDataset, ClassNamesSortByByteOrder) {
  const Dataset data = dataset_from("x,kind\n1,b\n2,B\n3,a\n4,10\n");
  EXPECT_THAT(data.class_names, ElementsAre("10", "B", "a", "b"));
}

TEST(CsvDataset, NumericClassNamesSortNumerically) {
  const Dataset data = dataset_from("x,digit\n1,10\n2,9\n3,-1\n4,9\n", task_option(Task::classification));
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_THAT(data.class_names, ElementsAre("-1", "9", "10"));
  EXPECT_EQ(data.targets(0, 0), 2.0f);
  EXPECT_EQ(data.targets(1, 0), 1.0f);
  EXPECT_EQ(data.targets(2, 0), 0.0f);
  EXPECT_EQ(data.targets(3, 0), 1.0f);
}

TEST(CsvDataset, EqualNumericLabelsAreOneClass) {
  const Dataset data = dataset_from("x,digit\n1,1\n2,1.0\n3,2\n4,+1\n5,1e0\n6,2.00\n",
                                    task_option(Task::classification));
  EXPECT_THAT(data.class_names, ElementsAre("1", "2"));
  EXPECT_EQ(data.targets(0, 0), 0.0f);
  EXPECT_EQ(data.targets(1, 0), 0.0f);
  EXPECT_EQ(data.targets(2, 0), 1.0f);
  EXPECT_EQ(data.targets(3, 0), 0.0f);
  EXPECT_EQ(data.targets(4, 0), 0.0f);
  EXPECT_EQ(data.targets(5, 0), 1.0f);
}

TEST(CsvDataset, ClassNameIsFirstSpelling) {
  const Dataset data = dataset_from("x,digit\n1,1.0\n2,1\n3,0\n", task_option(Task::classification));
  EXPECT_THAT(data.class_names, ElementsAre("0", "1.0"));
}

TEST(CsvDataset, LargeNumericLabelsStayDistinct) {
  // 16777216 and 16777217 are one float but two doubles.
  const Dataset data = dataset_from("x,id\n1,16777216\n2,16777217\n", task_option(Task::classification));
  EXPECT_THAT(data.class_names, ElementsAre("16777216", "16777217"));
}

TEST(CsvDataset, QuotedLabelSpacesIgnored) {
  const Dataset data = dataset_from("x,kind\n1,a\n2,\" a\"\n3,\"b \"\n4,b\n");
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_THAT(data.class_names, ElementsAre("a", "b"));
  EXPECT_EQ(data.targets(1, 0), 0.0f);
  EXPECT_EQ(data.targets(2, 0), 1.0f);
}

TEST(CsvDataset, TextLabelsKeepCase) {
  const Dataset data = dataset_from("x,kind\n1,a\n2,A\n3,nan\n4,NaN\n");
  EXPECT_THAT(data.class_names, ElementsAre("A", "NaN", "a", "nan"));
}

// A file whose last column names each row, as the car name column of the auto-mpg data does.
std::string rows_with_name_column(int rows, int repeats) {
  std::string text = "mpg,weight,car name\n";
  for (int r = 0; r < rows; ++r) text += fmt::format("{},{},car {}\n", 20 + r % 7, 2000 + r, r / repeats);
  return text;
}

TEST(CsvDataset, NameColumnTargetIsRejected) {
  const Error error = error_from([] { dataset_from(rows_with_name_column(30, 1)); });
  EXPECT_THAT(error.what(), HasSubstr("target column 'car name' has 30 distinct labels in its 30 filled cells"));
  EXPECT_THAT(error.what(), HasSubstr("'car 0', 'car 1'"));
  EXPECT_THAT(error.what(), HasSubstr("choose the target with --target (columns: 'mpg', 'weight', 'car name')"));
  EXPECT_THAT(error.what(), HasSubstr("--drop 3"));
  EXPECT_THAT(error.what(), HasSubstr("--task classification"));
}

TEST(CsvDataset, NamedNameColumnTargetIsRejected) {
  const Error error = error_from([] { dataset_from(rows_with_name_column(30, 1), target_option("car name")); });
  EXPECT_THAT(error.what(), HasSubstr("30 distinct labels"));
  EXPECT_THAT(error.what(), HasSubstr("choose another target column with --target"));
  EXPECT_THAT(error.what(), Not(HasSubstr("--drop")));
}

TEST(CsvDataset, NameColumnTargetIsRejectedBeforeInputs) {
  // The missing weight would be reported first if the inputs were read before the target.
  std::string text = rows_with_name_column(30, 1);
  text.replace(text.find(",2003,"), 6, ",?,");
  const Error error = error_from([&] { dataset_from(text); });
  EXPECT_THAT(error.what(), HasSubstr("target column 'car name'"));
}

TEST(CsvDataset, DistinctNumbersWithMarkerAreNotNameColumn) {
  std::string text = "x,y\n";
  for (int r = 0; r < 30; ++r) text += fmt::format("{},{}.5\n", r, r);
  text += "30,?\n";
  const Error error = error_from([&] { dataset_from(text); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:32:4: missing value '?' in target column 'y'"));
}

TEST(CsvDataset, ForcedTaskAcceptsNameColumnTarget) {
  const Dataset data = dataset_from(rows_with_name_column(30, 1), task_option(Task::classification));
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_EQ(data.class_names.size(), 30u);
}

TEST(CsvDataset, ManyClassesWithRepeatsAreAccepted) {
  // 20 classes of two rows each: many classes, but not one per row.
  const Dataset data = dataset_from(rows_with_name_column(40, 2));
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_EQ(data.class_names.size(), 20u);
}

TEST(CsvDataset, FewUniqueClassesAreAccepted) {
  const Dataset data = dataset_from(rows_with_name_column(19, 1));
  EXPECT_EQ(data.class_names.size(), 19u);
}

TEST(ClassKey, NumbersAndText) {
  EXPECT_EQ(class_key("1"), "1");
  EXPECT_EQ(class_key("1.0"), "1");
  EXPECT_EQ(class_key(" +1.000 "), "1");
  EXPECT_EQ(class_key("1e0"), "1");
  EXPECT_EQ(class_key("-0"), "0");
  EXPECT_EQ(class_key("0.1"), "0.1");
  EXPECT_EQ(class_key("\tcat "), "cat");
  EXPECT_EQ(class_key("Cat"), "Cat");
  EXPECT_EQ(class_key("inf"), "inf");
  EXPECT_EQ(class_key("+-1"), "+-1");
  EXPECT_EQ(class_key("1,0"), "1,0");
}

TEST(ClassKey, KnownClassesMatchByKey) {
  const Dataset data = dataset_from("x,digit\n1,1.0\n2,2.0\n", task_option(Task::classification));
  EXPECT_NO_THROW(check_known_classes(data, {"1", "2"}, "fix"));
  const Error error = error_from([&] { check_known_classes(data, {"1", "3"}, "fix"); });
  EXPECT_THAT(error.what(), HasSubstr("class '2.0' was not seen in training"));
  EXPECT_EQ(error.where().line, 3);
}

TEST(CsvDataset, NumericTargetDefaultsToRegression) {
  const Dataset data = dataset_from("x,digit\n1,0\n2,1\n");
  EXPECT_EQ(data.task, Task::regression);
}

TEST(CsvDataset, TwoValueTargetIsClasses) {
  std::string text = "x,survived\n";
  for (int r = 0; r < 12; ++r) text += std::to_string(r) + "," + (r % 3 == 0 ? "1" : "0") + "\n";
  const Dataset data = dataset_from(text);
  EXPECT_EQ(data.task, Task::classification);
  EXPECT_THAT(data.class_names, ElementsAre("0", "1"));
  EXPECT_EQ(data.targets(0, 0), 1.0f);
  EXPECT_EQ(data.targets(1, 0), 0.0f);

  // A third value, fewer than 10 rows, or a task given makes it a regression.
  EXPECT_EQ(dataset_from(text + "12,0.5\n").task, Task::regression);
  EXPECT_EQ(dataset_from("x,y\n1,0\n2,1\n3,1\n").task, Task::regression);
  DatasetOptions options;
  options.task = Task::regression;
  EXPECT_EQ(to_dataset(parse(text), options).task, Task::regression);
}

TEST(CsvDataset, TaskNames) {
  EXPECT_STREQ(to_string(Task::regression), "regression");
  EXPECT_STREQ(to_string(Task::classification), "classification");
}

// ---- Conversion errors ----

TEST(CsvDataset, EmptyInputCell) {
  const Error error = error_from([] { dataset_from("a,b,y\n1,2,3\n4,,6\n"); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_EQ(error.where().column, 3);
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("empty cell in input column 'b'"));
  EXPECT_THAT(error.what(), HasSubstr("fill in a value"));
  EXPECT_THAT(error.what(), HasSubstr("--drop"));
}

TEST(CsvDataset, TextInputCell) {
  const Error error = error_from([] { dataset_from("a,b,y\n1,2,3\n4,12abc,6\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("cannot parse '12abc' as a number in input column 'b'"));
  EXPECT_THAT(error.what(), HasSubstr("fix the cell"));
}

TEST(CsvDataset, CommaDecimalInputCell) {
  const Error error = error_from([] { dataset_from("a;y\n1,5;3\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:2:1"));
  EXPECT_THAT(error.what(), HasSubstr("'1,5'"));
}

TEST(CsvDataset, NanInputCell) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\nNaN,3\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:1"));
  EXPECT_THAT(error.what(), HasSubstr("missing value 'NaN' in input column 'a'"));
  EXPECT_THAT(error.what(), HasSubstr("fill in a value or remove the row"));
}

TEST(CsvDataset, MissingMarkersNamedAsMissing) {
  for (const char* marker : {"NA", "n/a", "#N/A", "nan", "NULL", "None", "?", "-", "missing"}) {
    const std::string csv = std::string("a,b,y\n1,2,3\n4,") + marker + ",6\n";
    const Error error = error_from([&] { dataset_from(csv); });
    EXPECT_EQ(error.where().line, 3) << marker;
    EXPECT_EQ(error.where().column, 3) << marker;
    EXPECT_THAT(error.problem(), HasSubstr("missing value '" + std::string(marker) + "' in input column 'b'")) << marker;
    EXPECT_THAT(error.fix(), HasSubstr("--drop")) << marker;
  }
}

TEST(CsvDataset, MissingTargetIsNotStrayText) {
  const Error error = error_from([] { dataset_from("x,y\n1,2\n2,NA\n3,4\n4,5\n"); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.problem(), HasSubstr("missing value 'NA' in target column 'y'"));
  EXPECT_THAT(error.fix(), Not(HasSubstr("--task classification")));
}

// A name with spaces around it, as "-t 'a, b'" gives, finds the column named without them.
TEST(CsvDataset, TargetNameSpacesIgnored) {
  DatasetOptions options;
  options.targets = {"y1", " y2 "};
  const Dataset data = dataset_from("x,y1,y2\n1,2,3\n4,5,6\n", options);
  EXPECT_THAT(data.target_names, ElementsAre("y1", "y2"));
}

// Inputs and targets are read in separate passes. The error names the first bad cell in the file,
// whichever pass finds it.
TEST(CsvDataset, NamesFirstBadCellInFile) {
  Error error = error_from([] { dataset_from("a,b,y\n1,2,\n3,x,4\n5,6,7\n8,9,10\n"); });
  EXPECT_EQ(error.where().line, 2);
  EXPECT_EQ(error.where().column, 5);
  EXPECT_THAT(error.problem(), HasSubstr("empty cell in target column 'y'"));

  error = error_from([] { dataset_from("a,b,y\n1,3,1\n5,NA,4\n6,7,\n"); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.problem(), HasSubstr("missing value 'NA' in input column 'b'"));

  // In one line the target's column comes first.
  DatasetOptions first_column;
  first_column.targets = {"y"};
  error = error_from([&] { dataset_from("y,a\n1,2\n?,x\n3,4\n5,6\n", first_column); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_EQ(error.where().column, 1);
  EXPECT_THAT(error.problem(), HasSubstr("target column 'y'"));

  // An empty cell of a categorical column is read in its row too.
  error = error_from([] {
    dataset_from("color,x,y\nred,1,2\nblue,abc,3\n,4,5\nred,5,6\nblue,6,7\nred,7,8\nblue,8,9\nred,9,1\nred,1,2\n");
  });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.problem(), HasSubstr("'abc'"));

  // Several targets take part too.
  DatasetOptions several;
  several.targets = {"y1", "y2"};
  error = error_from([&] { dataset_from("a,y1,y2\n1,2,3\n4,5,\n,7,8\n", several); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.problem(), HasSubstr("empty cell in target column 'y2'"));
}

TEST(CsvDataset, ThousandsSeparatorExplained) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\n\"1,234\",3\n"); });
  EXPECT_EQ(error.where().line, 3);
  EXPECT_THAT(error.problem(), HasSubstr("'1,234'"));
  EXPECT_THAT(error.problem(), HasSubstr("without thousands separators"));
  EXPECT_THAT(error.fix(), HasSubstr("no thousands separators"));
}

TEST(CsvDataset, DecimalCommaFileFindsHeader) {
  // Without counting "0,5" as a number the header looked like data, and the error named 'x1'.
  const Error error = error_from([] { dataset_from("x1;x2;y\n0,5;1,25;2\n1,5;2;3,5\n"); });
  EXPECT_EQ(error.where().line, 2);
  EXPECT_EQ(error.where().column, 1);
  EXPECT_THAT(error.problem(), HasSubstr("'0,5' as a number in input column 'x1'"));
  EXPECT_THAT(error.problem(), HasSubstr("'.' as the decimal point"));
  EXPECT_THAT(error.fix(), HasSubstr("--decimal-comma"));
}

TEST(CsvDataset, CommaFileThousandsNoOptionHint) {
  const Error error = error_from([] { dataset_from("a,y\n\"1,234\",3\n2,4\n"); });
  EXPECT_THAT(error.fix(), Not(HasSubstr("--decimal-comma")));
}

CsvOptions decimal_comma_options() {
  CsvOptions options;
  options.decimal_comma = true;
  return options;
}

TEST(CsvDecimalComma, ReadsNumbers) {
  const CsvTable table = parse("x1;x2;y\n0,5;-1,25e1;2\n1,5;2;+3,5\n", decimal_comma_options());
  EXPECT_EQ(table.delimiter, ';');
  EXPECT_TRUE(table.has_header);
  const Dataset data = to_dataset(table, {});
  EXPECT_EQ(data.task, Task::regression);
  EXPECT_FLOAT_EQ(data.inputs(0, 0), 0.5f);
  EXPECT_FLOAT_EQ(data.inputs(0, 1), -12.5f);
  EXPECT_FLOAT_EQ(data.targets(1, 0), 3.5f);
}

TEST(CsvDecimalComma, LeavesTextAndSeparators) {
  const CsvTable table = parse("a\tb\tc\n1,2,3\t1.234,5\tx,5\n", decimal_comma_options());
  EXPECT_EQ(table.delimiter, '\t');
  EXPECT_THAT(table.rows.front(), ElementsAre("1,2,3", "1.234,5", "x,5"));
}

TEST(CsvDecimalComma, RejectsCommaDelimiter) {
  CsvOptions options = decimal_comma_options();
  options.delimiter = ',';
  const Error error = error_from([&] { parse("a,b\n1,2\n", options); });
  EXPECT_THAT(error.problem(), HasSubstr("cannot also be the decimal separator"));
  EXPECT_THAT(error.fix(), HasSubstr("';' or a tab"));
}

TEST(CsvDataset, DecimalCommaTargetIsNotClasses) {
  const Error error = error_from([] { dataset_from("x;y\n1;0,5\n2;1,5\n3;2,5\n"); });
  EXPECT_EQ(error.where().line, 2);
  EXPECT_THAT(error.problem(), HasSubstr("'0,5' as a number in target column 'y'"));
}

// A column of mostly text is categorical (categorical_columns_test.cpp), so its missing-value
// marker is reported as such.
TEST(CsvDataset, TextInputColumnMarkerLocated) {
  const Error error = error_from([] { dataset_from("color,x,y\nred,1,2\ngreen,2,3\n?,3,4\nblue,4,5\n"); });
  EXPECT_EQ(error.where().line, 4);
  EXPECT_THAT(error.problem(), HasSubstr("missing value '?' in categorical input column 'color'"));
  EXPECT_THAT(error.fix(), HasSubstr("--drop"));
}

TEST(CsvDataset, StrayTextKeepsCellMessage) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\n2,3\nabc,4\n"); });
  EXPECT_EQ(error.where().line, 4);
  EXPECT_THAT(error.problem(), HasSubstr("cannot parse 'abc' as a number in input column 'a'"));
}

TEST(CsvHeader, MissingMarkersDoNotHideHeader) {
  const CsvTable table = parse("a,b\n1,NA\n2,3\n");
  EXPECT_TRUE(table.has_header);
  const CsvTable data_first = parse("NA,1\n2,3\n");
  EXPECT_FALSE(data_first.has_header);
}

TEST(CsvDataset, HugeInputCell) {
  const Error error = error_from([] { dataset_from("a,y\n1e39,2\n"); });
  EXPECT_THAT(error.what(), HasSubstr("'1e39'"));
  EXPECT_THAT(error.what(), HasSubstr("float range"));
}

TEST(CsvDataset, InfinityTargetCell) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\n2,-inf\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("'-inf' in target column 'y' is not a finite number"));
}

TEST(CsvDataset, NanTargetCell) {
  const Error error = error_from([] { dataset_from("a,y\n1,nan\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:2:3"));
  EXPECT_THAT(error.what(), HasSubstr("target column 'y'"));
}

TEST(CsvDataset, EmptyRegressionTargetCell) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\n3,\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("empty cell in target column 'y'"));
  EXPECT_THAT(error.what(), HasSubstr("remove the row"));
}

TEST(CsvDataset, EmptyClassTargetCell) {
  const Error error = error_from([] { dataset_from("a,y\n1,cat\n3, \n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("empty cell in target column 'y'"));
  EXPECT_THAT(error.what(), HasSubstr("fill in the class"));
}

TEST(CsvDataset, TextTargetWithRegressionTask) {
  const Error error = error_from([] { dataset_from("a,y\n1,2\n3,cat\n", task_option(Task::regression)); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv:3:3"));
  EXPECT_THAT(error.what(), HasSubstr("cannot parse 'cat' as a number in target column 'y'"));
  EXPECT_THAT(error.what(), HasSubstr("--task classification"));
}

TEST(CsvDataset, UnknownTarget) {
  const Error error = error_from([] { dataset_from("a,b\n1,2\n", target_option("price")); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv"));
  EXPECT_THAT(error.what(), HasSubstr("target column 'price' not found"));
  EXPECT_THAT(error.what(), HasSubstr("'a', 'b'"));
}

TEST(CsvDataset, UnknownDropColumn) {
  const Error error = error_from([] { dataset_from("a,b,c\n1,2,3\n", drop_option({"z"})); });
  EXPECT_THAT(error.what(), HasSubstr("drop column 'z' not found"));
  EXPECT_THAT(error.what(), HasSubstr("'a', 'b', 'c'"));
}

TEST(CsvDataset, TargetAlsoDropped) {
  DatasetOptions options = target_option("b");
  options.drop = {"2"};
  const Error error = error_from([&] { dataset_from("a,b,c\n1,2,3\n", options); });
  EXPECT_THAT(error.what(), HasSubstr("column 'b' is both the target and in the list of dropped columns"));
  EXPECT_THAT(error.what(), HasSubstr("remove it from --drop"));
  EXPECT_THAT(error.what(), HasSubstr("--target"));
}

TEST(CsvDataset, NoInputColumnsLeft) {
  const Error error = error_from([] { dataset_from("a,b\n1,2\n", drop_option({"a"})); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv"));
  EXPECT_THAT(error.what(), HasSubstr("no input columns are left"));
  EXPECT_THAT(error.what(), HasSubstr("drop fewer columns"));
}

TEST(CsvDataset, SingleColumnHasNoInputs) {
  const Error error = error_from([] { dataset_from("y\n1\n2\n"); });
  EXPECT_THAT(error.what(), HasSubstr("no input columns are left"));
}

// Names end up in the model file's JSON, which must be UTF-8.
TEST(CsvDataset, NonUtf8NamesAreRejected) {
  const Error header = error_from([] { dataset_from("temp\xE9rature,y\n1,2\n"); });
  EXPECT_THAT(header.what(), HasSubstr("test.csv: the name of column 1 'temp"));
  EXPECT_THAT(header.what(), HasSubstr("is not valid UTF-8 (byte 0xE9 at offset 4)"));
  EXPECT_THAT(header.what(), HasSubstr("save the file as UTF-8"));

  const Error target = error_from([] { dataset_from("x,y\n1,ok\n2,caf\xE9\n"); });
  EXPECT_THAT(target.what(), HasSubstr("test.csv:3:3: class name 'caf"));
  EXPECT_THAT(target.what(), HasSubstr("byte 0xE9 at offset 3"));

  // Well-formed UTF-8, and a badly encoded name in a dropped column, are fine.
  const Dataset data = dataset_from("temp\xC3\xA9rature,note\xE9,y\n1,2,3\n", drop_option({"2"}));
  EXPECT_THAT(data.input_names, ElementsAre("temp\xC3\xA9rature"));
}

TEST(CsvDataset, TrailingDelimiterColumnIsNamed) {
  const Error error = error_from([] { dataset_from("a,b,y,\n1,2,3,\n4,5,6,\n"); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv: column 4 ('column_4') is empty in every row, as when every line ends "
                                      "with a delimiter"));
  EXPECT_THAT(error.what(), HasSubstr("remove the delimiter at the end of each line, or drop the column with --drop 4 "
                                      "and choose the target with --target"));
  DatasetOptions options = target_option("y");
  options.drop = {"4"};
  const Dataset dropped = dataset_from("a,b,y,\n1,2,3,\n4,5,6,\n", options);
  EXPECT_THAT(dropped.input_names, ElementsAre("a", "b"));
}

TEST(CsvDataset, WrongDelimiterSuggestsAnother) {
  const Error error = error_from([] { to_dataset(parse("a;b;y\n1;2;3\n", delimiter_option(',')), {}); });
  EXPECT_THAT(error.what(), HasSubstr("test.csv: the file was read as a single column (its first line is 'a;b;y')"));
  EXPECT_THAT(error.what(), HasSubstr("(the delimiter was ',')"));
  EXPECT_THAT(error.what(), HasSubstr("give --delimiter ';'"));
}

TEST(CsvDataset, DropsColumnsByPosition) {
  DatasetOptions options;
  // Both columns named 'n' go, though a drop by name would match two columns.
  options.drop_positions = {1, 2};
  const Dataset data = dataset_from("x,n,n,y\n1,2,3,4\n", options);
  EXPECT_THAT(data.input_names, ElementsAre("x"));
  EXPECT_EQ(data.inputs(0, 0), 1.0f);
}

// Parses about 10 MB of numbers. The time limit only catches work that grows faster than the
// file, and is generous so that sanitizer builds pass too.
TEST(CsvDataset, LargeFileParsesQuickly) {
  std::string text = "a,b,c,d,e,f,g,h,y\n";
  std::string row;
  for (int i = 0; text.size() < 10'000'000; ++i) {
    row.clear();
    for (int c = 0; c < 8; ++c) row += std::to_string(i % 1000) + "." + std::to_string((i * 7 + c) % 100000) + ",";
    row += std::to_string(i % 10) + "\n";
    text += row;
  }
  const auto start = std::chrono::steady_clock::now();
  const Dataset data = dataset_from(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(data.rows(), 80'000);
  EXPECT_EQ(data.inputs.cols(), 8);
  EXPECT_LT(seconds, 30.0);
  RecordProperty("parse_seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace protean
