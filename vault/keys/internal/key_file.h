// The dev-mode unseal key file: the 32-byte unseal key as hex and a newline,
// mode 0600, read and written through an Env.
// Thread-safety: functions over the Env; the caller (KeyHierarchy, under
// its lock) serialises them.
// Never puts the key or any part of it in an error.
#ifndef VAULT_INTERNAL_KEYS
#error "vault/keys/internal/ is private to vault_keys; include vault/keys/key_hierarchy.h"
#endif
#ifndef VAULT_KEYS_INTERNAL_KEY_FILE_H_
#define VAULT_KEYS_INTERNAL_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "base/env.h"
#include "crypto/secret_bytes.h"

namespace vault::keys_internal {

// Creates the key file holding `key`, whole or not at all (temporary file,
// fsync, rename without replacing, folder fsync). ALREADY_EXISTS when the
// file exists; UNAVAILABLE "cannot write unseal key file: ..." when a write
// or sync fails, and then no key file is left behind.
[[nodiscard]] absl::Status WriteNewKeyFile(base::Env& env, const std::string& path,
                                           const crypto::SecretBytes& key);

// The key the file holds. NOT_FOUND when it does not exist;
// FAILED_PRECONDITION when group or others may access it; INVALID_ARGUMENT
// when it does not hold a 32-byte hex key; PERMISSION_DENIED when it cannot
// be opened or read.
[[nodiscard]] absl::StatusOr<crypto::SecretBytes> ReadKeyFile(base::Env& env,
                                                              const std::string& path);

// Removes the key file (a key no keyring was made with); errors ignored.
void RemoveKeyFile(base::Env& env, const std::string& path);

}  // namespace vault::keys_internal

#endif  // VAULT_KEYS_INTERNAL_KEY_FILE_H_
