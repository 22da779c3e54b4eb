#include "protean/data/csv.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <zlib.h>

#include "categorical_columns.hpp"
#include "missing_rows.hpp"
#include "protean/error.hpp"

namespace protean {

namespace {

// Delimiters tried by detection, in order of preference when two fit equally well.
constexpr char kCandidateDelimiters[] = {',', ';', '\t'};
constexpr std::size_t kDetectionRecords = 20;
constexpr std::size_t kHeaderSampleRows = 50;
constexpr std::size_t kMaxNamesInMessage = 30;

std::string describe_delimiter(char delimiter) {
  if (delimiter == '\t') return "tab";
  return fmt::format("'{}'", delimiter);
}

bool is_blank(char c, char delimiter) { return (c == ' ' || c == '\t') && c != delimiter; }

std::string_view trim_blanks(std::string_view text, char delimiter) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_blank(text[begin], delimiter)) ++begin;
  while (end > begin && is_blank(text[end - 1], delimiter)) --end;
  return text.substr(begin, end - begin);
}

std::int32_t clamp_column(std::size_t column) {
  return static_cast<std::int32_t>(std::min<std::size_t>(column, std::numeric_limits<std::int32_t>::max()));
}

// Splits CSV text into records, one call to next() per record. Tracks the 1-based line and the
// byte column of each field so that later errors can point at the cell.
class RecordScanner {
 public:
  RecordScanner(std::string_view text, const std::string& source, char delimiter)
      : text_(text), source_(source), delimiter_(delimiter) {}

  // Reads the next non-blank record. Returns false at the end of the text. Throws Error on an
  // unterminated quote or on text between a closing quote and the next delimiter.
  bool next(std::vector<std::string>& fields, std::vector<std::int32_t>& columns, std::int64_t& line) {
    skip_blank_lines();
    if (pos_ >= text_.size()) return false;

    fields.clear();
    columns.clear();
    line = line_;
    while (true) {
      columns.push_back(clamp_column(pos_ - line_start_ + 1));
      fields.push_back(read_field());
      if (pos_ >= text_.size()) return true;
      const char c = text_[pos_];
      if (c == delimiter_) {
        ++pos_;
        continue;
      }
      consume_line_end();
      return true;
    }
  }

 private:
  bool at_line_end(std::size_t p) const { return p >= text_.size() || text_[p] == '\n' || text_[p] == '\r'; }

  // Consumes "\n", "\r\n" or a lone "\r" at pos_ and starts a new line.
  void consume_line_end() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
    line_start_ = pos_;
  }

  void skip_blank_lines() {
    while (pos_ < text_.size()) {
      std::size_t p = pos_;
      while (p < text_.size() && is_blank(text_[p], delimiter_)) ++p;
      if (p >= text_.size()) {
        pos_ = p;
        return;
      }
      if (text_[p] != '\n' && text_[p] != '\r') return;
      pos_ = p;
      consume_line_end();
    }
  }

  std::string read_field() {
    std::size_t p = pos_;
    while (p < text_.size() && is_blank(text_[p], delimiter_)) ++p;
    if (p < text_.size() && text_[p] == '"') {
      pos_ = p;
      return read_quoted_field();
    }

    const std::size_t begin = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == delimiter_ || c == '\n' || c == '\r') break;
      ++pos_;
    }
    return std::string(trim_blanks(text_.substr(begin, pos_ - begin), delimiter_));
  }

  // Reads a field that starts with '"' at pos_. A doubled quote inside is one quote, and line
  // breaks inside are kept in the value and counted as lines.
  std::string read_quoted_field() {
    const std::int64_t open_line = line_;
    const std::size_t open_column = pos_ - line_start_ + 1;
    const std::size_t open_pos = pos_;
    std::string value;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size()) {
        throw Error(Location{source_, open_line, static_cast<std::int64_t>(open_column)},
                    fmt::format("quoted field {} is never closed", quote_value(text_.substr(open_pos, 41))),
                    "add the closing '\"', and write each '\"' inside a quoted field as '\"\"'");
      }
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          value += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      if (c == '\n' || c == '\r') {
        const std::size_t before = pos_;
        consume_line_end();
        value.append(text_.substr(before, pos_ - before));
        continue;
      }
      // Copy the run of ordinary characters in one step.
      const std::size_t run_end = text_.find_first_of("\"\r\n", pos_);
      const std::size_t stop = run_end == std::string_view::npos ? text_.size() : run_end;
      value.append(text_.substr(pos_, stop - pos_));
      pos_ = stop;
    }

    while (pos_ < text_.size() && is_blank(text_[pos_], delimiter_)) ++pos_;
    if (!at_line_end(pos_) && text_[pos_] != delimiter_) {
      const std::size_t line_end = std::min(text_.find_first_of("\r\n", pos_), text_.size());
      throw Error(Location{source_, line_, static_cast<std::int64_t>(pos_ - line_start_ + 1)},
                  fmt::format("unexpected text {} after the closing quote of a field",
                              quote_value(text_.substr(pos_, line_end - pos_))),
                  "quote the whole field and write each '\"' inside it as '\"\"'");
    }
    return value;
  }

  std::string_view text_;
  const std::string& source_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
  std::size_t line_start_ = 0;
};

// Picks the delimiter that splits the first records into the same number (> 1) of fields,
// preferring more fields, then the order of kCandidateDelimiters. Falls back to the candidate
// that splits the first record into the most fields, or ',' when none splits it. With
// `decimal_comma`, ',' is no candidate and ';' is the fallback.
char detect_delimiter(std::string_view text, const std::string& source, bool decimal_comma) {
  char best_consistent = '\0';
  std::size_t best_consistent_count = 0;
  char best_first = decimal_comma ? ';' : ',';
  std::size_t best_first_count = 1;

  std::vector<std::string> fields;
  std::vector<std::int32_t> columns;
  std::int64_t line = 0;
  for (char candidate : kCandidateDelimiters) {
    if (decimal_comma && candidate == ',') continue;
    RecordScanner scanner(text, source, candidate);
    std::vector<std::size_t> counts;
    try {
      while (counts.size() < kDetectionRecords && scanner.next(fields, columns, line)) {
        counts.push_back(fields.size());
      }
    } catch (const Error&) {
      // A quote error under this candidate counts against it; the real parse reports it.
      counts.push_back(0);
    }
    if (counts.empty()) continue;

    if (counts.front() > best_first_count) {
      best_first = candidate;
      best_first_count = counts.front();
    }
    const bool consistent =
        std::all_of(counts.begin(), counts.end(), [&](std::size_t n) { return n == counts.front(); });
    if (consistent && counts.front() > 1 && counts.front() > best_consistent_count) {
      best_consistent = candidate;
      best_consistent_count = counts.front();
    }
  }
  return best_consistent != '\0' ? best_consistent : best_first;
}

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// A file format recognized by its first bytes, so that the error message can name the format.
struct Signature {
  std::string_view magic;
  std::string_view what;
  std::string_view fix;
};

