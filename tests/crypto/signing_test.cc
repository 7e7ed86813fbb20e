// Tests for Ed25519: RFC 8032 test 1 and failures on any modification.
#include "crypto/signing.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace vault::crypto {
namespace {

// RFC 8032 section 7.1, TEST 1 (empty message).
TEST(SigningKeyTest, Rfc8032Test1) {
  SecretBytes seed = *SecretBytes::CopyFrom(
      *HexDecode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  absl::StatusOr<SigningKey> key = SigningKey::FromSeed(seed);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(HexEncode(key->public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(HexEncode(key->Sign("")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61"
            "e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

TEST(SigningKeyTest, SignatureVerifiesAndFailsWhenAnyByteChanges) {
  SystemRandom random;
  SigningKey key = *SigningKey::Generate(random);
  const std::string message = "vaultd-erasure-receipt-v1\nE1\nacme\nu-1";
  const std::string sig = key.Sign(message);
  EXPECT_TRUE(VerifySignature(key.public_key(), message, sig).ok());
  for (size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(VerifySignature(key.public_key(), message, bad).ok()) << i;
  }
  for (size_t i = 0; i < message.size(); ++i) {
    std::string bad = message;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_TRUE(absl::IsDataLoss(VerifySignature(key.public_key(), bad, sig))) << i;
  }
  SigningKey other = *SigningKey::Generate(random);
  EXPECT_TRUE(absl::IsDataLoss(VerifySignature(other.public_key(), message, sig)));
}

TEST(SigningKeyTest, WrongSizesAreRejected) {
  EXPECT_TRUE(absl::IsInvalidArgument(VerifySignature("short", "m", std::string(64, 'x'))));
  EXPECT_TRUE(absl::IsInvalidArgument(VerifySignature(std::string(32, 'x'), "m", "short")));
  SecretBytes short_seed = *SecretBytes::CopyFrom("0123456789");
  EXPECT_TRUE(absl::IsInvalidArgument(SigningKey::FromSeed(short_seed).status()));
}

}  // namespace
}  // namespace vault::crypto
