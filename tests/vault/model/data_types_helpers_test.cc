// Tests for the data-type catalog's helpers: wire names, date-of-birth rules
// against a fixed "today" (never the real clock), masks of malformed values,
// keyed hashed views (with a known answer), Luhn and E.164 splitting.
#include "vault/model/data_types.h"

#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/time/civil_time.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;
using ::vault::DataType;

// All date rules are judged against this day.
const vault::ValidationContext kCtx{absl::CivilDay(2025, 6, 15)};

// ---------------------------------------------------------------------------------------------
// Names

TEST(DataTypeNameTest, ParseRoundTripsEveryName) {
  std::set<std::string_view> names;
  for (DataType type : vault::AllDataTypes()) {
    absl::StatusOr<DataType> parsed = vault::ParseDataType(vault::DataTypeName(type));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, type);
    names.insert(vault::DataTypeName(type));
  }
  EXPECT_EQ(names.size(), 13u);
  EXPECT_EQ(vault::AllDataTypes().size(), 13u);
}

TEST(DataTypeNameTest, NamesAreTheDocumentedWireNames) {
  EXPECT_EQ(vault::DataTypeName(DataType::kPersonName), "person_name");
  EXPECT_EQ(vault::DataTypeName(DataType::kCnResidentId), "cn_resident_id");
  EXPECT_EQ(vault::DataTypeName(DataType::kPassport), "passport");
  EXPECT_EQ(vault::DataTypeName(DataType::kDrivingLicence), "driving_licence");
  EXPECT_EQ(vault::DataTypeName(DataType::kPhone), "phone");
  EXPECT_EQ(vault::DataTypeName(DataType::kEmail), "email");
  EXPECT_EQ(vault::DataTypeName(DataType::kAddress), "address");
  EXPECT_EQ(vault::DataTypeName(DataType::kBankCard), "bank_card");
  EXPECT_EQ(vault::DataTypeName(DataType::kBankAccount), "bank_account");
  EXPECT_EQ(vault::DataTypeName(DataType::kDateOfBirth), "date_of_birth");
  EXPECT_EQ(vault::DataTypeName(DataType::kIpAddress), "ip_address");
  EXPECT_EQ(vault::DataTypeName(DataType::kDeviceId), "device_id");
  EXPECT_EQ(vault::DataTypeName(DataType::kGeneric), "generic");
}

TEST(DataTypeNameTest, ParseRejectsUnknownNames) {
  for (std::string_view name :
       std::initializer_list<std::string_view>{"", "Person_Name", "person name", "bank-card", "ssn",
                                               "generic ", std::string_view("phone\0", 6)}) {
    absl::StatusOr<DataType> parsed = vault::ParseDataType(name);
    ASSERT_FALSE(parsed.ok()) << absl::CHexEscape(std::string(name));
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("unknown data type"));
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

TEST(DateOfBirthTest, TodayIsAcceptedAndTomorrowRejected) {
  EXPECT_TRUE(vault::Normalize(DataType::kDateOfBirth, "2025-06-15", kCtx).ok());
  absl::StatusOr<std::string> tomorrow =
      vault::Normalize(DataType::kDateOfBirth, "2025-06-16", kCtx);
  EXPECT_EQ(tomorrow.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tomorrow.status().message()), HasSubstr("in the future"));
}

TEST(DateOfBirthTest, FutureIsJudgedAgainstContextNotTheClock) {
  const vault::ValidationContext past{absl::CivilDay(1999, 12, 31)};
  EXPECT_FALSE(vault::Normalize(DataType::kDateOfBirth, "2000-01-01", past).ok());
  EXPECT_FALSE(vault::Normalize(DataType::kCnResidentId, "440308199901010012",
                                vault::ValidationContext{absl::CivilDay(1998, 1, 1)})
                   .ok());
  const vault::ValidationContext future{absl::CivilDay(2100, 1, 1)};
  EXPECT_TRUE(vault::Normalize(DataType::kDateOfBirth, "2099-12-31", future).ok());
  EXPECT_TRUE(vault::Normalize(DataType::kCnResidentId, "11010520300101001X", future).ok());
}

