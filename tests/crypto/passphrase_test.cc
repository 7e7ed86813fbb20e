// Tests for Argon2id passphrase stretching (minimum parameters for speed).
#include "crypto/passphrase.h"

#include <gtest/gtest.h>

namespace vault::crypto {
namespace {

const std::string kSalt(16, 's');

TEST(PassphraseTest, SameInputsSameKeyDifferentInputsDifferentKey) {
  Argon2idParams p = Argon2idParams::MinimumForTesting();
  SecretBytes a = *DeriveKeyFromPassphrase("correct horse", kSalt, p, 32);
  SecretBytes b = *DeriveKeyFromPassphrase("correct horse", kSalt, p, 32);
  SecretBytes c = *DeriveKeyFromPassphrase("correct horsf", kSalt, p, 32);
  SecretBytes d = *DeriveKeyFromPassphrase("correct horse", std::string(16, 't'), p, 32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(a.Equals(c));
  EXPECT_FALSE(a.Equals(d));
}

TEST(PassphraseTest, BadInputsAreRejected) {
  Argon2idParams p = Argon2idParams::MinimumForTesting();
  EXPECT_TRUE(absl::IsInvalidArgument(DeriveKeyFromPassphrase("", kSalt, p, 32).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(DeriveKeyFromPassphrase("pw", "short", p, 32).status()));
  Argon2idParams weak{0, 1024};
  EXPECT_TRUE(absl::IsInvalidArgument(DeriveKeyFromPassphrase("pw", kSalt, weak, 32).status()));
}

}  // namespace
}  // namespace vault::crypto