constexpr std::string_view kExportAsCsv = "export the sheet as CSV from the spreadsheet program (\"CSV UTF-8\" in Excel)";
constexpr Signature kSignatures[] = {
    {std::string_view("PK\x03\x04", 4), "a ZIP archive, such as an Excel .xlsx or OpenDocument .ods workbook", kExportAsCsv},
    {std::string_view("PK\x05\x06", 4), "an empty ZIP archive", "give a CSV file"},
    {std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8), "an Excel 97-2003 .xls workbook", kExportAsCsv},
    {std::string_view("\xFF\xFE\x00\x00", 4), "UTF-32 text",
     "convert it to UTF-8, for example with 'iconv -f UTF-32 -t UTF-8 FILE > FILE-utf8.csv'"},
    {std::string_view("\xFF\xFE", 2), "UTF-16 text (as Excel's \"Unicode Text\" export writes)",
     "convert it to UTF-8, for example with 'iconv -f UTF-16 -t UTF-8 FILE > FILE-utf8.csv', or save it as \"CSV UTF-8\""},
    {std::string_view("\xFE\xFF", 2), "UTF-16 text",
     "convert it to UTF-8, for example with 'iconv -f UTF-16 -t UTF-8 FILE > FILE-utf8.csv'"},
    {std::string_view("\xFD\x37\x7A\x58\x5A\x00", 6), "xz-compressed", "decompress it first, for example with unxz"},
    {std::string_view("\x28\xB5\x2F\xFD", 4), "zstd-compressed", "decompress it first, for example with unzstd"},
    {std::string_view("\x89HDF\r\n\x1A\n", 8), "an HDF5 file", "write the table as CSV"},
    {std::string_view("\x93NUMPY", 6), "a NumPy .npy array", "write the array as CSV, for example with numpy.savetxt"},
    {std::string_view("SQLite format 3\x00", 16), "an SQLite database", "export the table as CSV"},
    {"%PDF-", "a PDF document", "give the data as a CSV file"},
};

// bzip2 data: "BZh", the block size digit, then the first block's magic 0x314159265359.
bool looks_like_bzip2(std::string_view text) {
  return text.size() >= 10 && text.substr(0, 3) == "BZh" && text[3] >= '1' && text[3] <= '9' &&
         text.substr(4, 6) == "1AY&SY";
}

// An Apache Parquet file starts and ends with "PAR1".
bool looks_like_parquet(std::string_view text) {
  return text.size() >= 8 && text.substr(0, 4) == "PAR1" && text.substr(text.size() - 4) == "PAR1";
}

// The magic number of an IDX file (MNIST format): two zero bytes, the element type 0x08 for
// unsigned bytes, then 1 to 4 dimensions.
bool looks_like_idx(std::string_view text) {
  return text.size() >= 4 && text[0] == '\0' && text[1] == '\0' && text[2] == '\x08' && text[3] >= 1 && text[3] <= 4;
}

// A safetensors file (a Protean model or checkpoint) starts with its header's length as 8 bytes,
// little-endian, and then the JSON header itself.
bool looks_like_safetensors(std::string_view text) {
  return text.size() >= 9 && text[8] == '{' && text[6] == '\0' && text[7] == '\0';
}

// UTF-16 text without a byte order mark: ASCII characters leave a zero byte at every second
// offset, the odd ones in little-endian order. Returns "UTF-16LE" or "UTF-16BE" when nearly all
// bytes at one parity are zero and none at the other, else an empty view.
std::string_view utf16_order(std::string_view start) {
  std::size_t zeros[2] = {0, 0};
  for (std::size_t i = 0; i < start.size(); ++i) {
    if (start[i] == '\0') ++zeros[i % 2];
  }
  const std::size_t half = start.size() / 2;
  if (half < 4 || std::min(zeros[0], zeros[1]) != 0 || 10 * std::max(zeros[0], zeros[1]) < 9 * half) return {};
  return zeros[1] > 0 ? "UTF-16LE" : "UTF-16BE";
}

// Puts the file's name into a suggested conversion: "FILE > FILE-utf8.csv" becomes
// "data.csv > data-utf8.csv". The text of a gzip-compressed file reaches the command through
// gunzip, so "iconv ... FILE > FILE-utf8.csv" becomes
// "gunzip -c data.csv.gz | iconv ... > data-utf8.csv" for it.
std::string name_the_file(std::string_view fix, const std::string& source, bool gzipped) {
  constexpr std::string_view kPlaceholder = "FILE > FILE-utf8.csv";
  const std::size_t at = fix.find(kPlaceholder);
  if (at == std::string_view::npos) return std::string(fix);
  std::filesystem::path converted(source);
  if (gzipped && converted.extension() == ".gz") converted.replace_extension();
  converted.replace_extension();
  const std::string_view before = fix.substr(0, at);
  const std::string_view after = fix.substr(at + kPlaceholder.size());
  const std::size_t command = before.find("iconv ");
  if (!gzipped || command == std::string_view::npos) {
    return fmt::format("{}{} > {}-utf8.csv{}", before, source, converted.string(), after);
  }
  return fmt::format("{}gunzip -c {} | {}> {}-utf8.csv{}", before.substr(0, command), source, before.substr(command),
                     converted.string(), after);
}

// Rejects input that is clearly not CSV text, which would otherwise fail later with a confusing
// message about field counts. Files of well-known formats are named, and the fix explains how
// to get CSV text out of them. `gzipped` marks the text of a gzip-compressed file, which the
// messages then describe as decompressed.
void check_is_text(std::string_view text, const std::string& source, bool gzipped) {
  const std::string_view file = gzipped ? "the file, once decompressed," : "the file";
  if (is_gzip(text)) {
    if (gzipped) {
      std::filesystem::path decompressed(source);
      while (decompressed.extension() == ".gz") decompressed.replace_extension();
      if (decompressed.extension() != ".csv") decompressed += ".csv";
      throw Error(Location{source}, "the file is gzip-compressed twice, so its decompressed text is gzip data again",
                  fmt::format("decompress it twice, for example with 'gunzip -c {} | gunzip -c > {}'", source,
                              decompressed.string()));
    }
    throw Error(Location{source}, "the text is gzip-compressed, not CSV text",
                "decompress it first, for example with gunzip, or read the file with read_csv(), which decompresses it");
  }
  for (const Signature& signature : kSignatures) {
    if (text.substr(0, signature.magic.size()) == signature.magic) {
      throw Error(Location{source}, fmt::format("{} is {}, not CSV text", file, signature.what),
                  name_the_file(signature.fix, source, gzipped));
    }
  }
  if (looks_like_bzip2(text)) {
    throw Error(Location{source}, fmt::format("{} is bzip2-compressed, not CSV text", file),
                "decompress it first, for example with bunzip2");
  }
  if (looks_like_parquet(text)) {
    throw Error(Location{source}, fmt::format("{} is an Apache Parquet file, not CSV text", file),
                "write the table as CSV, for example with pandas' to_csv");
  }
  if (looks_like_idx(text)) {
    throw Error(Location{source}, fmt::format("{} is an IDX file (MNIST format), not CSV text", file),
                "give it as the images file with its labels file (protean fit IMAGES --labels LABELS)");
  }
  if (looks_like_safetensors(text)) {
    throw Error(Location{source}, fmt::format("{} is a safetensors file (a Protean model or checkpoint), not CSV data", file),
                "check the order of the arguments: the model file comes first, then the CSV data");
  }
  const std::string_view start = text.substr(0, 4096);
  if (const std::string_view order = utf16_order(start); !order.empty()) {
    throw Error(Location{source}, fmt::format("{} is {} text without a byte order mark, not UTF-8", file, order),
                name_the_file(fmt::format("convert it to UTF-8, for example with 'iconv -f {} -t UTF-8 FILE > FILE-utf8.csv'", order),
                              source, gzipped));
  }
  const std::size_t zero = start.find('\0');
  if (zero != std::string_view::npos) {
    throw Error(Location{source},
                fmt::format("{} contains a zero byte at offset {}, so it is binary, not CSV text", file, zero),
                "give a CSV file saved as plain text (UTF-8 or ASCII)");
  }
}

