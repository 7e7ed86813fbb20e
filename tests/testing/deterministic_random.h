// DeterministicRandom: a seeded, reproducible RandomSource (ChaCha20 via
// libsodium's randombytes_buf_deterministic) for tests and known-answer runs.
// Never for real keys: it lives in the test-only vault_testing library so no
// production binary can link it.
// Thread-safety: not thread-safe (each Fill advances a call counter).
#ifndef VAULT_TESTS_TESTING_DETERMINISTIC_RANDOM_H_
#define VAULT_TESTS_TESTING_DETERMINISTIC_RANDOM_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"
#include "crypto/random.h"

namespace vault::testing {

class DeterministicRandom final : public crypto::RandomSource {
 public:
  explicit DeterministicRandom(uint64_t seed);
  void Fill(absl::Span<uint8_t> out) override;

 private:
  std::array<uint8_t, 32> seed_{};
  uint64_t counter_ = 0;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_DETERMINISTIC_RANDOM_H_
