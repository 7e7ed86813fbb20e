// Tests for Shamir sharing: any k of n shares recombine the secret, fewer do
// not, and malformed or repeated shares are rejected.
#include "crypto/shamir.h"

#include <gtest/gtest.h>

#include "crypto/random.h"

namespace vault::crypto {
namespace {

std::vector<DecodedShare> Decode(const std::vector<std::string>& texts,
                                 std::initializer_list<size_t> pick) {
  std::vector<DecodedShare> out;
  for (size_t i : pick) out.push_back(std::move(*DecodeShare(texts[i])));
  return out;
}

TEST(ShamirTest, AnyThreeOfFiveRecombine) {
  SecretBytes secret = *SystemRandom::Instance().Secret(32);
  std::vector<std::string> shares = *SplitSecret(secret, 5, 3);
  ASSERT_EQ(shares.size(), 5u);
  for (auto pick : {std::initializer_list<size_t>{0, 1, 2}, {2, 3, 4}, {0, 2, 4}, {4, 1, 3}}) {
    absl::StatusOr<SecretBytes> back = CombineShares(Decode(shares, pick));
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(back->Equals(secret));
  }
  // Four or five shares work too.
  EXPECT_TRUE(CombineShares(Decode(shares, {0, 1, 2, 3, 4}))->Equals(secret));
}

TEST(ShamirTest, TwoOfThreeThresholdSharesGiveAWrongSecret) {
  SecretBytes secret = *SystemRandom::Instance().Secret(32);
  std::vector<std::string> shares = *SplitSecret(secret, 5, 3);
  absl::StatusOr<SecretBytes> back = CombineShares(Decode(shares, {0, 1}));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->Equals(secret));
}

TEST(ShamirTest, SplittingTwiceGivesDifferentShares) {
  SecretBytes secret = *SystemRandom::Instance().Secret(32);
  EXPECT_NE(SplitSecret(secret, 3, 2)->at(0), SplitSecret(secret, 3, 2)->at(0));
}

TEST(ShamirTest, BadInputsAreRejected) {
  SecretBytes secret = *SystemRandom::Instance().Secret(32);
  EXPECT_TRUE(absl::IsInvalidArgument(SplitSecret(secret, 5, 1).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SplitSecret(secret, 2, 3).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(SplitSecret(secret, 256, 3).status()));
  std::vector<std::string> shares = *SplitSecret(secret, 3, 2);
  std::string typo = shares[0];
  typo[10] = typo[10] == 'A' ? 'B' : 'A';
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeShare(typo).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeShare("hello").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeShare("vs1-!!!").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(CombineShares(Decode(shares, {0, 0})).status()));
}

}  // namespace
}  // namespace vault::crypto
