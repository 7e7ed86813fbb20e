// Tests for BLAKE2b, HMAC-SHA-256 (RFC 4231 vectors) and the KDF.
#include "crypto/hashing.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "crypto/random.h"

namespace vault::crypto {
namespace {

SecretBytes KeyOf(std::string_view bytes) { return *SecretBytes::CopyFrom(bytes); }

TEST(Blake2bTest, Rfc7693Abc) {
  EXPECT_EQ(HexEncode(*Blake2b("abc", 64)),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

TEST(Blake2bTest, OutputSizeOutOfRangeIsRejected) {
  EXPECT_TRUE(absl::IsInvalidArgument(Blake2b("abc", 8).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Blake2b("abc", 65).status()));
}

TEST(Blake2bMacTest, KeyChangesOutputAndShortKeyFails) {
  SecretBytes k1 = *SystemRandom::Instance().Secret(32);
  SecretBytes k2 = *SystemRandom::Instance().Secret(32);
  EXPECT_NE(*Blake2bMac(k1, "m", 32), *Blake2bMac(k2, "m", 32));
  EXPECT_EQ(*Blake2bMac(k1, "m", 32), *Blake2bMac(k1, "m", 32));
  EXPECT_NE(*Blake2bMac(k1, "m", 32), *Blake2b("m", 32));
  EXPECT_TRUE(absl::IsInvalidArgument(Blake2bMac(KeyOf("short"), "m", 32).status()));
}

// RFC 4231 test case 1.
TEST(HmacSha256Test, Rfc4231Case1) {
  EXPECT_EQ(HexEncode(*HmacSha256(KeyOf(std::string(20, '\x0b')), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

// RFC 4231 test case 6: a key longer than the block size.
TEST(HmacSha256Test, Rfc4231Case6LongKey) {
  EXPECT_EQ(HexEncode(*HmacSha256(KeyOf(std::string(131, '\xaa')),
                                  "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Test, ShortKeyIsRejected) {
  EXPECT_TRUE(absl::IsInvalidArgument(HmacSha256(KeyOf("Jefe"), "x").status()));
}

TEST(DeriveSubkeyTest, DistinctIdsAndContextsGiveDistinctKeys) {
  SecretBytes master = *SystemRandom::Instance().Secret(32);
  SecretBytes a = *DeriveSubkey(master, 1, "vtenant1", 32);
  SecretBytes a_again = *DeriveSubkey(master, 1, "vtenant1", 32);
  SecretBytes b = *DeriveSubkey(master, 2, "vtenant1", 32);
  SecretBytes c = *DeriveSubkey(master, 1, "vtenant2", 32);
  EXPECT_TRUE(a.Equals(a_again));
  EXPECT_FALSE(a.Equals(b));
  EXPECT_FALSE(a.Equals(c));
}

TEST(DeriveSubkeyTest, BadInputsAreRejected) {
  SecretBytes master = *SystemRandom::Instance().Secret(32);
  SecretBytes short_master = *SystemRandom::Instance().Secret(16);
  EXPECT_TRUE(absl::IsInvalidArgument(DeriveSubkey(short_master, 1, "vtenant1", 32).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DeriveSubkey(master, 1, "short", 32).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DeriveSubkey(master, 1, "vtenant1", 8).status()));
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace vault::crypto
