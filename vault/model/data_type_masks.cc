// Data types: one masker per type. Each accepts any input (a value not in
// normalised shape yields "***") and shows no more than its rule allows.
#include "vault/model/internal/data_type_rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/strings.h"

namespace vault::model_internal {

// ---------------------------------------------------------------------------------------------
// Per-type masks. Each accepts any input and shows no more than its rule allows.

std::string MaskPersonName(std::string_view normalized) {
  std::string out;
  std::vector<CodePoint> code_points;
  for (std::string_view word : SplitOn(normalized, ' ')) {
    if (!DecodeUtf8(word, &code_points)) return std::string(kUnmaskable);
    if (!out.empty()) out.push_back(' ');
    if (code_points.size() <= 1) {
      out.append(Stars(code_points.size()));
    } else {
      out.append(code_points[0].bytes).append(Stars(code_points.size() - 1));
    }
  }
  return out;
}

std::string MaskCnResidentId(std::string_view normalized) {
  if (normalized.size() != 18) return std::string(kUnmaskable);
  return Cat(normalized.substr(0, 6), Stars(8), normalized.substr(14));
}

std::string MaskPassport(std::string_view normalized) {
  if (normalized.size() < 5) return std::string(kUnmaskable);
  const size_t keep = std::min<size_t>(2, normalized.size() / 4);
  return Cat(normalized.substr(0, keep), Stars(normalized.size() - 2 * keep),
             normalized.substr(normalized.size() - keep));
}

std::string MaskDrivingLicence(std::string_view normalized) {
  if (normalized.size() < 5) return std::string(kUnmaskable);
  const size_t keep = std::min<size_t>(4, normalized.size() / 4);
  return Cat(normalized.substr(0, keep), Stars(normalized.size() - 2 * keep),
             normalized.substr(normalized.size() - keep));
}

std::string MaskPhone(std::string_view normalized) {
  absl::StatusOr<PhoneParts> parts = SplitE164(normalized);
  if (!parts.ok()) return std::string(kUnmaskable);
  const std::string_view national = parts->national_number;
  std::string masked_national;
  if (national.size() >= 11) {  // e.g. Chinese mobiles: 138****8000
    masked_national = Cat(national.substr(0, 3), Stars(national.size() - 7),
                          national.substr(national.size() - 4));
  } else {
    masked_national = KeepLastFour(national);
  }
  return Cat("+", parts->country_code, " ", masked_national);
}

std::string MaskEmail(std::string_view normalized) {
  const size_t at = normalized.find('@');
  if (at == 0 || at == std::string_view::npos ||
      static_cast<unsigned char>(normalized[0]) >= 0x80) {
    return std::string(kUnmaskable);
  }
  return Cat(normalized.substr(0, 1), "***@", normalized.substr(at + 1));
}

std::string MaskAddress(std::string_view normalized) {
  std::vector<CodePoint> code_points;
  if (!DecodeUtf8(normalized, &code_points) || code_points.empty()) {
    return std::string(kUnmaskable);
  }
  const size_t keep = std::min<size_t>(6, code_points.size() / 2);
  std::string out;
  for (size_t i = 0; i < keep; ++i) out.append(code_points[i].bytes);
  out.append("***");
  return out;
}

// `value` in lowercase hex without leading zeros, as inet_ntop prints an IPv6 group.
std::string LowerHex(unsigned value) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return out;
}

std::string MaskIpAddress(std::string_view normalized) {
  if (normalized.size() >= INET6_ADDRSTRLEN || Contains(normalized, '\0')) {
    return std::string(kUnmaskable);
  }
  const std::string text(normalized);
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    const auto* b = reinterpret_cast<const unsigned char*>(&v4.s_addr);  // Network order.
    return Cat(std::to_string(b[0]), ".", std::to_string(b[1]), ".*.*");
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    // The first two 16-bit groups as canonical text prints them (lowercase hex, no leading
    // zeros); a group elided by "::" is 0, so "::1" masks to "0:0:*".
    const unsigned char* b = v6.s6_addr;
    const unsigned group0 = (unsigned{b[0]} << 8) | b[1];
    const unsigned group1 = (unsigned{b[2]} << 8) | b[3];
    return Cat(LowerHex(group0), ":", LowerHex(group1), ":*");
  }
  return std::string(kUnmaskable);
}

}  // namespace vault::model_internal
