// The README shows examples/quickstart.cpp verbatim, in English and Chinese; the test suite
// builds and runs that file, so the code a reader copies is code that works.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string read_source_file(const std::string& relative) {
  std::ifstream in(std::string(PROTEAN_SOURCE_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Readme, ShowsQuickstartVerbatim) {
  const std::string example = read_source_file("examples/quickstart.cpp");
  ASSERT_FALSE(example.empty());
  for (const char* readme : {"README.md", "README.zh-CN.md"}) {
    const std::string text = read_source_file(readme);
    EXPECT_NE(text.find("```cpp\n" + example + "```"), std::string::npos)
        << readme << " no longer shows examples/quickstart.cpp as it is";
  }
}

TEST(Readme, NamesBothSetupCommands) {
  for (const char* readme : {"README.md", "README.zh-CN.md"}) {
    const std::string text = read_source_file(readme);
    EXPECT_NE(text.find("scripts/demo.sh"), std::string::npos) << readme;
    EXPECT_NE(text.find("scripts/test.sh"), std::string::npos) << readme;
  }
}

}  // namespace
