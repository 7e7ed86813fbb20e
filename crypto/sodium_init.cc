// Process-wide libsodium initialisation; thread-safe through a static local.
// Random bytes come from libsodium's internal generator: a ChaCha20 stream
// per thread, seeded (and reseeded) from the kernel's getrandom, instead of
// a getrandom system call for every token and nonce. libsodium aborts when a
// forked child uses a stream inherited from its parent; a fork handler
// reseeds the forking thread's stream in the child first, so a child never
// repeats its parent's bytes and never aborts.
#include "crypto/sodium_init.h"

#include <pthread.h>
#include <sodium.h>
#include <sodium/randombytes_internal_random.h>

namespace vault::crypto {

absl::Status EnsureSodiumInitialized() {
  static const bool ok = [] {
    // Must precede sodium_init; the implementation is process-wide.
    if (randombytes_set_implementation(&randombytes_internal_implementation) != 0) return false;
    if (sodium_init() < 0) return false;
    return pthread_atfork(nullptr, nullptr, [] { randombytes_stir(); }) == 0;
  }();
  if (!ok) return absl::InternalError("libsodium failed to initialise");
  return absl::OkStatus();
}

}  // namespace vault::crypto
