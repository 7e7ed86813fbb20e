// Path building (see routes.h).
#include "client/routes.h"

#include "absl/strings/ascii.h"

namespace vault::client {

std::string EncodePathSegment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string Path(std::initializer_list<std::string_view> segments) {
  std::string out;
  for (std::string_view s : segments) {
    out += '/';
    out += EncodePathSegment(s);
  }
  return out;
}

}  // namespace vault::client