TEST(DateOfBirthTest, February29OnlyInLeapYears) {
  const vault::ValidationContext ctx{absl::CivilDay(2200, 1, 1)};
  for (std::string_view leap : {"2000-02-29", "2024-02-29", "1996-02-29", "2104-02-29"}) {
    EXPECT_TRUE(vault::Normalize(DataType::kDateOfBirth, leap, ctx).ok()) << leap;
  }
  for (std::string_view common : {"1900-02-29", "2023-02-29", "2100-02-29", "2025-02-29"}) {
    absl::StatusOr<std::string> result = vault::Normalize(DataType::kDateOfBirth, common, ctx);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << common;
    EXPECT_THAT(std::string(result.status().message()), HasSubstr("not a real calendar date"))
        << common;
  }
}

// ---------------------------------------------------------------------------------------------
// Masks of values that are not in normalised form never reveal them.

TEST(MaskTest, MalformedValuesAreFullyHidden) {
  EXPECT_EQ(vault::Mask(DataType::kPhone, "not a phone"), "***");
  EXPECT_EQ(vault::Mask(DataType::kCnResidentId, "1101"), "***");
  EXPECT_EQ(vault::Mask(DataType::kEmail, "no-at-sign"), "***");
  EXPECT_EQ(vault::Mask(DataType::kIpAddress, "999.1.1.1"), "***");
  EXPECT_EQ(vault::Mask(DataType::kPersonName, "\xFF\xFE"), "***");
  EXPECT_EQ(vault::Mask(DataType::kBankCard, "1234"), "****");
  EXPECT_EQ(vault::Mask(DataType::kGeneric, ""), "***");
}

// ---------------------------------------------------------------------------------------------
// Keyed view

