// RandomSource: the injected source of randomness. SystemRandom is the CSPRNG
// (randombytes_buf). Tests inject vault::testing::DeterministicRandom
// (tests/testing/deterministic_random.h), which no production code links.
// Thread-safety: SystemRandom is thread-safe.
#ifndef VAULT_CRYPTO_RANDOM_H_
#define VAULT_CRYPTO_RANDOM_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes.
  virtual void Fill(absl::Span<uint8_t> out) = 0;

  // Convenience: `n` random bytes as a (public) string, e.g. nonces and ids.
  std::string Bytes(size_t n);
  // A uniformly random integer in [0, upper_bound); upper_bound > 0.
  uint32_t Uniform(uint32_t upper_bound);
  // A fresh random secret of `n` bytes in locked memory.
  [[nodiscard]] absl::StatusOr<SecretBytes> Secret(size_t n);
};

// The operating system's CSPRNG through libsodium. Production code passes
// SystemRandom::Instance() explicitly; nothing defaults to it.
class SystemRandom final : public RandomSource {
 public:
  void Fill(absl::Span<uint8_t> out) override;
  // A process-wide instance.
  static SystemRandom& Instance();
};

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_RANDOM_H_
