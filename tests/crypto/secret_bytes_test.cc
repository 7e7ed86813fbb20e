// Tests for SecretBytes: copying is explicit, equality is by content, moves
// leave the source empty.
#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include <type_traits>
#include <vector>

#include "crypto/random.h"
#include "tests/testing/deterministic_random.h"

namespace vault::crypto {
namespace {

using ::vault::testing::DeterministicRandom;

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

TEST(SecretBytesTest, AllocateIsZeroed) {
  SecretBytes s = *SecretBytes::Allocate(32);
  for (uint8_t b : RevealSecret(s)) EXPECT_EQ(b, 0);
}

TEST(SecretBytesTest, CopyFromAndEquals) {
  SecretBytes a = *SecretBytes::CopyFrom("key-material-0001");
  SecretBytes b = *SecretBytes::CopyFrom("key-material-0001");
  SecretBytes c = *SecretBytes::CopyFrom("key-material-0002");
  SecretBytes d = *SecretBytes::CopyFrom("key-material");
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(c));
  EXPECT_FALSE(a.Equals(d));
}

TEST(SecretBytesTest, CloneIsDeepAndMoveEmptiesSource) {
  SecretBytes a = *SystemRandom::Instance().Secret(32);
  SecretBytes clone = *a.Clone();
  EXPECT_TRUE(clone.Equals(a));
  EXPECT_NE(RevealSecret(clone).data(), RevealSecret(a).data());
  SecretBytes moved = std::move(a);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(moved.Equals(clone));
}

// A guarded sodium_malloc per key costs four memory mappings; the kernel's
// default map limit (65530) would stop at ~16k live keys. The pool holds
// far more.
TEST(SecretBytesTest, HundredThousandLiveKeysFit) {
  std::vector<SecretBytes> keys;
  keys.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<SecretBytes> k = SecretBytes::Allocate(32);
    ASSERT_TRUE(k.ok()) << "key " << i << ": " << k.status();
    keys.push_back(std::move(*k));
  }
  EXPECT_GE(GetLockedMemoryReport().pool_bytes, 100000u * 32);
}

TEST(SecretBytesTest, ReleasedSlotsAreZeroedBeforeReuse) {
  for (int round = 0; round < 3; ++round) {
    const uint8_t* slot = nullptr;
    {
      SecretBytes filled = *SystemRandom::Instance().Secret(32);
      slot = RevealSecret(filled).data();
    }  // released: its slot is the next one handed out
    SecretBytes fresh = *SecretBytes::Allocate(32);
    EXPECT_EQ(RevealSecret(fresh).data(), slot);
    for (uint8_t b : RevealSecret(fresh)) ASSERT_EQ(b, 0);
  }
}

TEST(SecretBytesTest, LargeSecretsUseGuardedAllocations) {
  SecretBytes big = *SecretBytes::CopyFrom(std::string(1000, 'k'));
  EXPECT_EQ(big.size(), 1000u);
  EXPECT_TRUE(big.Equals(*SecretBytes::CopyFrom(std::string(1000, 'k'))));
}

TEST(RandomSourceTest, DeterministicRandomRepeatsAndSystemRandomDoesNot) {
  DeterministicRandom r1(7), r2(7), r3(8);
  EXPECT_EQ(r1.Bytes(32), r2.Bytes(32));
  EXPECT_NE(DeterministicRandom(7).Bytes(32), r3.Bytes(32));
  EXPECT_NE(SystemRandom::Instance().Bytes(32), SystemRandom::Instance().Bytes(32));
}

TEST(RandomSourceTest, UniformStaysInRange) {
  DeterministicRandom r(1);
  for (int i = 0; i < 10000; ++i) EXPECT_LT(r.Uniform(10), 10u);
}

}  // namespace
}  // namespace vault::crypto
