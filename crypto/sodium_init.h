// Process-wide libsodium initialisation.
// Thread-safe: may be called from any thread, any number of times.
#ifndef VAULT_CRYPTO_SODIUM_INIT_H_
#define VAULT_CRYPTO_SODIUM_INIT_H_

#include "absl/status/status.h"

namespace vault::crypto {

// Initialises libsodium once. Every public factory in crypto/ calls it, so
// callers only need it to fail early at start-up with a clear error.
[[nodiscard]] absl::Status EnsureSodiumInitialized();

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_SODIUM_INIT_H_