// Decompresses a gzip file (one member or several in a row, as `cat a.gz b.gz` makes). The
// first 64 KiB of output are checked to be text before the rest is inflated, so a compressed
// binary file is rejected without inflating all of it.
std::string gunzip(std::string_view compressed, const std::string& source) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    throw Error(Location{source}, "cannot start zlib to decompress the file", "decompress it first with gunzip");
  }

  // zlib's counters are 32-bit: feed the input in pieces.
  constexpr std::size_t kPiece = 1u << 30;
  std::string text;
  std::size_t consumed = 0;
  bool checked = false;
  char out[1 << 16];
  int status = Z_OK;
  const auto fail = [&](const std::string& problem) {
    inflateEnd(&stream);
    throw Error(Location{source}, problem,
                "check the file with 'gzip -t', or decompress it with gunzip and read the CSV file");
  };

  while (true) {
    if (stream.avail_in == 0 && consumed < compressed.size()) {
      const std::size_t piece = std::min(kPiece, compressed.size() - consumed);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + consumed));
      stream.avail_in = static_cast<uInt>(piece);
      consumed += piece;
    }

    stream.next_out = reinterpret_cast<Bytef*>(out);
    stream.avail_out = sizeof out;
    status = inflate(&stream, Z_NO_FLUSH);
    text.append(out, sizeof out - stream.avail_out);
    if (!checked && (text.size() >= sizeof out || status == Z_STREAM_END)) {
      checked = true;
      try {
        check_is_text(text, source, /*gzipped=*/true);
      } catch (...) {
        inflateEnd(&stream);
        throw;
      }
    }

    if (status == Z_STREAM_END) {
      const std::size_t left = stream.avail_in + (compressed.size() - consumed);
      if (left == 0) break;
      // Another gzip member follows; anything else after the first member is damage.
      const std::string_view rest = compressed.substr(compressed.size() - left);
      if (!is_gzip(rest)) fail(fmt::format("the file has {} bytes after the end of its gzip data", left));
      inflateReset(&stream);
      continue;
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0 && consumed == compressed.size()) {
      fail(fmt::format("the gzip data ends early, after {} bytes of text; the file is cut short", text.size()));
    }
    if (status != Z_OK && status != Z_BUF_ERROR) {
      fail(fmt::format("the gzip data is damaged ({}) after {} bytes of text", stream.msg != nullptr ? stream.msg : "zlib error",
                       text.size()));
    }
  }
  inflateEnd(&stream);
  return text;
}

void check_delimiter(const CsvOptions& options, const std::string& source) {
  const char delimiter = options.delimiter;
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r' || delimiter == ' ') {
    throw Error(Location{source}, fmt::format("invalid delimiter {}", quote_value(std::string_view(&delimiter, 1))),
                "use ',', ';' or a tab, or leave the delimiter unset to detect it");
  }
  if (options.decimal_comma && delimiter == ',') {
    throw Error(Location{source}, "the delimiter ',' cannot also be the decimal separator (--decimal-comma)",
                "use ';' or a tab as the delimiter, or leave the delimiter unset to detect it");
  }
}

// Rewrites every field that is a number with one decimal comma ("-0,5", "1,25e3") with a decimal
// point, so that the rest of the reader sees it as a number. Other fields stay as they are.
void convert_decimal_commas(std::vector<std::string>& fields) {
  for (std::string& field : fields) {
    const std::size_t comma = field.find(',');
    if (comma == std::string::npos || field.find(',', comma + 1) != std::string::npos) continue;
    if (field.find('.') != std::string::npos) continue;
    std::string converted = field;
    converted[comma] = '.';
    if (parse_number(converted)) field = std::move(converted);
  }
}

bool is_number(std::string_view text) { return parse_number(text).has_value(); }

bool has_text(std::string_view text) { return !trim_blanks(text, '\0').empty(); }

}  // namespace

bool is_missing_marker(std::string_view text) {
  text = trim_blanks(text, '\0');
  static constexpr std::string_view kMarkers[] = {"na", "n/a", "#n/a", "nan", "null", "none", "nil", "missing", "?", "-", "--"};
  for (const std::string_view marker : kMarkers) {
    if (text.size() != marker.size()) continue;
    const bool same = std::equal(text.begin(), text.end(), marker.begin(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == b;
    });
    if (same) return true;
  }
  return false;
}

namespace {

// Returns true for a number written with ',' as the decimal separator ("0,5") or as thousands
// separators ("1,234,567.5"), which parse_number() rejects.
bool is_comma_number(std::string_view text) {
  text = trim_blanks(text, '\0');
  if (text.find(',') == std::string_view::npos) return false;
  if (text.find_first_of("0123456789") == std::string_view::npos) return false;
  std::string without_commas;
  std::string comma_as_point;
  for (const char c : text) {
    if (c != ',') without_commas += c;
    comma_as_point += c == ',' ? '.' : c;
  }
  const bool one_comma = std::count(text.begin(), text.end(), ',') == 1 && text.find('.') == std::string_view::npos;
  return is_number(without_commas) || (one_comma && is_number(comma_as_point));
}

// Returns true for a cell that contains a value of a numeric column, even one parse_number() rejects:
// a number, a missing-value marker or a number with ','.
bool is_numeric_or_missing(std::string_view text) {
  return is_number(text) || is_missing_marker(text) || is_comma_number(text);
}

// Decides whether rows[0] is the header of a table without numbers, such as a file of categorical
// columns only (the mushroom data). Every field of such a header is filled and occurs nowhere else
// in its column among rows[1, sample_end), while some column repeats a value there, as categories
// do. A data row of such a file repeats categories of the rows after it, so it fails the test.
bool names_text_columns(const std::vector<std::vector<std::string>>& rows, std::size_t sample_end) {
  if (sample_end < 3) return false;
  bool some_column_repeats = false;
  for (std::size_t c = 0; c < rows.front().size(); ++c) {
    const std::string_view name = trim_blanks(rows.front()[c], '\0');
    if (name.empty() || is_missing_marker(name)) return false;
    std::unordered_set<std::string_view> seen;
    for (std::size_t r = 1; r < sample_end; ++r) {
      if (c >= rows[r].size()) continue;
      const std::string_view value = trim_blanks(rows[r][c], '\0');
      if (value == name) return false;
      if (!value.empty() && !seen.insert(value).second) some_column_repeats = true;
    }
  }
  return some_column_repeats;
}

// Decides whether rows[0] is a header: some field of it is text where its column contains numbers
// in the rows after it, or all its fields are text while the rows after it contain some number, or
// names_text_columns() finds it the header of a table without numbers. Empty fields count as
// neither text nor number, so a data row with a missing first value is not a header.
bool looks_like_header(const std::vector<std::vector<std::string>>& rows) {
  const std::vector<std::string>& first = rows.front();
  // Missing-value markers count as empty cells and numbers written with ',' as numbers, so that
  // neither hides the header of a file that contains them.
  const auto is_value = [](const std::string& field) { return has_text(field) && !is_missing_marker(field); };
  const auto is_header_number = [](const std::string& field) { return is_number(field) || is_comma_number(field); };
  bool all_text = false;
  for (const std::string& field : first) {
    if (!has_text(field)) continue;
    if (is_header_number(field)) {
      all_text = false;
      break;
    }
    all_text = true;
  }
  if (rows.size() == 1) return all_text;

  const std::size_t sample_end = std::min(rows.size(), kHeaderSampleRows + 1);
  bool sample_has_number = false;
  for (std::size_t c = 0; c < first.size(); ++c) {
    bool column_numeric = true;
    bool column_has_value = false;
    for (std::size_t r = 1; r < sample_end; ++r) {
      if (c >= rows[r].size() || !is_value(rows[r][c])) continue;
      if (is_header_number(rows[r][c])) {
        column_has_value = true;
        sample_has_number = true;
      } else {
        column_numeric = false;
      }
    }
    const bool header_cell_is_text = is_value(first[c]) && !is_header_number(first[c]);
    if (header_cell_is_text && column_numeric && column_has_value) return true;
  }
  if (all_text && !sample_has_number) return names_text_columns(rows, sample_end);
  return all_text;
}

void check_field_counts(const CsvTable& table, std::int64_t header_line) {
  const std::size_t expected = table.column_names.size();
  const std::string reference = table.has_header ? fmt::format("the header (line {})", header_line)
                                                 : fmt::format("the first row (line {})", header_line);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const std::size_t found = table.rows[r].size();
    if (found == expected) continue;

    // Point at the first extra field, or at the line when fields are missing.
    const std::int64_t column = found > expected ? table.row_columns[r][expected] : 0;
    throw Error(Location{table.source, table.row_lines[r], column},
                fmt::format("row has {} fields but {} has {}", found, reference, expected),
                fmt::format("every row needs {} fields separated by {}. Look for a missing or extra delimiter on this "
                            "line, quote fields that contain one, or set the delimiter with --delimiter",
                            expected, describe_delimiter(table.delimiter)));
  }
}

