// Tests for XChaCha20-Poly1305: a published known-answer vector and a failing
// case for every way the input can be wrong.
#include "crypto/aead.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace vault::crypto {
namespace {

std::string Hex(std::string_view h) { return *HexDecode(h); }
SecretBytes Key(std::string_view hex) { return *SecretBytes::CopyFrom(Hex(hex)); }

// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
constexpr std::string_view kKatKey =
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
constexpr std::string_view kKatNonce = "404142434445464748494a4b4c4d4e4f5051525354555657";
constexpr std::string_view kKatAd = "50515253c0c1c2c3c4c5c6c7";
constexpr std::string_view kKatPlaintext =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    "future, sunscreen would be it.";
constexpr std::string_view kKatCiphertext =
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f"
    "4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f"
    "76b2383565d3fff921f9664c97637da9768812f615c68b13b52e";
constexpr std::string_view kKatTag = "c0875924c1c7987947deafd8780acf49";

TEST(XChaCha20Poly1305Test, DecryptsPublishedVector) {
  std::string sealed = Hex(kKatNonce) + Hex(kKatCiphertext) + Hex(kKatTag);
  absl::StatusOr<std::string> plain = XChaCha20Poly1305::Decrypt(Key(kKatKey), sealed, Hex(kKatAd));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, kKatPlaintext);
}

class AeadFailures : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = *SystemRandom::Instance().Secret(32);
    sealed_ = *XChaCha20Poly1305::Encrypt(key_, "+8613800138000", "ad-1", random_);
  }
  SecretBytes key_;
  std::string sealed_;
  SystemRandom random_;
};

TEST_F(AeadFailures, RoundTripsWithRightKeyAndAd) {
  absl::StatusOr<std::string> plain = XChaCha20Poly1305::Decrypt(key_, sealed_, "ad-1");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "+8613800138000");
  EXPECT_EQ(sealed_.size(), 14 + XChaCha20Poly1305::kOverhead);
  EXPECT_EQ(sealed_.find("+8613800138000"), std::string::npos);
}

TEST_F(AeadFailures, EncryptingTwiceGivesDifferentCiphertexts) {
  std::string again = *XChaCha20Poly1305::Encrypt(key_, "+8613800138000", "ad-1", random_);
  EXPECT_NE(again, sealed_);
}

TEST_F(AeadFailures, TamperedCiphertextFails) {
  for (size_t i = 0; i < sealed_.size(); ++i) {
    std::string bad = sealed_;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_TRUE(absl::IsDataLoss(XChaCha20Poly1305::Decrypt(key_, bad, "ad-1").status()))
        << "byte " << i;
  }
}

TEST_F(AeadFailures, WrongAssociatedDataFails) {
  EXPECT_TRUE(absl::IsDataLoss(XChaCha20Poly1305::Decrypt(key_, sealed_, "ad-2").status()));
  EXPECT_TRUE(absl::IsDataLoss(XChaCha20Poly1305::Decrypt(key_, sealed_, "").status()));
}

TEST_F(AeadFailures, WrongKeyFails) {
  SecretBytes other = *SystemRandom::Instance().Secret(32);
  EXPECT_TRUE(absl::IsDataLoss(XChaCha20Poly1305::Decrypt(other, sealed_, "ad-1").status()));
}

TEST_F(AeadFailures, ShortKeyIsRejected) {
  SecretBytes short_key = *SystemRandom::Instance().Secret(16);
  EXPECT_TRUE(
      absl::IsInvalidArgument(XChaCha20Poly1305::Encrypt(short_key, "x", "", random_).status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(XChaCha20Poly1305::Decrypt(short_key, sealed_, "ad-1").status()));
}

TEST_F(AeadFailures, TruncatedInputFails) {
  for (size_t len : {size_t{0}, size_t{10}, XChaCha20Poly1305::kOverhead - 1,
                     XChaCha20Poly1305::kOverhead, sealed_.size() - 1}) {
    EXPECT_TRUE(
        absl::IsDataLoss(XChaCha20Poly1305::Decrypt(key_, sealed_.substr(0, len), "ad-1").status()))
        << "length " << len;
  }
}

TEST_F(AeadFailures, SecretRoundTripStaysInLockedMemory) {
  SecretBytes dek = *SystemRandom::Instance().Secret(32);
  std::string wrapped = *XChaCha20Poly1305::EncryptSecret(key_, dek, "wrap", random_);
  absl::StatusOr<SecretBytes> back = XChaCha20Poly1305::DecryptSecret(key_, wrapped, "wrap");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->Equals(dek));
  EXPECT_TRUE(absl::IsDataLoss(XChaCha20Poly1305::DecryptSecret(key_, wrapped, "other").status()));
}

}  // namespace
}  // namespace vault::crypto
