// Tests for Blake2bHasher: pieces hash as their concatenation does.
#include <gtest/gtest.h>

#include "crypto/hashing.h"

namespace vault::crypto {
namespace {

TEST(Blake2bHasherTest, PiecesHashAsTheWhole) {
  const std::string message(100000, 'm');
  absl::StatusOr<Blake2bHasher> hasher = Blake2bHasher::Create(32);
  ASSERT_TRUE(hasher.ok());
  hasher->Update(std::string_view(message).substr(0, 3));
  hasher->Update("");
  hasher->Update(std::string_view(message).substr(3));
  EXPECT_EQ(hasher->Finish(), *Blake2b(message, 32));
}

TEST(Blake2bHasherTest, OutputSizeIsChecked) {
  EXPECT_TRUE(absl::IsInvalidArgument(Blake2bHasher::Create(8).status()));
  absl::StatusOr<Blake2bHasher> hasher = Blake2bHasher::Create(64);
  ASSERT_TRUE(hasher.ok());
  EXPECT_EQ(hasher->Finish(), *Blake2b("", 64));
}

}  // namespace
}  // namespace vault::crypto