std::string list_column_names(const std::vector<std::string>& names) {
  std::string list;
  const std::size_t listed_count = std::min(names.size(), kMaxNamesInMessage);
  for (std::size_t i = 0; i < listed_count; ++i) {
    if (i > 0) list += ", ";
    list += quote_value(names[i]);
  }
  if (names.size() > listed_count) list += fmt::format(", ... ({} columns in all)", names.size());
  return list;
}

// Returns the one column name equal to `name` when case is ignored, or "" when none or several are.
std::string find_name_ignoring_case(const std::vector<std::string>& names, std::string_view name) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  std::string match;
  int count = 0;
  for (const std::string& candidate : names) {
    const bool equal =
        candidate.size() == name.size() && std::equal(candidate.begin(), candidate.end(), name.begin(),
                                                      [&](char a, char b) { return lower(a) == lower(b); });
    if (equal) {
      match = candidate;
      ++count;
    }
  }
  return count == 1 ? match : std::string();
}

// find_column with `role` ("target column", "drop column", "column") naming the request in the
// message.
Index find_column_for(const CsvTable& table, std::string_view name_or_index, std::string_view role) {
  const auto& names = table.column_names;
  Index found = -1;
  std::vector<Index> matches;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names[c] == name_or_index) matches.push_back(static_cast<Index>(c));
  }
  if (matches.size() == 1) return matches.front();
  if (matches.size() > 1) {
    std::string positions;
    for (Index c : matches) positions += fmt::format("{}{}", positions.empty() ? "" : ", ", c + 1);
    throw Error(Location{table.source},
                fmt::format("{} {} matches {} columns (at positions {})", role, quote_value(name_or_index),
                            matches.size(), positions),
                "give the column by its 1-based index instead of its name");
  }

  // A list such as "-t 'a, b'" gives the name " b". Without an exact match, the name is tried
  // without its surrounding spaces.
  const std::size_t first = name_or_index.find_first_not_of(" \t");
  const std::size_t last = name_or_index.find_last_not_of(" \t");
  if (first != std::string_view::npos && (first > 0 || last + 1 < name_or_index.size())) {
    return find_column_for(table, name_or_index.substr(first, last - first + 1), role);
  }

  const bool all_digits = !name_or_index.empty() && std::all_of(name_or_index.begin(), name_or_index.end(),
                                                                [](char c) { return c >= '0' && c <= '9'; });
  if (all_digits) {
    std::uint64_t index = 0;
    const auto [end, ec] = std::from_chars(name_or_index.data(), name_or_index.data() + name_or_index.size(), index);
    (void)end;
    if (ec == std::errc() && index >= 1 && index <= names.size()) found = static_cast<Index>(index - 1);
    if (found < 0) {
      throw Error(Location{table.source},
                  fmt::format("{} index {} is out of range because the file has {} columns ({})", role,
                              quote_value(name_or_index), names.size(), list_column_names(names)),
                  fmt::format("give an index from 1 to {}, or a column name", names.size()));
    }
    return found;
  }

  const std::string near_match = find_name_ignoring_case(names, name_or_index);
  throw Error(Location{table.source},
              fmt::format("{} {} not found (columns: {})", role, quote_value(name_or_index), list_column_names(names)),
              near_match.empty() ? "give a column name exactly as written in the header, or a 1-based column index"
                                 : fmt::format("names are case-sensitive: did you mean {}?", quote_value(near_match)));
}

// Returns the power of ten of the first nonzero digit of an unsigned decimal number that
// from_chars accepted: 2 for "123", -3 for "0.00123", 5 for "1e5", -1 for "0.5e0".
std::int64_t leading_digit_exponent(std::string_view number) {
  const std::size_t exponent_start = number.find_first_of("eE");
  const std::string_view mantissa = number.substr(0, exponent_start);
  std::int64_t exponent = 0;
  if (exponent_start != std::string_view::npos) {
    std::string_view digits = number.substr(exponent_start + 1);
    const bool negative = !digits.empty() && digits.front() == '-';
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
    (void)end;
    // An exponent too long for 64 bits decides the magnitude alone.
    if (ec == std::errc::result_out_of_range) exponent = std::numeric_limits<std::int64_t>::max() / 2;
    if (negative) exponent = -exponent;
  }

  const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
  const std::size_t first_nonzero = mantissa.find_first_of("123456789");
  // An all-zero mantissa is 0, which from_chars never reports as out of range.
  if (first_nonzero == std::string_view::npos) return 0;
  const auto place = static_cast<std::int64_t>(point) - static_cast<std::int64_t>(first_nonzero);
  const std::int64_t lead = place > 0 ? place - 1 : place;
  return lead + exponent;
}

}  // namespace

Location CsvTable::location(Index row, Index column) const {
  Location where{source};
  if (row < 0 || row >= row_count()) return where;
  where.line = row_lines[static_cast<std::size_t>(row)];
  const auto& columns = row_columns[static_cast<std::size_t>(row)];
  if (column >= 0 && column < static_cast<Index>(columns.size()))
    where.column = columns[static_cast<std::size_t>(column)];
  return where;
}

std::optional<float> parse_number(std::string_view text) {
  text = trim_blanks(text, '\0');
  if (text.empty()) return std::nullopt;

  // std::from_chars accepts a leading '-' but not '+', so skip one '+' that a sign may not follow.
  if (text.front() == '+') {
    text.remove_prefix(1);
    if (text.empty() || text.front() == '-' || text.front() == '+') return std::nullopt;
  }

  // Parsing as double first turns values beyond the float range into infinity (or zero) instead
  // of rejecting them as "not a number", so callers can report them as out of range.
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (stop != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `value` unchanged on overflow and underflow, so tell them apart by the
    // decimal exponent of the leading digit.
    const bool negative = text.front() == '-';
    if (negative) text.remove_prefix(1);
    if (leading_digit_exponent(text) < 0) return negative ? -0.0f : 0.0f;
    return negative ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  }
  if (ec != std::errc()) return std::nullopt;

  if (std::isfinite(value) && std::fabs(value) > static_cast<double>(std::numeric_limits<float>::max())) {
    return value < 0 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  }
  return static_cast<float>(value);
}

CsvTable parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark) text.remove_prefix(kByteOrderMark.size());
  check_is_text(text, source, /*gzipped=*/false);
  check_delimiter(options, source);

  CsvTable table;
  table.source = source;
  table.delimiter = options.delimiter != '\0' ? options.delimiter : detect_delimiter(text, source, options.decimal_comma);

  RecordScanner scanner(text, source, table.delimiter);
  std::vector<std::string> fields;
  std::vector<std::int32_t> columns;
  std::int64_t line = 0;
  while (scanner.next(fields, columns, line)) {
    if (options.decimal_comma) convert_decimal_commas(fields);
    table.rows.push_back(std::move(fields));
    table.row_columns.push_back(std::move(columns));
    table.row_lines.push_back(line);
    fields = {};
    columns = {};
  }
  if (table.rows.empty()) {
    throw Error(Location{source}, "the file contains no data (it is empty or has only blank lines)",
                "check that this is the file you meant to read");
  }

  switch (options.header) {
    case HeaderMode::present:
      table.has_header = true;
      break;
    case HeaderMode::absent:
      table.has_header = false;
      break;
    case HeaderMode::detect:
      table.has_header = looks_like_header(table.rows);
      break;
  }

  const std::int64_t first_line = table.row_lines.front();
  if (table.has_header) {
    table.column_names = std::move(table.rows.front());
    table.rows.erase(table.rows.begin());
    table.row_columns.erase(table.row_columns.begin());
    table.row_lines.erase(table.row_lines.begin());
    for (std::size_t c = 0; c < table.column_names.size(); ++c) {
      // A quoted name keeps its spaces as a field, but a name is looked up by its text, and a
      // stray space would make "x1 " another column than the model's or the option's "x1".
      std::string& name = table.column_names[c];
      name = std::string(trim_blanks(name, '\0'));
      if (name.empty()) name = fmt::format("column_{}", c + 1);
    }
    if (table.rows.empty()) {
      throw Error(Location{source, first_line}, "the file has a header but no data rows",
                  "add data rows below the header, or check that this is the file you meant to read");
    }
  } else {
    const std::size_t count = table.rows.front().size();
    table.column_names.reserve(count);
    for (std::size_t c = 0; c < count; ++c) table.column_names.push_back(fmt::format("column_{}", c + 1));
  }

  check_field_counts(table, first_line);
  return table;
}

