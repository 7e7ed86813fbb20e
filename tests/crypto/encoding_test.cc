// Tests for the constant-time encodings.
#include "crypto/encoding.h"

#include <gtest/gtest.h>

namespace vault::crypto {
namespace {

TEST(EncodingTest, HexRoundTripAndRejects) {
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  EXPECT_EQ(*HexDecode("01ab"), "\x01\xab");
  EXPECT_TRUE(absl::IsInvalidArgument(HexDecode("abc").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(HexDecode("zz").status()));
}

TEST(EncodingTest, Base64Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(*Base64Decode("Zm8="), "fo");
  EXPECT_TRUE(absl::IsInvalidArgument(Base64Decode("Zm8").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Base64Decode("Z$==").status()));
}

TEST(EncodingTest, Base64UrlHasNoPaddingOrPlus) {
  std::string bytes = "\xfb\xff\xfe";
  EXPECT_EQ(Base64UrlEncode(bytes), "-__-");
  EXPECT_EQ(*Base64UrlDecode("-__-"), bytes);
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
}

}  // namespace
}  // namespace vault::crypto