vault::crypto::SecretBytes KeyOf(std::string_view bytes) {
  absl::StatusOr<vault::crypto::SecretBytes> key = vault::crypto::SecretBytes::CopyFrom(bytes);
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

std::string SequentialKeyBytes() {
  std::string bytes;
  for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

TEST(HashedViewTest, IsSixtyFourLowercaseHexAndDeterministic) {
  const vault::crypto::SecretBytes key = KeyOf(std::string(32, 'k'));
  absl::StatusOr<std::string> first = vault::HashedView(DataType::kEmail, "a@b.cn", key);
  absl::StatusOr<std::string> second = vault::HashedView(DataType::kEmail, "a@b.cn", key);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(*first, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(*first, *second);
}

TEST(HashedViewTest, MatchesKnownAnswer) {
  // HMAC-SHA-256(00 01 .. 1f, "vaultd:hashed:v1\0phone\0+8613800138000"), computed with
  // Python's hmac module.
  const vault::crypto::SecretBytes key = KeyOf(SequentialKeyBytes());
  absl::StatusOr<std::string> view = vault::HashedView(DataType::kPhone, "+8613800138000", key);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(*view, "cbddc8f242e798d93da4e5462b06a3e35ae4f7671793d32a0ee9108c295b708b");
}

TEST(HashedViewTest, DiffersAcrossTypesForTheSameValue) {
  const vault::crypto::SecretBytes key = KeyOf(std::string(32, 'k'));
  std::set<std::string> views;
  for (DataType type : vault::AllDataTypes()) {
    absl::StatusOr<std::string> view = vault::HashedView(type, "123456", key);
    ASSERT_TRUE(view.ok()) << view.status();
    views.insert(*view);
  }
  EXPECT_EQ(views.size(), vault::AllDataTypes().size());
}

TEST(HashedViewTest, DiffersAcrossKeysAndValues) {
  const vault::crypto::SecretBytes key1 = KeyOf(std::string(32, 'k'));
  const vault::crypto::SecretBytes key2 = KeyOf(std::string(32, 'K'));
  absl::StatusOr<std::string> a = vault::HashedView(DataType::kPhone, "+8613800138000", key1);
  absl::StatusOr<std::string> b = vault::HashedView(DataType::kPhone, "+8613800138000", key2);
  absl::StatusOr<std::string> c = vault::HashedView(DataType::kPhone, "+8613800138001", key1);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(HashedViewTest, ShortKeyIsAnError) {
  const vault::crypto::SecretBytes key = KeyOf(std::string(8, 'k'));
  EXPECT_FALSE(vault::HashedView(DataType::kPhone, "+8613800138000", key).ok());
}

// ---------------------------------------------------------------------------------------------
// Luhn

TEST(LuhnTest, ValidNumbers) {
  for (std::string_view digits : {"79927398713", "4111111111111111", "378282246310005",
                                  "490154203237518", "00", "18", "6222021234567890128"}) {
    EXPECT_TRUE(vault::LuhnValid(digits)) << digits;
  }
}

TEST(LuhnTest, InvalidNumbers) {
  for (std::string_view digits : {"79927398710", "4111111111111112", "", "0", "4111-1111-1111-1111",
                                  "41111111111111a1", "19"}) {
    EXPECT_FALSE(vault::LuhnValid(digits)) << digits;
  }
}

TEST(LuhnTest, CheckDigitKnownAnswers) {
  EXPECT_EQ(vault::LuhnCheckDigit("7992739871"), '3');
  EXPECT_EQ(vault::LuhnCheckDigit("411111111111111"), '1');
  EXPECT_EQ(vault::LuhnCheckDigit("49015420323751"), '8');
  EXPECT_EQ(vault::LuhnCheckDigit("12345678901"), '5');
  EXPECT_EQ(vault::LuhnCheckDigit("1"), '8');
  EXPECT_EQ(vault::LuhnCheckDigit(""), '0');
}

TEST(LuhnTest, CheckDigitMakesEveryPrefixValid) {
  std::string prefix;
  for (int i = 0; i < 25; ++i) {
    prefix.push_back(static_cast<char>('0' + (i * 7 + 3) % 10));
    const char check = vault::LuhnCheckDigit(prefix);
    EXPECT_TRUE(vault::LuhnValid(prefix + check)) << prefix;
    const char wrong = static_cast<char>('0' + (check - '0' + 1) % 10);
    EXPECT_FALSE(vault::LuhnValid(prefix + wrong)) << prefix;
  }
}

TEST(LuhnTest, CheckDigitOfNonDigitsIsNul) { EXPECT_EQ(vault::LuhnCheckDigit("12a4"), '\0'); }

// ---------------------------------------------------------------------------------------------
// E.164

struct SplitCase {
  std::string number;
  std::string country_code;
  std::string national_number;
};

TEST(SplitE164Test, SplitsCountryCodeAndNationalNumber) {
  const std::vector<SplitCase> cases = {
      {"+8613800138000", "86", "13800138000"}, {"+14155552671", "1", "4155552671"},
      {"+85223456789", "852", "23456789"},     {"+74951234567", "7", "4951234567"},
      {"+442079460958", "44", "2079460958"},   {"+886223456789", "886", "223456789"},
      {"+212612345678", "212", "612345678"},   {"+861065529988", "86", "1065529988"},
  };
  for (const SplitCase& c : cases) {
    absl::StatusOr<vault::PhoneParts> parts = vault::SplitE164(c.number);
    ASSERT_TRUE(parts.ok()) << c.number << ": " << parts.status();
    EXPECT_EQ(parts->country_code, c.country_code) << c.number;
    EXPECT_EQ(parts->national_number, c.national_number) << c.number;
  }
}

TEST(SplitE164Test, RejectsNumbersThatAreNotNormalized) {
  for (std::string_view number : {"+86 138 0013 8000", "8613800138000", "+86-13800138000",
                                  "+86138001380001", "+861380013800", ""}) {
    absl::StatusOr<vault::PhoneParts> parts = vault::SplitE164(number);
    ASSERT_FALSE(parts.ok()) << number;
    EXPECT_EQ(parts.status().code(), absl::StatusCode::kInvalidArgument) << number;
  }
}

}  // namespace
