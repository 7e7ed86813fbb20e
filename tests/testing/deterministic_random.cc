// DeterministicRandom over libsodium's randombytes_buf_deterministic. The
// test library may include <sodium.h>; production code outside crypto/ may not.
#include "tests/testing/deterministic_random.h"

#include <sodium.h>

#include <cstring>

namespace vault::testing {

DeterministicRandom::DeterministicRandom(uint64_t seed) {
  static_assert(randombytes_SEEDBYTES == 32);
  std::memcpy(seed_.data(), &seed, sizeof seed);
}

void DeterministicRandom::Fill(absl::Span<uint8_t> out) {
  // Each call draws from a fresh stream keyed by (seed, call counter).
  std::array<uint8_t, 32> call_seed = seed_;
  ++counter_;
  std::memcpy(call_seed.data() + 8, &counter_, sizeof counter_);
  randombytes_buf_deterministic(out.data(), out.size(), call_seed.data());
}

}  // namespace vault::testing