CsvTable read_csv(const std::filesystem::path& path, const CsvOptions& options) {
  const std::string name = path.string();
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (!std::filesystem::exists(status)) {
    throw Error(Location{name}, "file not found", "check the path and the current directory");
  }
  if (std::filesystem::is_directory(status)) {
    throw Error(Location{name}, "is a directory, not a CSV file", "give the path of a CSV file");
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Location{name}, fmt::format("cannot open the file: {}", std::strerror(errno)),
                "check that the file is readable by this user");
  }
  std::string text;
  std::error_code size_error;
  const auto size = std::filesystem::file_size(path, size_error);
  if (!size_error) text.reserve(static_cast<std::size_t>(size));
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    throw Error(Location{name}, fmt::format("failed to read the file: {}", std::strerror(errno)),
                "check that the file is readable and not being written to");
  }
  if (is_gzip(text)) text = gunzip(text, name);
  return parse_csv(text, name, options);
}

Index find_column(const CsvTable& table, std::string_view name_or_index) {
  return find_column_for(table, name_or_index, "column");
}

namespace {

struct ColumnRoles {
  std::vector<Index> targets;  // empty without a target; more than one for multi-output regression
  std::vector<Index> inputs;

  bool is_target(Index column) const { return std::find(targets.begin(), targets.end(), column) != targets.end(); }
};

// Reports a file read as one column, which leaves no inputs beside the target. A first line that
// contains another delimiter usually means the delimiter was given or detected wrongly.
[[noreturn]] void throw_single_column(const CsvTable& table) {
  const std::string& first_line =
      table.has_header || table.rows.empty() ? table.column_names.front() : table.rows.front().front();
  const std::string problem =
      fmt::format("the file was read as a single column (its first line is {}), so no input columns are left beside "
                  "the target",
                  quote_value(first_line));
  for (const char other : {',', ';', '\t'}) {
    if (other == table.delimiter || first_line.find(other) == std::string::npos) continue;
    const std::string option = other == '\t' ? std::string("tab") : std::string(1, other);
    throw Error(Location{table.source},
                fmt::format("{} (the delimiter was '{}')", problem, table.delimiter == '\t' ? "tab" : std::string(1, table.delimiter)),
                fmt::format("the first line contains {}: give --delimiter {}, or leave --delimiter out to detect it",
                            other == '\t' ? std::string("a tab") : quote_value(std::string(1, other)), quote_value(option)));
  }
  throw Error(Location{table.source}, problem, "add input columns to the file");
}

// Finds the target columns of `options`: the last column by default, else each one named in
// `target` or `targets`. Throws when both are given or when two entries name one column.
std::vector<Index> find_target_columns(const CsvTable& table, const DatasetOptions& options) {
  if (!options.target.empty() && !options.targets.empty()) {
    throw Error(Location{table.source},
                fmt::format("the target column is given twice: as {} and as a list of {} columns", quote_value(options.target),
                            options.targets.size()),
                "set DatasetOptions::target or DatasetOptions::targets, not both");
  }
  if (options.targets.empty()) {
    return {options.target.empty() ? table.column_count() - 1 : find_column_for(table, options.target, "target column")};
  }

  std::vector<Index> columns;
  for (std::size_t k = 0; k < options.targets.size(); ++k) {
    const std::string& requested = options.targets[k];
    const Index column = find_column_for(table, requested, "target column");
    const auto earlier = std::find(columns.begin(), columns.end(), column);
    if (earlier != columns.end()) {
      const std::string& first = options.targets[static_cast<std::size_t>(earlier - columns.begin())];
      const std::string& name = table.column_names[static_cast<std::size_t>(column)];
      const std::string repetition =
          first == requested ? "twice" : fmt::format("twice, as {} and as {}", quote_value(first), quote_value(requested));
      throw Error(Location{table.source},
                  fmt::format("target column {} (column {}) is given {}", quote_value(name), column + 1, repetition),
                  "give each target column once in --target");
    }
    columns.push_back(column);
  }
  return columns;
}

// Several targets are fitted as a regression with one output per column. Multi-label
// classification would need one loss per column and per-column class lists, which the model
// does not have.
void reject_classification_of_several_targets(const CsvTable& table, const DatasetOptions& options,
                                              const std::vector<Index>& targets) {
  if (targets.size() < 2 || options.task != Task::classification) return;
  std::vector<std::string> names;
  for (const Index column : targets) names.push_back(quote_value(table.column_names[static_cast<std::size_t>(column)]));
  throw Error(Location{table.source},
              fmt::format("classification takes one target column, but {} were given ({}); multi-label classification "
                          "is not supported",
                          targets.size(), fmt::join(names, ", ")),
              "give one target column with --target to classify it, or leave out --task classification to fit the "
              "columns as numbers, one regression output per column");
}

ColumnRoles assign_columns(const CsvTable& table, const DatasetOptions& options) {
  ColumnRoles roles;
  if (options.has_target) {
    roles.targets = find_target_columns(table, options);
    reject_classification_of_several_targets(table, options, roles.targets);
  }
  const bool several_targets = roles.targets.size() > 1;

  std::vector<bool> dropped(static_cast<std::size_t>(table.column_count()), false);
  for (const std::string& name : options.drop) {
    const Index column = find_column_for(table, name, "drop column");
    if (roles.is_target(column)) {
      throw Error(Location{table.source},
                  fmt::format("column {} is both {} and in the list of dropped columns",
                              quote_value(table.column_names[static_cast<std::size_t>(column)]),
                              several_targets ? "a target" : "the target"),
                  several_targets ? "remove it from --drop or from --target"
                                  : "remove it from --drop, or choose another target column with --target");
    }
    dropped[static_cast<std::size_t>(column)] = true;
  }
  for (const Index column : options.drop_positions) {
    if (column < 0 || column >= table.column_count() || roles.is_target(column)) {
      throw Error(Location{table.source}, fmt::format("invalid drop position {} in a file of {} columns", column + 1, table.column_count()),
                  "drop only columns that the file has and that are not the target");
    }
    dropped[static_cast<std::size_t>(column)] = true;
  }

  for (Index c = 0; c < table.column_count(); ++c) {
    if (!roles.is_target(c) && !dropped[static_cast<std::size_t>(c)]) roles.inputs.push_back(c);
  }
  if (roles.inputs.empty() && table.column_count() == 1) throw_single_column(table);
  if (roles.inputs.empty()) {
    const auto dropped_count = std::count(dropped.begin(), dropped.end(), true);
    const std::string used_as_targets =
        roles.targets.empty()        ? std::string()
        : roles.targets.size() == 1 ? std::string(" and 1 used as the target")
                                    : fmt::format(" and {} used as targets", roles.targets.size());
    throw Error(Location{table.source},
                fmt::format("no input columns are left: the file has {} columns, {} dropped{}", table.column_count(),
                            dropped_count, used_as_targets),
                "drop fewer columns, or add input columns to the file");
  }
  return roles;
}

// Hints appended to the fix of a cell error: `any_error` to every error, `not_a_number` only when
// the cell contains text that is not a number. `text_column`, when not empty, is the whole fix for
// a column that contains more text than numbers.
struct CellHints {
  std::string_view any_error;
  std::string_view not_a_number;
  std::string_view text_column;
  std::string_view missing;  // added to the fix of an empty cell or a missing-value marker
};

// Counts the cells of a column that contain text other than a number, a number with ',' or a
// missing-value marker, and the cells that are not empty.
struct TextCount {
  Index text = 0;
  Index filled = 0;
};

TextCount count_text_cells(const CsvTable& table, Index column) {
  TextCount count;
  for (const auto& row : table.rows) {
    const std::string& cell = row[static_cast<std::size_t>(column)];
    if (!has_text(cell)) continue;
    ++count.filled;
    if (!is_numeric_or_missing(cell)) ++count.text;
  }
  return count;
}

// Throws the error for a cell that parse_number() rejects, which names the cause: a number written
// with ',', a column of text (categories, names) or one stray text cell.
[[noreturn]] void throw_not_a_number(const CsvTable& table, Index row, Index column, std::string_view role,
                                     CellHints hints) {
  const std::string& cell = table.rows[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)];
  const std::string& name = table.column_names[static_cast<std::size_t>(column)];
  const Location where = table.location(row, column);
  if (is_comma_number(cell)) {
    // In a file delimited by ';' or tab, a comma in a number is most likely a decimal comma.
    const bool can_use_option = table.delimiter != ',';
    throw Error(where,
                fmt::format("cannot parse {} as a number in {} column {}: numbers are read with '.' as the decimal "
                            "point and without thousands separators",
                            quote_value(cell), role, quote_value(name)),
                fmt::format("{}save the file with '.' as the decimal separator and no thousands separators (1234.5, "
                            "not '1,234.5'; 0.5, not '0,5'){}",
                            can_use_option ? "give --decimal-comma if every number in the file uses a decimal comma, or "
                                           : "",
                            hints.any_error));
  }
  const TextCount count = count_text_cells(table, column);
  if (!hints.text_column.empty() && 2 * count.text > count.filled) {
    throw Error(where,
                fmt::format("{} column {} contains text such as {} in {} of its {} filled cells, and {} columns must be "
                            "numbers",
                            role, quote_value(name), quote_value(cell), count.text, count.filled, role),
                fmt::format(fmt::runtime(hints.text_column), column + 1));
  }
  throw Error(where, fmt::format("cannot parse {} as a number in {} column {}", quote_value(cell), role, quote_value(name)),
              fmt::format("fix the cell{}{}", hints.any_error, hints.not_a_number));
}

