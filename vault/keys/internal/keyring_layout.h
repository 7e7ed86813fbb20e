// What the key hierarchy's parts (key_hierarchy.cc: unseal, init, root;
// key_hierarchy_tenants.cc: tenants, KEKs, subkeys) agree on: the associated
// data each wrapped key is bound to, the key cache's ids, and the keyring's
// millisecond timestamps.
// Thread-safety: pure functions.
#ifndef VAULT_INTERNAL_KEYS
#error "vault/keys/internal/ is private to vault_keys; include vault/keys/key_hierarchy.h"
#endif
#ifndef VAULT_KEYS_INTERNAL_KEYRING_LAYOUT_H_
#define VAULT_KEYS_INTERNAL_KEYRING_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "base/strings.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/record_keys.h"

namespace vault::keys_internal {

inline int64_t ToMs(absl::Time t) { return absl::ToUnixMillis(t); }
inline absl::Time FromMs(int64_t ms) { return absl::FromUnixMillis(ms); }

inline std::string RootAd(uint32_t version) {
  return AssociatedData("root-key", {EncodeU32(version)});
}
inline std::string KekAd(std::string_view tenant, uint32_t version) {
  return AssociatedData("kek", {tenant, EncodeU32(version)});
}
inline std::string SubkeyRootAd(std::string_view tenant) {
  return AssociatedData("tenant-subkey-root", {tenant});
}
inline std::string SigningSeedAd() { return AssociatedData("signing-seed", {}); }
inline std::string SystemSecretAd() { return AssociatedData("system-secret", {}); }

inline std::string KekCacheId(std::string_view tenant, uint32_t version) {
  return Cat("k|", tenant, "|", version);
}
inline std::string SubkeyCacheId(std::string_view tenant, TenantSubkey which) {
  return Cat("s|", tenant, "|", static_cast<uint64_t>(which));
}
inline std::string SystemSubkeyCacheId(SystemSubkey which) {
  return Cat("y|", static_cast<uint64_t>(which));
}

}  // namespace vault::keys_internal

#endif  // VAULT_KEYS_INTERNAL_KEYRING_LAYOUT_H_
