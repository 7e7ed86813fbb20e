// Table-driven tests for the data-type catalog: normalisation, masks, rule-naming errors that
// never echo the input, keyed views, and the Luhn/E.164 helpers. Uses a fixed "today", never
// the real clock. Check digits in the samples were computed by the algorithms they exercise.
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

struct ValidCase {
  DataType type;
  std::string raw;
  std::string normalized;
  std::string masked;
};

struct InvalidCase {
  DataType type;
  std::string raw;
  std::string rule;  // Expected in the error message.
};

std::string Preview(const std::string& s) {
  std::string escaped = absl::CHexEscape(s.substr(0, 48));
  if (s.size() > 48) escaped += "...(" + std::to_string(s.size()) + " bytes)";
  return escaped;
}

void PrintTo(const ValidCase& c, std::ostream* os) {
  *os << vault::DataTypeName(c.type) << " \"" << Preview(c.raw) << "\"";
}

void PrintTo(const InvalidCase& c, std::ostream* os) {
  *os << vault::DataTypeName(c.type) << " \"" << Preview(c.raw) << "\"";
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Valid samples: raw input, normalised form, mask.

// Person names, resident ids, passports, driving licences.
std::vector<ValidCase> IdentityValidCases() {
  const std::string kIdeographicSpace = "\xE3\x80\x80";
  return {
      // person_name
      {DataType::kPersonName, "张三", "张三", "张*"},
      {DataType::kPersonName, "  John   Doe  ", "John Doe", "J*** D**"},
      {DataType::kPersonName, "欧阳娜娜", "欧阳娜娜", "欧***"},
      {DataType::kPersonName, kIdeographicSpace + "李四 " + kIdeographicSpace, "李四", "李*"},
      {DataType::kPersonName, "José María  García", "José María García", "J*** M**** G*****"},
      {DataType::kPersonName, " \t Mary-Jane O'Neil\n", "Mary-Jane O'Neil", "M******** O*****"},
      {DataType::kPersonName, "Nguy\xE1\xBB\x85n V\xC4\x83n An", "Nguy\xE1\xBB\x85n V\xC4\x83n An",
       "N***** V** A*"},
      {DataType::kPersonName, "X \xC3\x86 A-12", "X \xC3\x86 A-12", "* * A***"},
      // cn_resident_id (GB 11643 check characters computed by the algorithm)
      {DataType::kCnResidentId, "11010519491231002X", "11010519491231002X", "110105********002X"},
      {DataType::kCnResidentId, "11010519491231002x", "11010519491231002X", "110105********002X"},
      {DataType::kCnResidentId, "440308199901010012", "440308199901010012", "440308********0012"},
      {DataType::kCnResidentId, "320106198008151239", "320106198008151239", "320106********1239"},
      {DataType::kCnResidentId, "11010520000229003X", "11010520000229003X", "110105********003X"},
      {DataType::kCnResidentId, "110105202506150013", "110105202506150013", "110105********0013"},
      {DataType::kCnResidentId, "11010519000101001X", "11010519000101001X", "110105********001X"},
      // passport
      {DataType::kPassport, "E12345678", "E12345678", "E1*****78"},
      {DataType::kPassport, "e 1234 5678", "E12345678", "E1*****78"},
      {DataType::kPassport, "L898902C3", "L898902C3", "L8*****C3"},
      {DataType::kPassport, "A1234", "A1234", "A***4"},
      {DataType::kPassport, "AB1234567890123456CD", "AB1234567890123456CD", "AB****************CD"},
      // driving_licence
      {DataType::kDrivingLicence, "1101051990123412", "1101051990123412", "1101********3412"},
      {DataType::kDrivingLicence, "MORGA753116SM9IJ", "MORGA753116SM9IJ", "MORG********M9IJ"},
      {DataType::kDrivingLicence, "d123-4567-8901", "D12345678901", "D12******901"},
      {DataType::kDrivingLicence, "A1234", "A1234", "A***4"},
      {DataType::kDrivingLicence, "440308 199901 010012", "440308199901010012",
       "4403**********0012"},
  };
}

// Phones, emails, addresses.
std::vector<ValidCase> ContactValidCases() {
  const std::string kIdeographicSpace = "\xE3\x80\x80";
  return {
      // phone
      {DataType::kPhone, "+86 138 0013 8000", "+8613800138000", "+86 138****8000"},
      {DataType::kPhone, "+86-138-0013-8000", "+8613800138000", "+86 138****8000"},
      {DataType::kPhone, "+1 (415) 555-2671", "+14155552671", "+1 ******2671"},
      {DataType::kPhone, "+852 2345 6789", "+85223456789", "+852 ****6789"},
      {DataType::kPhone, "+44 20 7946 0958", "+442079460958", "+44 ******0958"},
      {DataType::kPhone, "+7 495 123-45-67", "+74951234567", "+7 ******4567"},
      {DataType::kPhone, "+86 10 6552 9988", "+861065529988", "+86 ******9988"},
      {DataType::kPhone, "+886.2.2345.6789", "+886223456789", "+886 *****6789"},
      {DataType::kPhone, "+352 123 456", "+352123456", "+352 ***456"},
      // email
      {DataType::kEmail, "zhang.san@Example.COM", "zhang.san@example.com", "z***@example.com"},
      {DataType::kEmail, "  User+Tag@Mail.Example.co.uk\t", "User+Tag@mail.example.co.uk",
       "U***@mail.example.co.uk"},
      {DataType::kEmail, "a@b.cn", "a@b.cn", "a***@b.cn"},
      {DataType::kEmail, "o'brien@xn--fiqs8s.cn", "o'brien@xn--fiqs8s.cn", "o***@xn--fiqs8s.cn"},
      {DataType::kEmail, "first_last-1@sub-domain.example.org",
       "first_last-1@sub-domain.example.org", "f***@sub-domain.example.org"},
      // address
      {DataType::kAddress, "北京市朝阳区建国路88号", "北京市朝阳区建国路88号", "北京市朝阳区***"},
      {DataType::kAddress, "  1600 Amphitheatre Parkway, Mountain View, CA 94043  ",
       "1600 Amphitheatre Parkway, Mountain View, CA 94043", "1600 A***"},
      {DataType::kAddress, "上海", "上海", "上***"},
      {DataType::kAddress, kIdeographicSpace + "香港中環皇后大道中99號" + kIdeographicSpace,
       "香港中環皇后大道中99號", "香港中環皇后***"},
      {DataType::kAddress, "10 Downing St", "10 Downing St", "10 Dow***"},
      {DataType::kAddress, "Flat 1", "Flat 1", "Fla***"},
  };
}

// Bank cards, bank accounts, dates of birth.
std::vector<ValidCase> FinancialValidCases() {
  return {
      // bank_card (Luhn-valid test numbers)
      {DataType::kBankCard, "4111 1111 1111 1111", "4111111111111111", "************1111"},
      {DataType::kBankCard, "5500-0000-0000-0004", "5500000000000004", "************0004"},
      {DataType::kBankCard, "378282246310005", "378282246310005", "***********0005"},
      {DataType::kBankCard, "6222021234567890128", "6222021234567890128", "***************0128"},
      {DataType::kBankCard, "4222222222222", "4222222222222", "*********2222"},
      {DataType::kBankCard, "123456789015", "123456789015", "********9015"},
      // bank_account
      {DataType::kBankAccount, "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432",
       "******************5432"},
      {DataType::kBankAccount, "DE89370400440532013000", "DE89370400440532013000",
       "******************3000"},
      {DataType::kBankAccount, "fr14 2004 1010 0505 0001 3m02 606", "FR1420041010050500013M02606",
       "***********************2606"},
      {DataType::kBankAccount, "NL91ABNA0417164300", "NL91ABNA0417164300", "**************4300"},
      {DataType::kBankAccount, "6222-0212-3456-7890", "6222021234567890", "************7890"},
      {DataType::kBankAccount, "123456", "123456", "***456"},
      // date_of_birth
      {DataType::kDateOfBirth, "1990-01-31", "1990-01-31", "****-**-**"},
      {DataType::kDateOfBirth, "2000-02-29", "2000-02-29", "****-**-**"},
      {DataType::kDateOfBirth, "2024-02-29", "2024-02-29", "****-**-**"},
      {DataType::kDateOfBirth, "1850-01-01", "1850-01-01", "****-**-**"},
      {DataType::kDateOfBirth, "2025-06-15", "2025-06-15", "****-**-**"},
  };
}

// IP addresses, device ids, generic text.
std::vector<ValidCase> TechnicalValidCases() {
  return {
      // ip_address
      {DataType::kIpAddress, "192.168.1.10", "192.168.1.10", "192.168.*.*"},
      {DataType::kIpAddress, " 10.0.0.1\n", "10.0.0.1", "10.0.*.*"},
      {DataType::kIpAddress, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1",
       "2001:db8:*"},
      {DataType::kIpAddress, "2001:0DB8::0001", "2001:db8::1", "2001:db8:*"},
      {DataType::kIpAddress, "::1", "::1", "0:0:*"},
      {DataType::kIpAddress, "FE80::1FF:FE23:4567:890A", "fe80::1ff:fe23:4567:890a", "fe80:0:*"},
      {DataType::kIpAddress, "::ffff:192.0.2.128", "::ffff:192.0.2.128", "0:0:*"},
      {DataType::kIpAddress, "240e:3b0:abcd::1", "240e:3b0:abcd::1", "240e:3b0:*"},
      // device_id
      {DataType::kDeviceId, "490154203237518", "490154203237518", "***********7518"},
      {DataType::kDeviceId, "35-693803-564380-9", "356938035643809", "***********3809"},
      {DataType::kDeviceId, " 49 015420 323751 8 ", "490154203237518", "***********7518"},
      {DataType::kDeviceId, "123E4567-E89B-12D3-A456-426614174000",
       "123e4567-e89b-12d3-a456-426614174000", "********************************4000"},
      {DataType::kDeviceId, "f47ac10b-58cc-4372-a567-0e02b2c3d479",
       "f47ac10b-58cc-4372-a567-0e02b2c3d479", "********************************d479"},
      // generic
      {DataType::kGeneric, "hello", "hello", "***"},
      {DataType::kGeneric, "  keep  my spaces\n", "  keep  my spaces\n", "***"},
      {DataType::kGeneric, "任意文本 \xF0\x9F\x99\x82", "任意文本 \xF0\x9F\x99\x82", "***"},
      {DataType::kGeneric, "col1\tcol2", "col1\tcol2", "***"},
      {DataType::kGeneric, std::string(4096, 'x'), std::string(4096, 'x'), "***"},
  };
}

// Every valid case, in a fixed order (test names carry the index).
std::vector<ValidCase> ValidCases() {
  std::vector<ValidCase> all;
  for (auto group :
       {IdentityValidCases, ContactValidCases, FinancialValidCases, TechnicalValidCases}) {
    std::vector<ValidCase> cases = group();
    all.insert(all.end(), cases.begin(), cases.end());
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Invalid samples: each must be INVALID_ARGUMENT naming the rule.

// Person names, resident ids, passports, driving licences.
std::vector<InvalidCase> IdentityInvalidCases() {
  const std::string kIdeographicSpace = "\xE3\x80\x80";
  return {
      // person_name
      {DataType::kPersonName, "", "empty"},
      {DataType::kPersonName, "  " + kIdeographicSpace + " ", "empty"},
      {DataType::kPersonName, "John\tDoe", "control character"},
      {DataType::kPersonName, "Zoe\x7F", "control character"},
      {DataType::kPersonName,
       "\xC2\x85"
       "Anna",
       "control character"},                                      // U+0085 (C1)
      {DataType::kPersonName, "Ann\xC0\xAF", "not valid UTF-8"},  // overlong '/'
      {DataType::kPersonName,
       "\xED\xA0\x80"
       "abc",
       "not valid UTF-8"},                                             // surrogate U+D800
      {DataType::kPersonName, "\xF4\x90\x80\x80", "not valid UTF-8"},  // U+110000
      {DataType::kPersonName, "\xE5\xBC", "not valid UTF-8"},          // truncated
      {DataType::kPersonName,
       "\x80"
       "abc",
       "not valid UTF-8"},  // lone continuation
      {DataType::kPersonName, std::string(257, 'a'), "longer than 256 bytes"},
      // cn_resident_id (check characters correct unless the check is what is tested)
      {DataType::kCnResidentId, "11010519491231002", "must be 18 characters"},
      {DataType::kCnResidentId, "1101051949123100212", "must be 18 characters"},
      {DataType::kCnResidentId, " 11010519491231002X", "must be 18 characters"},
      {DataType::kCnResidentId, "11010519491231002Y", "last character must be a digit or X"},
      {DataType::kCnResidentId, "1101051949123100X2", "first 17 characters must be digits"},
      {DataType::kCnResidentId, "110105194912310021", "fails the GB 11643 check"},
      {DataType::kCnResidentId, "110105194902300012", "birth date is not a real calendar date"},
      {DataType::kCnResidentId, "110105189912310015", "birth year is before 1900"},
      {DataType::kCnResidentId, "110105202506160019", "birth date is in the future"},
      {DataType::kCnResidentId, "11010520300101001X", "birth date is in the future"},
      // passport
      {DataType::kPassport, "E123", "must be 5 to 20 letters or digits"},
      {DataType::kPassport, "E1234-5678", "must be 5 to 20 letters or digits"},
      {DataType::kPassport, "E1234_5678", "must be 5 to 20 letters or digits"},
      {DataType::kPassport,
       "\xC3\x89"
       "12345678",
       "must be 5 to 20 letters or digits"},
      {DataType::kPassport, "ABCDEFGHIJ1234567890K", "must be 5 to 20 letters or digits"},
      {DataType::kPassport, "     ", "must be 5 to 20 letters or digits"},
      // driving_licence
      {DataType::kDrivingLicence, "A123", "must be 5 to 20 letters or digits"},
      {DataType::kDrivingLicence, "D123_4567", "must be 5 to 20 letters or digits"},
      {DataType::kDrivingLicence, "D123/4567", "must be 5 to 20 letters or digits"},
      {DataType::kDrivingLicence, "ABCDEFGHIJ1234567890K", "must be 5 to 20 letters or digits"},
      {DataType::kDrivingLicence, "驾驶证12345", "must be 5 to 20 letters or digits"},
      {DataType::kDrivingLicence, "", "must be 5 to 20 letters or digits"},
  };
}

// Phones, emails, addresses.
std::vector<InvalidCase> ContactInvalidCases() {
  const std::string kIdeographicSpace = "\xE3\x80\x80";
  const std::string kLongDomain = Repeat(std::string(63, 'b') + ".", 3) + std::string(63, 'b');
  return {
      // phone
      {DataType::kPhone, "13800138000", "must start with +"},
      {DataType::kPhone, "", "must start with +"},
      {DataType::kPhone, "+86 138 0013 800", "China (+86) mobile numbers must be 11 digits"},
      {DataType::kPhone, "+86 120 0138 0000", "China (+86) mobile numbers must be 11 digits"},
      {DataType::kPhone, "+86 10 6552 998", "China (+86) 10 landline numbers must be 10 digits"},
      {DataType::kPhone, "+0 123 4567 89", "country code cannot start with 0"},
      {DataType::kPhone, "+123 4", "must have 8 to 15 digits"},
      {DataType::kPhone, "+1234567890123456", "must have 8 to 15 digits"},
      {DataType::kPhone, "+86 138 0013 800O", "must be + followed by digits only"},
      {DataType::kPhone, "++8613800138000", "must be + followed by digits only"},
      {DataType::kPhone, "+86/138/0013/8000", "must be + followed by digits only"},
      // email
      {DataType::kEmail, "zhang.san@example", "domain must contain a dot"},
      {DataType::kEmail, "zhang@@example.com", "must contain exactly one @"},
      {DataType::kEmail, "zhang.san.example.com", "must contain exactly one @"},
      {DataType::kEmail, "zhang san@example.com", "printable ASCII without spaces"},
      {DataType::kEmail, "张三@example.com", "printable ASCII without spaces"},
      {DataType::kEmail, "@example.com", "local part must be 1 to 64 characters"},
      {DataType::kEmail, std::string(65, 'a') + "@example.com",
       "local part must be 1 to 64 characters"},
      {DataType::kEmail, "zhang@-example.com", "domain labels must be"},
      {DataType::kEmail, "zhang@example-.com", "domain labels must be"},
      {DataType::kEmail, "zhang@exa_mple.com", "domain labels must be"},
      {DataType::kEmail, "zhang@example..com", "domain labels must be"},
      {DataType::kEmail, "zhang@example.com.", "domain labels must be"},
      {DataType::kEmail, "zhang@" + std::string(64, 'c') + ".com", "domain labels must be"},
      {DataType::kEmail, "a@" + kLongDomain, "longer than 254 characters"},
      // address
      {DataType::kAddress, "", "empty"},
      {DataType::kAddress, " \t\n " + kIdeographicSpace, "empty"},
      {DataType::kAddress, "Line 1\nLine 2", "control character"},
      {DataType::kAddress,
       "Rue de l'\xFF"
       "glise",
       "not valid UTF-8"},
      {DataType::kAddress, std::string(1025, 'a'), "longer than 1024 bytes"},
  };
}

// Bank cards, bank accounts, dates of birth.
std::vector<InvalidCase> FinancialInvalidCases() {
  return {
      // bank_card
      {DataType::kBankCard, "4111 1111 1111 1112", "fails the Luhn check"},
      {DataType::kBankCard, "5500000000000005", "fails the Luhn check"},
      {DataType::kBankCard, "41111111111", "must be 12 to 19 digits"},
      {DataType::kBankCard, "41111111111111111111", "must be 12 to 19 digits"},
      {DataType::kBankCard, "4111 1111 1111 111a", "must be 12 to 19 digits"},
      {DataType::kBankCard, "4111.1111.1111.1111", "must be 12 to 19 digits"},
      {DataType::kBankCard, "", "must be 12 to 19 digits"},
      // bank_account
      {DataType::kBankAccount, "GB82 WEST 1234 5698 7654 33", "fails the IBAN mod-97 check"},
      {DataType::kBankAccount, "DE89370400440532013001", "fails the IBAN mod-97 check"},
      {DataType::kBankAccount, "GB28WEST12345698765432", "fails the IBAN mod-97 check"},
      {DataType::kBankAccount, "12345", "must be an IBAN or 6 to 34 digits"},
      {DataType::kBankAccount, std::string(35, '7'), "must be an IBAN or 6 to 34 digits"},
      {DataType::kBankAccount, "ACCT-123456", "must be an IBAN or 6 to 34 digits"},
      {DataType::kBankAccount, "GB82WEST", "must be an IBAN or 6 to 34 digits"},
      // date_of_birth
      {DataType::kDateOfBirth, "2023-02-29", "not a real calendar date"},
      {DataType::kDateOfBirth, "1900-02-29", "not a real calendar date"},
      {DataType::kDateOfBirth, "1990-04-31", "not a real calendar date"},
      {DataType::kDateOfBirth, "1990-13-01", "not a real calendar date"},
      {DataType::kDateOfBirth, "1990-00-10", "not a real calendar date"},
      {DataType::kDateOfBirth, "1849-12-31", "year is before 1850"},
      {DataType::kDateOfBirth, "2025-06-16", "is in the future"},
      {DataType::kDateOfBirth, "1990-1-31", "must be YYYY-MM-DD"},
      {DataType::kDateOfBirth, "1990/01/31", "must be YYYY-MM-DD"},
      {DataType::kDateOfBirth, "19900131", "must be YYYY-MM-DD"},
      {DataType::kDateOfBirth, " 1990-01-31", "must be YYYY-MM-DD"},
      {DataType::kDateOfBirth, "+990-01-31", "must be YYYY-MM-DD"},
  };
}

// IP addresses, device ids, generic text.
std::vector<InvalidCase> TechnicalInvalidCases() {
  return {
      // ip_address
      {DataType::kIpAddress, "fe80::1%eth0", "zone ids are not accepted"},
      {DataType::kIpAddress, "256.1.1.1", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, "192.168.1", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, "192.168.01.1", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, "192.168.1.1/24", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, "2001:db8::1::2", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, "localhost", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, "", "not an IPv4 or IPv6 address"},
      {DataType::kIpAddress, std::string("10.0.0.1\0", 9), "not an IPv4 or IPv6 address"},
      // device_id
      {DataType::kDeviceId, "490154203237519", "IMEI fails the Luhn check"},
      {DataType::kDeviceId, "49015420323751", "must be a 15-digit IMEI or a UUID"},
      {DataType::kDeviceId, "123e4567e89b12d3a456426614174000",
       "must be a 15-digit IMEI or a UUID"},
      {DataType::kDeviceId, "123e4567-e89b-12d3-a456-42661417400g",
       "must be a 15-digit IMEI or a UUID"},
      {DataType::kDeviceId, "{123e4567-e89b-12d3-a456-426614174000}",
       "must be a 15-digit IMEI or a UUID"},
      {DataType::kDeviceId, "", "must be a 15-digit IMEI or a UUID"},
      // generic
      {DataType::kGeneric, "", "empty"},
      {DataType::kGeneric, std::string(4097, 'x'), "longer than 4096 bytes"},
      {DataType::kGeneric, "\xFF", "not valid UTF-8"},
      {DataType::kGeneric, std::string("abc\xC0\x80", 5), "not valid UTF-8"},  // overlong NUL
      {DataType::kGeneric, "\xF0\x82\x82\xAC", "not valid UTF-8"},             // overlong euro
      {DataType::kGeneric, "\xED\xBF\xBF", "not valid UTF-8"},                 // surrogate
      {DataType::kGeneric, "\xF5\x80\x80\x80", "not valid UTF-8"},             // > U+10FFFF
  };
}

// Every invalid case, in a fixed order (test names carry the index).
std::vector<InvalidCase> InvalidCases() {
  std::vector<InvalidCase> all;
  for (auto group :
       {IdentityInvalidCases, ContactInvalidCases, FinancialInvalidCases, TechnicalInvalidCases}) {
    std::vector<InvalidCase> cases = group();
    all.insert(all.end(), cases.begin(), cases.end());
  }
  return all;
}

template <typename Case>
std::string CaseName(const testing::TestParamInfo<Case>& info) {
  return std::string(vault::DataTypeName(info.param.type)) + "_" + std::to_string(info.index);
}

// ---------------------------------------------------------------------------------------------
// Table-driven tests

class ValidSampleTest : public testing::TestWithParam<ValidCase> {};

TEST_P(ValidSampleTest, NormalizesToExpectedForm) {
  const ValidCase& c = GetParam();
  absl::StatusOr<std::string> normalized = vault::Normalize(c.type, c.raw, kCtx);
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(*normalized, c.normalized);
}

TEST_P(ValidSampleTest, MasksNormalizedForm) {
  const ValidCase& c = GetParam();
  EXPECT_EQ(vault::Mask(c.type, c.normalized), c.masked);
}

TEST_P(ValidSampleTest, NormalizingTwiceIsStable) {
  const ValidCase& c = GetParam();
  absl::StatusOr<std::string> again = vault::Normalize(c.type, c.normalized, kCtx);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, c.normalized);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ValidSampleTest, testing::ValuesIn(ValidCases()),
                         CaseName<ValidCase>);

class InvalidSampleTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidSampleTest, IsInvalidArgumentNamingTheRule) {
  const InvalidCase& c = GetParam();
  absl::StatusOr<std::string> normalized = vault::Normalize(c.type, c.raw, kCtx);
  ASSERT_FALSE(normalized.ok());
  EXPECT_EQ(normalized.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(normalized.status().message());
  EXPECT_THAT(message, StartsWith(std::string(vault::DataTypeName(c.type)) + ": "));
  EXPECT_THAT(message, HasSubstr(c.rule));
}

// The error must not echo the input: not the whole value, not a run of four or more of its
// digits, and not any word (letters, digits and non-ASCII bytes) of four or more bytes.
TEST_P(InvalidSampleTest, MessageNeverContainsTheInput) {
  const InvalidCase& c = GetParam();
  absl::StatusOr<std::string> normalized = vault::Normalize(c.type, c.raw, kCtx);
  ASSERT_FALSE(normalized.ok());
  const std::string message(normalized.status().message());

  const std::string trimmed(absl::StripAsciiWhitespace(c.raw));
  if (trimmed.size() >= 3) {
    EXPECT_THAT(message, Not(HasSubstr(trimmed)));
  }

  std::string digits;
  for (char ch : c.raw) {
    if (ch >= '0' && ch <= '9') digits.push_back(ch);
  }
  for (size_t i = 0; i + 4 <= digits.size(); ++i) {
    EXPECT_THAT(message, Not(HasSubstr(digits.substr(i, 4))));
  }

  std::string word;
  const auto check_word = [&] {
    if (word.size() >= 4) {
      EXPECT_THAT(message, Not(HasSubstr(word)));
    }
    word.clear();
  };
  for (char ch : c.raw) {
    const auto byte = static_cast<unsigned char>(ch);
    if (std::isalnum(byte) || byte >= 0x80) {
      word.push_back(ch);
    } else {
      check_word();
    }
  }
  check_word();
}

INSTANTIATE_TEST_SUITE_P(AllTypes, InvalidSampleTest, testing::ValuesIn(InvalidCases()),
                         CaseName<InvalidCase>);

TEST(DataTypeSamplesTest, EveryTypeHasSeveralValidAndInvalidSamples) {
  for (DataType type : vault::AllDataTypes()) {
    int valid = 0;
    int invalid = 0;
    for (const ValidCase& c : ValidCases()) valid += c.type == type ? 1 : 0;
    for (const InvalidCase& c : InvalidCases()) invalid += c.type == type ? 1 : 0;
    EXPECT_GE(valid, 4) << vault::DataTypeName(type);
    EXPECT_GE(invalid, 4) << vault::DataTypeName(type);
  }
}

}  // namespace
