// Process-wide libsodium initialisation; thread-safe through a static local.
#include "crypto/sodium_init.h"

#include <sodium.h>

namespace vault::crypto {

absl::Status EnsureSodiumInitialized() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

}  // namespace vault::crypto
