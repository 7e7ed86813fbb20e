// ProcessorUrl parsing (see processor_url.h).
#include "vault/notices/processor_url.h"

#include <cctype>

#include "absl/strings/numbers.h"

namespace vault {
namespace {

constexpr size_t kMaxUrl = 2048;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Four decimal octets 0-255, no leading '+', no empty part.
bool ParseIpv4(std::string_view s, uint8_t octets[4]) {
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    size_t start = i;
    int value = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 3) {
      value = value * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start || value > 255) return false;
    octets[part++] = static_cast<uint8_t>(value);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

bool IsIpv6Char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; }

// Path and query: visible ASCII without '#'.
bool ValidTarget(std::string_view target) {
  for (char c : target) {
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
  }
  return true;
}

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(std::string("url ") + std::string(why));
}

absl::Status ParseAuthority(std::string_view authority, ProcessorUrl* out) {
  if (authority.find('@') != std::string_view::npos) {
    return Bad("must not carry user info (credentials)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("has a malformed IPv6 host");
    host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad("has a malformed IPv6 host");
      port = rest.substr(1);
    }
    if (host.empty()) return Bad("has an empty host");
    for (char c : host) {
      if (!IsIpv6Char(c)) return Bad("has a malformed IPv6 host");
    }
    out->host_is_ip = true;
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty() || host.size() > 253) return Bad("has an empty or too long host");
    for (char c : host) {
      if (!IsHostChar(c)) return Bad("has a host outside a-z 0-9 - .");
    }
    uint8_t octets[4];
    out->host_is_ip = ParseIpv4(host, octets);
  }
  out->host = Lower(host);
  if (authority.size() > host.size() && port.empty() && authority.back() == ':') {
    return Bad("has an empty port");
  }
  if (!port.empty()) {
    uint32_t p = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return Bad("port must be 1-65535");
    }
    if (port.size() > 5 || !absl::SimpleAtoi(std::string(port), &p) || p == 0 || p > 65535) {
      return Bad("port must be 1-65535");
    }
    out->port = static_cast<uint16_t>(p);
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  const std::string h = Lower(host);
  if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
  uint8_t octets[4];
  return ParseIpv4(h, octets) && octets[0] == 127;
}

absl::StatusOr<ProcessorUrl> ParseProcessorUrl(std::string_view url) {
  if (url.empty() || url.size() > kMaxUrl) return Bad("must be 1-2048 characters");
  ProcessorUrl out;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return Bad("must start with https://");
  const std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    out.tls = true;
    out.port = 443;
  } else if (scheme == "http") {
    out.tls = false;
    out.port = 80;
  } else {
    return Bad("must start with https://");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    std::string_view target = rest.substr(path_start);
    if (!ValidTarget(target)) return Bad("path must be visible ASCII without a fragment");
    out.target =
        target.front() == '?' ? std::string("/") + std::string(target) : std::string(target);
  }
  if (absl::Status s = ParseAuthority(authority, &out); !s.ok()) return s;
  if (!out.tls && !IsLoopbackHost(out.host)) {
    return Bad("http:// is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1)");
  }
  return out;
}

}  // namespace vault
