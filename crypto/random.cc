// RandomSource implementations over libsodium's randombytes.
#include "crypto/random.h"

#include <sodium.h>

#include "crypto/sodium_init.h"

namespace vault::crypto {

std::string RandomSource::Bytes(size_t n) {
  std::string out(n, '\0');
  Fill({reinterpret_cast<uint8_t*>(out.data()), n});
  return out;
}

uint32_t RandomSource::Uniform(uint32_t upper_bound) {
  // Rejection sampling, as randombytes_uniform does, but over this source.
  if (upper_bound < 2) return 0;
  const uint32_t min = (1U + ~upper_bound) % upper_bound;  // 2^32 mod upper_bound
  uint32_t r = 0;
  do {
    Fill({reinterpret_cast<uint8_t*>(&r), sizeof r});
  } while (r < min);
  return r % upper_bound;
}

absl::StatusOr<SecretBytes> RandomSource::Secret(size_t n) {
  absl::StatusOr<SecretBytes> secret = SecretBytes::Allocate(n);
  if (!secret.ok()) return secret.status();
  Fill(secret->MutableSpan());
  return secret;
}

void SystemRandom::Fill(absl::Span<uint8_t> out) {
  (void)EnsureSodiumInitialized();
  randombytes_buf(out.data(), out.size());
}

SystemRandom& SystemRandom::Instance() {
  static SystemRandom* instance = new SystemRandom();
  return *instance;
}

}  // namespace vault::crypto
