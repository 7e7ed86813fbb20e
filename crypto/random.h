// RandomSource: the injected source of randomness. SystemRandom is the CSPRNG
// (randombytes_buf); DeterministicRandom is for tests and known-answer runs only.
// Thread-safety: SystemRandom is thread-safe; DeterministicRandom is not.
#ifndef VAULT_CRYPTO_RANDOM_H_
#define VAULT_CRYPTO_RANDOM_H_

#include <array>
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

// The operating system's CSPRNG through libsodium. The default everywhere.
class SystemRandom final : public RandomSource {
 public:
  void Fill(absl::Span<uint8_t> out) override;
  // A process-wide instance.
  static SystemRandom& Instance();
};

// A seeded, reproducible stream (ChaCha20 via randombytes_buf_deterministic).
// REQUIRES: used only by tests; never for real keys.
class DeterministicRandom final : public RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed);
  void Fill(absl::Span<uint8_t> out) override;

 private:
  std::array<uint8_t, 32> seed_{};
  uint64_t counter_ = 0;
};

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_RANDOM_H_