// Reads one cell that must hold a finite number; `role` is "input" or "target".
float read_finite_cell(const CsvTable& table, Index row, Index column, std::string_view role, CellHints hints) {
  const std::string& cell = table.rows[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)];
  const std::string& name = table.column_names[static_cast<std::size_t>(column)];
  if (!has_text(cell)) {
    throw Error(table.location(row, column), fmt::format("empty cell in {} column {}", role, quote_value(name)),
                fmt::format("fill in a value or remove the row{}{}", hints.missing, hints.any_error));
  }
  if (is_missing_marker(cell)) {
    throw Error(table.location(row, column),
                fmt::format("missing value {} in {} column {} (missing values are not imputed)", quote_value(cell), role,
                            quote_value(name)),
                fmt::format("fill in a value or remove the row{}{}", hints.missing, hints.any_error));
  }
  const std::optional<float> value = parse_number(cell);
  if (!value) throw_not_a_number(table, row, column, role, hints);
  if (!std::isfinite(*value)) {
    throw Error(table.location(row, column),
                fmt::format("{} in {} column {} is not a finite number (NaN, infinity, or beyond the float range "
                            "of about 3.4e38)",
                            quote_value(cell), role, quote_value(name)),
                fmt::format("replace it with a finite value or remove the row{}", hints.any_error));
  }
  return *value;
}

// Minimum count of rows with a number before a column of two values is read as two classes,
// because two values in a few rows tell little about what the column is.
constexpr Index kMinTwoValueRows = 10;

// True when the finite numbers of a column, in at least kMinTwoValueRows rows, take exactly two
// values, as a 0/1 label such as titanic's Survived does. Such a target is a label far more often
// than a measurement, and as a regression it would predict values like 0.3 or 1.1 and be scored
// by r2 instead of accuracy.
bool has_two_values(const CsvTable& table, Index column) {
  std::optional<float> first, second;
  Index numbers = 0;
  for (const auto& row : table.rows) {
    const std::optional<float> value = parse_number(row[static_cast<std::size_t>(column)]);
    if (!value || !std::isfinite(*value)) continue;
    ++numbers;
    if (value == first || value == second) continue;
    if (!first) {
      first = value;
    } else if (!second) {
      second = value;
    } else {
      return false;
    }
  }
  return second.has_value() && numbers >= kMinTwoValueRows;
}

bool target_is_numeric(const CsvTable& table, Index target) {
  for (const auto& row : table.rows) {
    const std::string& cell = row[static_cast<std::size_t>(target)];
    if (has_text(cell) && !is_number(cell)) return false;
  }
  return true;
}

// A target column of numbers with a few text cells is far more often a data error than a set of
// class labels, so automatic task detection stops there instead of training a classifier with
// one class per distinct number. Throws when numbers fill more than half the column.
void reject_stray_target_text(const CsvTable& table, Index target, const std::string& missing_hint) {
  Index numbers = 0;  // cells that are numbers, numbers written with ',' or missing-value markers
  Index first_text = -1;
  for (Index r = 0; r < table.row_count(); ++r) {
    const std::string& cell = table.rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(target)];
    if (is_number(cell)) {
      ++numbers;
      continue;
    }
    if (!has_text(cell)) continue;
    if (is_numeric_or_missing(cell)) ++numbers;
    if (first_text < 0) first_text = r;
  }
  if (first_text < 0 || 2 * numbers <= table.row_count()) return;

  const std::string& name = table.column_names[static_cast<std::size_t>(target)];
  const std::string& cell = table.rows[static_cast<std::size_t>(first_text)][static_cast<std::size_t>(target)];
  if (is_missing_marker(cell)) {
    throw Error(table.location(first_text, target),
                fmt::format("missing value {} in target column {} (missing values are not imputed)", quote_value(cell),
                            quote_value(name)),
                "fill in the target value or remove the row" + missing_hint);
  }
  if (is_comma_number(cell)) throw_not_a_number(table, first_text, target, "target", CellHints{});
  throw Error(table.location(first_text, target),
              fmt::format("target column '{}' holds numbers except {}", name, quote_value(cell)),
              "fix that cell, or pass --task classification if the column holds class labels");
}

// Rejects a target column of text with about one label per row, such as a name, an id or the
// car names in the last column of the auto-mpg data. A classifier with a class per row cannot
// predict a new row, so automatic task detection stops there. The limits are those that keep
// such a column from becoming a categorical input.
void reject_id_like_target(const CsvTable& table, Index target, const DatasetOptions& options) {
  // A column of numbers with a few text cells or missing-value markers is left to
  // reject_stray_target_text(), which names the first such cell.
  if (!detail::column_is_mostly_text(table, target)) return;
  std::unordered_set<std::string> keys;
  std::vector<std::string> labels;
  Index filled = 0;
  for (const auto& row : table.rows) {
    const std::string& cell = row[static_cast<std::size_t>(target)];
    if (!has_text(cell)) continue;
    ++filled;
    if (keys.insert(class_key(cell)).second) labels.emplace_back(trim_blanks(cell, '\0'));
  }
  const auto count = static_cast<Index>(labels.size());
  if (count < detail::kMinIdLikeCategories || 2 * count <= filled) return;

  const std::string& name = table.column_names[static_cast<std::size_t>(target)];
  const std::string problem = fmt::format(
      "target column {} has {} distinct labels in its {} filled cells ({}), so it looks like a name, an id or free "
      "text rather than class labels: a classifier would learn one class per row",
      quote_value(name), count, filled, list_categories(InputColumn{name, labels}, 5));
  const bool defaulted = options.target.empty() && options.targets.empty();
  const std::string fix =
      defaulted ? fmt::format("the target is the last column unless --target names another: choose the target with "
                              "--target (columns: {}) and leave this column out with --drop {}, or give --task "
                              "classification to fit one class per label anyway",
                              list_column_names(table.column_names), target + 1)
                : "choose another target column with --target, or give --task classification to fit one class per "
                  "label anyway";
  throw Error(Location{table.source}, problem, fix);
}

