// Small text helpers on std::string_view for header parsing (Debian's Abseil has its own
// absl::string_view type, so absl::StrSplit & co. do not take std::string_view).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strait::filters::compression {

// Without leading/trailing spaces and tabs.
std::string_view trimOws(std::string_view s);
// The pieces between `sep`s (empty pieces included).
std::vector<std::string_view> splitOn(std::string_view s, char sep);
bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string lowerAscii(std::string_view s);

}  // namespace strait::filters::compression
