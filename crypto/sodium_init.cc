// Process-wide libsodium initialisation; thread-safe through a static local.
// Random bytes come from libsodium's internal generator: a ChaCha20 stream
// per thread, seeded (and reseeded) from the kernel's getrandom, instead of
// a getrandom system call for every token and nonce. It aborts in a forked
// child that inherited its state (libsodium checks the process id).
#include "crypto/sodium_init.h"

#include <sodium.h>
#include <sodium/randombytes_internal_random.h>

namespace vault::crypto {

absl::Status EnsureSodiumInitialized() {
  static const bool ok = [] {
    // Must precede sodium_init; the implementation is process-wide.
    if (randombytes_set_implementation(&randombytes_internal_implementation) != 0) return false;
    return sodium_init() >= 0;
  }();
  if (!ok) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

}  // namespace vault::crypto