// Sorts class names numerically when every name is a number (so "10" follows "9"), else by
// byte order. The names are distinct classes, so no two of them are equal numbers.
void sort_class_names(std::vector<std::string>& names) {
  std::vector<std::pair<double, std::string>> keyed;
  keyed.reserve(names.size());
  for (std::string& name : names) {
    const std::string key = class_key(name);
    double value = 0.0;
    const char* last = key.data() + key.size();
    const auto [stop, error] = std::from_chars(key.data(), last, value, std::chars_format::general);
    if (error != std::errc() || stop != last || !std::isfinite(value)) {
      std::sort(names.begin(), names.end());
      return;
    }
    keyed.emplace_back(value, name);
  }
  std::sort(keyed.begin(), keyed.end());
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = std::move(keyed[i].second);
}

// Returns the offset of the first byte of `text` that does not begin a well-formed UTF-8 sequence
// (no overlong forms, surrogates or code points above U+10FFFF), or npos when there is none.
std::size_t find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead < 0x80) {
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      const unsigned char min = k == 1 ? low : 0x80, max = k == 1 ? high : 0xBF;
      if (byte < min || byte > max) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

// The model file stores column and class names as JSON text, which must be UTF-8, so a name in
// another encoding (Latin-1, for example) is rejected here with its place instead of failing the
// save after training. `where` names the cell or column that contains `name`, and `description`
// says which name it is ("class name", "the name of column 3").
void check_utf8_name(const std::string& name, const Location& where, std::string_view description) {
  const std::size_t bad = find_invalid_utf8(name);
  if (bad == std::string_view::npos) return;
  throw Error(where,
              fmt::format("{} {} is not valid UTF-8 (byte 0x{:02X} at offset {})", description, quote_value(name),
                          static_cast<unsigned char>(name[bad]), bad),
              "save the file as UTF-8, for example with 'iconv -f latin1 -t utf-8', or rename the column or class");
}

// Gives each row the id of its class. Labels with the same class_key() are one class, named as
// its first row writes it without surrounding spaces, so "1" and "1.0" or "a" and " a" (quoted)
// do not become two classes.
void fill_class_targets(const CsvTable& table, Index target, const std::string& missing_hint, Dataset& data) {
  std::unordered_map<std::string, Index> first_ids;  // class_key() to the id in order of first appearance
  std::vector<Index> row_ids(static_cast<std::size_t>(table.row_count()));
  std::vector<std::string> names;
  for (Index r = 0; r < table.row_count(); ++r) {
    const std::string& cell = table.rows[static_cast<std::size_t>(r)][static_cast<std::size_t>(target)];
    if (!has_text(cell)) {
      throw Error(table.location(r, target),
                  fmt::format("empty cell in target column {}",
                              quote_value(table.column_names[static_cast<std::size_t>(target)])),
                  "fill in the class of this row or remove the row" + missing_hint);
    }
    const auto [it, inserted] = first_ids.try_emplace(class_key(cell), static_cast<Index>(names.size()));
    if (inserted) {
      const std::string name(trim_blanks(cell, '\0'));
      check_utf8_name(name, table.location(r, target), "class name");
      names.push_back(name);
    }
    row_ids[static_cast<std::size_t>(r)] = it->second;
  }

  sort_class_names(names);
  // Row ids so far are in order of first appearance; map them to ids in sorted order.
  std::vector<Index> sorted_id(names.size());
  for (std::size_t id = 0; id < names.size(); ++id) {
    sorted_id[static_cast<std::size_t>(first_ids.at(class_key(names[id])))] = static_cast<Index>(id);
  }

  data.targets = Matrix::zeros(table.row_count(), 1);
  for (Index r = 0; r < table.row_count(); ++r) {
    const Index first_id = row_ids[static_cast<std::size_t>(r)];
    data.targets(r, 0) = static_cast<float>(sorted_id[static_cast<std::size_t>(first_id)]);
  }
  data.class_names = std::move(names);
}

}  // namespace

namespace {

// Rejects a used column without a single value in two or more rows, which a delimiter at the end
// of every line (a common spreadsheet export) creates. The first empty cell would otherwise be
// reported as if one value were missing. A single row keeps the message about its cell.
void reject_empty_column(const CsvTable& table, Index column, const DatasetOptions& options) {
  if (table.row_count() < 2) return;
  for (const auto& row : table.rows) {
    if (has_text(row[static_cast<std::size_t>(column)])) return;
  }
  const bool last = column == table.column_count() - 1;
  const std::string fix =
      options.inputs_can_be_dropped
          ? fmt::format("{}drop the column with --drop {}{}", last ? "remove the delimiter at the end of each line, or " : "",
                        column + 1,
                        options.has_target && options.target.empty() && options.targets.empty()
                            ? " and choose the target with --target"
                            : "")
          : std::string(last ? "remove the delimiter at the end of each line" : "fill in the column's values");
  throw Error(Location{table.source},
              fmt::format("column {} ({}) is empty in every row{}", column + 1,
                          quote_value(table.column_names[static_cast<std::size_t>(column)]),
                          last ? ", as when every line ends with a delimiter" : ""),
              fix);
}

// Reads two or more target columns as numbers for a regression with one output per column.
// There is no task detection: a text cell is an error, since class labels in several columns
// (multi-label classification) are not supported.
void read_several_targets(const CsvTable& table, const std::vector<Index>& targets, const DatasetOptions& options,
                          Dataset& data) {
  // Where a trained model fixes the columns, --target is no choice left to suggest.
  CellHints hints =
      options.task_can_be_set
          ? CellHints{"", "; every target column of a fit with several targets must contain numbers",
                      "several target columns are fitted as numbers, one regression output each, and multi-label "
                      "classification is not supported: remove column {} from --target, or fit its class labels "
                      "alone with --target", ""}
          : CellHints{"; the model needs every value of its target columns", "", "", ""};
  const std::string missing_hint = detail::missing_rows_hint(options);
  hints.missing = missing_hint;
  data.task = Task::regression;
  data.targets = Matrix::zeros(table.row_count(), static_cast<Index>(targets.size()));
  for (Index r = 0; r < table.row_count(); ++r) {
    float* out = data.targets.row(r);
    for (std::size_t t = 0; t < targets.size(); ++t) out[t] = read_finite_cell(table, r, targets[t], "target", hints);
  }
}

}  // namespace

