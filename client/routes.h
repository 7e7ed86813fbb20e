// vaultd's URL paths, built in one place: every path segment that comes
// from the caller (tenant, subject, ids) is percent-encoded, so a value can
// never add a segment or a query.
// Thread-safety: pure functions.
#ifndef VAULT_CLIENT_ROUTES_H_
#define VAULT_CLIENT_ROUTES_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace vault::client {

// RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) as they are, every
// other byte as %XX.
std::string EncodePathSegment(std::string_view segment);

// "/" + the encoded segments joined by "/": Path({"v1", "tenants", t}).
std::string Path(std::initializer_list<std::string_view> segments);

}  // namespace vault::client

#endif  // VAULT_CLIENT_ROUTES_H_
