// Tests for token shapes: random and deterministic tokens, format-preserving
// card and phone tokens, fingerprints and blind-index hashes.
#include "vault/tokens/token_codec.h"

#include <gtest/gtest.h>

#include <set>

#include "absl/time/civil_time.h"
#include "crypto/random.h"

namespace vault {
namespace {

crypto::SecretBytes NewKey() { return *crypto::SystemRandom::Instance().Secret(32); }

TEST(TokenCodecTest, RandomTokensHavePrefixAndDiffer) {
  crypto::SystemRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string t = RandomToken(random);
    EXPECT_EQ(t.substr(0, 4), "tok_");
    EXPECT_EQ(t.size(), 26u);
    EXPECT_TRUE(LooksLikeToken(t));
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TokenCodecTest, DeterministicTokensDependOnKeyTypeValueAndSubject) {
  crypto::SecretBytes k1 = NewKey(), k2 = NewKey();
  std::string a = *DeterministicToken(k1, DataType::kPhone, "+8613800138000", "");
  EXPECT_EQ(a, *DeterministicToken(k1, DataType::kPhone, "+8613800138000", ""));
  EXPECT_NE(a, *DeterministicToken(k2, DataType::kPhone, "+8613800138000", ""));
  EXPECT_NE(a, *DeterministicToken(k1, DataType::kGeneric, "+8613800138000", ""));
  EXPECT_NE(a, *DeterministicToken(k1, DataType::kPhone, "+8613800138001", ""));
  EXPECT_NE(a, *DeterministicToken(k1, DataType::kPhone, "+8613800138000", "u-1"));
  EXPECT_TRUE(LooksLikeToken(a));
}

TEST(TokenCodecTest, CardTokensKeepLengthAndLastFourAndPassLuhn) {
  crypto::SystemRandom random;
  for (std::string card :
       {"4111111111111111", "378282246310005", "6222020200112233446", "501234567896"}) {
    for (int i = 0; i < 2000; ++i) {
      std::string t = *FormatPreservingToken(DataType::kBankCard, card, random);
      ASSERT_EQ(t.size(), card.size());
      EXPECT_EQ(t.substr(t.size() - 4), card.substr(card.size() - 4));
      EXPECT_TRUE(LuhnValid(t)) << t;
      EXPECT_NE(t, card);
      EXPECT_NE(t[0], '0');
      EXPECT_TRUE(LooksLikeToken(t));
    }
  }
}

TEST(TokenCodecTest, PhoneTokensKeepCountryCodeAndLastFourAndStayValid) {
  crypto::SystemRandom random;
  ValidationContext ctx{absl::CivilDay(2026, 11, 26)};
  for (std::string phone : {"+8613800138000", "+14155552671", "+447911123456", "+861065529988"}) {
    PhoneParts in = *SplitE164(phone);
    for (int i = 0; i < 2000; ++i) {
      std::string t = *FormatPreservingToken(DataType::kPhone, phone, random);
      ASSERT_EQ(t.size(), phone.size());
      PhoneParts out = *SplitE164(t);
      EXPECT_EQ(out.country_code, in.country_code);
      EXPECT_EQ(t.substr(t.size() - 4), phone.substr(phone.size() - 4));
      EXPECT_NE(t, phone);
      EXPECT_EQ(*Normalize(DataType::kPhone, t, ctx), t) << t;
    }
  }
}

TEST(TokenCodecTest, FormatPreservingRejectsOtherTypesAndShortNumbers) {
  crypto::SystemRandom random;
  EXPECT_TRUE(absl::IsInvalidArgument(
      FormatPreservingToken(DataType::kEmail, "a@example.com", random).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      FormatPreservingToken(DataType::kPhone, "+4412345", random).status()));
}

TEST(TokenCodecTest, FingerprintsAreKeyedAndBlindIndexIsTyped) {
  crypto::SecretBytes k1 = NewKey(), k2 = NewKey();
  EXPECT_EQ(TokenFingerprint(k1, "tok_x")->size(), 16u);
  EXPECT_NE(*TokenFingerprint(k1, "tok_x"), *TokenFingerprint(k2, "tok_x"));
  EXPECT_NE(*TokenFingerprint(k1, "tok_x"), *TokenFingerprint(k1, "tok_y"));
  EXPECT_EQ(BlindIndexHash(k1, DataType::kPhone, "+8613800138000")->size(), 32u);
  EXPECT_NE(*BlindIndexHash(k1, DataType::kPhone, "123456789012"),
            *BlindIndexHash(k1, DataType::kBankAccount, "123456789012"));
}

TEST(TokenCodecTest, MalformedTokensDoNotLookLikeTokens) {
  for (std::string bad : std::vector<std::string>{
           "", "tok_", "tok_short", "TOK_aaaaaaaaaaaaaaaaaaaaaa", "12345",
           "tok_aaaaaaaaaaaaaaaaaaaaa!", "+12", "4111-1111-1111-1111", std::string(200, '1')}) {
    EXPECT_FALSE(LooksLikeToken(bad)) << bad;
  }
  EXPECT_TRUE(ParseTokenFormat("").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ParseTokenFormat("field").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseTokenFormat("Random").status()));
}

}  // namespace
}  // namespace vault