namespace {

// Returns the encoding of the input columns in table order: options.encoding when given, else
// one where the columns named by options.categorical and those of mostly text are categorical.
InputEncoding encode_input_columns(const CsvTable& table, const ColumnRoles& roles, const DatasetOptions& options) {
  const auto input_count = roles.inputs.size();
  if (options.encoding) {
    if (!options.categorical.empty()) {
      throw Error(Location{table.source}, "DatasetOptions::categorical is set together with an encoding",
                  "leave categorical empty when an encoding fixes which columns are categorical");
    }
    if (static_cast<std::size_t>(options.encoding->column_count()) != input_count) {
      std::vector<std::string> names;
      for (const Index c : roles.inputs) names.push_back(table.column_names[static_cast<std::size_t>(c)]);
      throw Error(Location{table.source},
                  fmt::format("the data has {} input columns ({}) but the model was trained on {} ({})", input_count,
                              list_column_names(names), options.encoding->column_count(),
                              list_column_names(options.encoding->column_names())),
                  "give the input columns the model was trained on");
    }
    return *options.encoding;
  }

  std::vector<bool> forced(static_cast<std::size_t>(table.column_count()), false);
  for (const std::string& name : options.categorical) {
    const Index column = find_column_for(table, name, "categorical column");
    const std::string quoted = quote_value(table.column_names[static_cast<std::size_t>(column)]);
    if (roles.is_target(column)) {
      throw Error(Location{table.source},
                  fmt::format("column {} is a target, and --categorical applies to input columns only", quoted),
                  "remove it from --categorical; to read a target of numbers as class labels, give --task "
                  "classification");
    }
    if (std::find(roles.inputs.begin(), roles.inputs.end(), column) == roles.inputs.end()) {
      throw Error(Location{table.source}, fmt::format("column {} is both dropped and in --categorical", quoted),
                  "remove it from --drop or from --categorical");
    }
    forced[static_cast<std::size_t>(column)] = true;
  }

  std::vector<InputColumn> columns;
  columns.reserve(input_count);
  for (const Index column : roles.inputs) {
    const bool is_forced = forced[static_cast<std::size_t>(column)];
    if (is_forced || detail::column_is_mostly_text(table, column)) {
      columns.push_back(detail::collect_categories(table, column, is_forced));
    } else {
      columns.push_back(InputColumn{table.column_names[static_cast<std::size_t>(column)], {}});
    }
  }
  return InputEncoding(std::move(columns));
}

// True when `a` names a cell or line of the file before `b`. A location without a line is never
// before another.
bool comes_before(const Location& a, const Location& b) {
  if (a.line == 0) return false;
  if (b.line == 0) return true;
  return a.line < b.line || (a.line == b.line && a.column < b.column);
}

// Fills data.inputs, row by row, from the input columns of `table`.
void read_input_cells(const CsvTable& table, const ColumnRoles& roles, const DatasetOptions& options,
                      const CellHints& hints, Dataset& data) {
  const Index input_count = static_cast<Index>(roles.inputs.size());
  for (Index r = 0; r < table.row_count(); ++r) {
    float* out = data.inputs.row(r);
    for (Index i = 0; i < input_count; ++i) {
      const Index column = roles.inputs[static_cast<std::size_t>(i)];
      const Index offset = data.encoding.offset(i);
      if (data.encoding.columns()[static_cast<std::size_t>(i)].is_categorical()) {
        out[offset + detail::read_category_cell(table, r, column, data.encoding, i, options)] = 1.0f;
      } else {
        out[offset] = read_finite_cell(table, r, column, "input", hints);
      }
    }
  }
}

// Sets data's task, target names and targets (class indices for classification).
void read_target_cells(const CsvTable& table, const ColumnRoles& roles, const DatasetOptions& options,
                       const std::string& missing_hint, Dataset& data) {
  const Index rows = table.row_count();
  if (roles.targets.empty()) {
    data.task = options.task.value_or(Task::regression);
    data.targets = Matrix::zeros(rows, 0);
    return;
  }
  for (const Index column : roles.targets) data.target_names.push_back(table.column_names[static_cast<std::size_t>(column)]);
  if (roles.targets.size() > 1) {
    read_several_targets(table, roles.targets, options, data);
    return;
  }

  const Index target = roles.targets.front();
  if (!options.task) reject_stray_target_text(table, target, missing_hint);
  data.task = options.task.value_or(target_is_numeric(table, target) && !has_two_values(table, target)
                                        ? Task::regression
                                        : Task::classification);
  if (data.task == Task::classification) {
    fill_class_targets(table, target, missing_hint, data);
    return;
  }

  data.targets = Matrix::zeros(rows, 1);
  const CellHints hints{"", options.task_can_be_set ? ", or use --task classification if the column contains class names" : "",
                        "", missing_hint};
  for (Index r = 0; r < rows; ++r) data.targets(r, 0) = read_finite_cell(table, r, target, "target", hints);
}

}  // namespace

Dataset to_dataset(const CsvTable& file_table, const DatasetOptions& options) {
  const ColumnRoles roles = assign_columns(file_table, options);
  for (const Index column : roles.inputs) reject_empty_column(file_table, column, options);
  for (const Index column : roles.targets) reject_empty_column(file_table, column, options);
  LeftOutRows left_out;
  CsvTable complete_rows;
  if (options.missing == MissingValues::drop_rows) {
    std::vector<Index> read_columns = roles.inputs;
    read_columns.insert(read_columns.end(), roles.targets.begin(), roles.targets.end());
    complete_rows = detail::without_missing_rows(file_table, read_columns, left_out);
  }
  const CsvTable& table = options.missing == MissingValues::drop_rows ? complete_rows : file_table;
  const std::string missing_hint = detail::missing_rows_hint(options);

  Dataset data;
  data.source = table.source;
  data.source_lines = table.row_lines;
  data.left_out = std::move(left_out);
  for (Index c : roles.inputs) {
    check_utf8_name(table.column_names[static_cast<std::size_t>(c)], Location{table.source},
                    fmt::format("the name of column {}", c + 1));
  }
  for (const Index column : roles.targets) {
    check_utf8_name(table.column_names[static_cast<std::size_t>(column)], Location{table.source},
                    fmt::format("the name of column {}", column + 1));
  }
  // Checked before the inputs, so that a wrong default target is reported ahead of an error in a
  // column that is an input only because of it.
  if (roles.targets.size() == 1 && !options.task) reject_id_like_target(table, roles.targets.front(), options);
  data.encoding = encode_input_columns(table, roles, options);
  data.input_names = data.encoding.input_names();
  detail::check_encoded_size(table, data.encoding);

  // A column of mostly text is categorical unless a trained model's encoding marks it numeric, so
  // only then does a numeric column of text get its own fix.
  CellHints input_hints =
      options.inputs_can_be_dropped
          ? CellHints{", or drop the column with --drop",
                      ", or give the column to --categorical if its values are categories",
                      options.encoding ? "give numbers in this column, as in the training data" : "", ""}
          : CellHints{"; the model needs every value of its input columns", "",
                      "give numbers in this column, as in the data the model was trained on", ""};
  input_hints.missing = missing_hint;
  data.inputs = Matrix::zeros(table.row_count(), data.encoding.width());
  // Inputs and targets are read in two passes, and each pass stops at its first bad cell. The
  // error raised is the one earlier in the file, so a user who fixes errors from the top never
  // finds a new one above the last fix.
  std::optional<Error> input_error;
  try {
    read_input_cells(table, roles, options, input_hints, data);
  } catch (const Error& error) {
    input_error = error;
  }
  try {
    read_target_cells(table, roles, options, missing_hint, data);
  } catch (const Error& error) {
    if (!input_error || comes_before(error.where(), input_error->where())) throw;
  }
  if (input_error) throw *input_error;
  return data;
}

namespace detail {

bool column_is_mostly_text(const CsvTable& table, Index column) {
  // Text outnumbers half the filled cells exactly when it outnumbers the numeric cells, which it
  // cannot once those fill half the rows, so the scan of a numeric column stops there.
  Index text = 0;
  Index numeric = 0;
  for (const auto& row : table.rows) {
    const std::string& cell = row[static_cast<std::size_t>(column)];
    if (!has_text(cell)) continue;
    if (!is_numeric_or_missing(cell)) {
      ++text;
      continue;
    }
    ++numeric;
    if (2 * numeric >= table.row_count()) return false;
  }
  return text > numeric;
}

void sort_category_names(std::vector<std::string>& names) { sort_class_names(names); }

void check_utf8_text(const std::string& name, const Location& where, std::string_view description) {
  check_utf8_name(name, where, description);
}

}  // namespace detail

}  // namespace protean
