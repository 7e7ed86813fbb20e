// ProcessorUrl: the one parser of a processor's notice URL, used when a
// processor is registered and again by the sender before each delivery.
// Accepted: https://HOST[:PORT][/PATH[?QUERY]], and http:// only when HOST is
// a loopback host (localhost, 127.0.0.0/8, [::1]) so a notice never leaves
// the machine unencrypted. Refused: user info (credentials in URLs),
// fragments, spaces and control characters, more than 2048 characters.
// Thread-safety: pure functions. Error messages never echo the URL.
#ifndef VAULT_NOTICES_PROCESSOR_URL_H_
#define VAULT_NOTICES_PROCESSOR_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace vault {

struct ProcessorUrl {
  bool tls = true;
  std::string host;  // lower-cased; an IPv6 literal without its brackets
  bool host_is_ip = false;
  uint16_t port = 443;
  std::string target = "/";  // path and query
};

// INVALID_ARGUMENT with a message that starts with "url" and never quotes it.
[[nodiscard]] absl::StatusOr<ProcessorUrl> ParseProcessorUrl(std::string_view url);
// localhost, a dotted IPv4 address in 127.0.0.0/8, or ::1.
bool IsLoopbackHost(std::string_view host);

}  // namespace vault

#endif  // VAULT_NOTICES_PROCESSOR_URL_H_
