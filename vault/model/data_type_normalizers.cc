// Data types: one validator/normaliser per type. Error messages name the
// rule broken and never contain the input value or any part of it.
#include "vault/model/internal/data_type_rules.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"

namespace vault::model_internal {

namespace {

constexpr size_t kMaxPersonNameBytes = 256;
constexpr size_t kMaxAddressBytes = 1024;
constexpr size_t kMaxGenericBytes = 4096;
constexpr size_t kMaxEmailChars = 254;
constexpr size_t kMaxEmailLocalChars = 64;
constexpr size_t kMaxDomainLabelChars = 63;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Per-type normalisation

absl::StatusOr<std::string> NormalizePersonName(std::string_view raw) {
  const DataType type = DataType::kPersonName;
  absl::StatusOr<std::string_view> text = ValidateText(type, raw, SIZE_MAX);
  if (!text.ok()) return text.status();
  // Collapse inner runs of ASCII spaces; a space byte is never part of a multi-byte sequence.
  std::string out;
  out.reserve(text->size());
  for (char c : *text) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  if (out.size() > kMaxPersonNameBytes) {
    return RuleBroken(type, Cat("longer than ", std::to_string(kMaxPersonNameBytes), " bytes"));
  }
  return out;
}

// GB 11643-1999 check character for the first 17 digits of a resident ID.
char ResidentIdCheckCharacter(std::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr std::string_view kCheckCharacters = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += DigitValue(first17[i]) * kWeights[i];
  return kCheckCharacters[static_cast<size_t>(sum % 11)];
}

absl::StatusOr<std::string> NormalizeCnResidentId(std::string_view raw,
                                                  const ValidationContext& ctx) {
  const DataType type = DataType::kCnResidentId;
  if (raw.size() != 18) return RuleBroken(type, "must be 18 characters");
  std::string id(raw);
  if (!AllDigits(std::string_view(id).substr(0, 17))) {
    return RuleBroken(type, "first 17 characters must be digits");
  }
  if (id[17] == 'x') id[17] = 'X';
  if (!IsDigit(id[17]) && id[17] != 'X') {
    return RuleBroken(type, "last character must be a digit or X");
  }
  if (ResidentIdCheckCharacter(id) != id[17]) {
    return RuleBroken(type, "fails the GB 11643 check");
  }
  const std::string_view birth = std::string_view(id).substr(6, 8);
  absl::CivilDay birth_date;
  const int birth_year = ParseSmallNumber(birth.substr(0, 4));
  if (!MakeCalendarDate(birth_year, ParseSmallNumber(birth.substr(4, 2)),
                        ParseSmallNumber(birth.substr(6, 2)), &birth_date)) {
    return RuleBroken(type, "birth date is not a real calendar date");
  }
  if (birth_year < 1900) return RuleBroken(type, "birth year is before 1900");
  if (birth_date > ctx.today) return RuleBroken(type, "birth date is in the future");
  return id;
}

// Passport and driving-licence numbers: 5-20 ASCII letters/digits, upper-cased.
absl::StatusOr<std::string> NormalizeDocumentNumber(DataType type, std::string_view raw,
                                                    std::string_view separators) {
  std::string number = RemoveChars(raw, separators);
  if (number.size() < 5 || number.size() > 20 || !AllAlnum(number)) {
    return RuleBroken(type, "must be 5 to 20 letters or digits");
  }
  ToUpperAscii(&number);
  return number;
}

// Length of the ITU-T E.164 country code at the start of `digits` (a leading '0' is rejected
// before this is called).
size_t CountryCodeLength(std::string_view digits) {
  static constexpr int kTwoDigitCodes[] = {
      20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
      55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98};
  if (digits[0] == '1' || digits[0] == '7') return 1;
  const int two = ParseSmallNumber(digits.substr(0, 2));
  if (std::find(std::begin(kTwoDigitCodes), std::end(kTwoDigitCodes), two) !=
      std::end(kTwoDigitCodes)) {
    return 2;
  }
  return 3;
}

// Validates a phone number already stripped of separators: '+' then 8-15 digits, a known
// country-code shape, and China's mobile/landline shapes. Fills `parts` on success.
absl::Status ValidateE164(std::string_view number, PhoneParts* parts) {
  const DataType type = DataType::kPhone;
  if (!number.starts_with('+')) return RuleBroken(type, "must start with +");
  number.remove_prefix(1);
  if (!AllDigits(number)) return RuleBroken(type, "must be + followed by digits only");
  if (number.size() < 8 || number.size() > 15) return RuleBroken(type, "must have 8 to 15 digits");
  if (number[0] == '0') return RuleBroken(type, "country code cannot start with 0");
  const size_t cc_length = CountryCodeLength(number);
  const std::string_view country_code = number.substr(0, cc_length);
  const std::string_view national = number.substr(cc_length);
  if (national.size() < 4) return RuleBroken(type, "national number is shorter than 4 digits");
  if (country_code == "86" && national[0] == '1') {
    if (national[1] == '0') {
      // Beijing landlines: area code 10 then an 8-digit local number.
      if (national.size() != 10) {
        return RuleBroken(type, "China (+86) 10 landline numbers must be 10 digits");
      }
    } else if (national.size() != 11 || national[1] < '3') {
      return RuleBroken(type, "China (+86) mobile numbers must be 11 digits starting 13-19");
    }
  }
  parts->country_code = std::string(country_code);
  parts->national_number = std::string(national);
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizePhone(std::string_view raw) {
  std::string number = RemoveChars(raw, " -.()");
  PhoneParts parts;
  RETURN_IF_ERROR(ValidateE164(number, &parts));
  return number;
}

bool IsValidDomainLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxDomainLabelChars) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

absl::StatusOr<std::string> NormalizeEmail(std::string_view raw) {
  const DataType type = DataType::kEmail;
  const std::string_view email = TrimAsciiWhitespace(raw);
  if (email.size() > kMaxEmailChars) return RuleBroken(type, "longer than 254 characters");
  if (!std::all_of(email.begin(), email.end(), [](char c) { return c > ' ' && c < 0x7F; })) {
    return RuleBroken(type, "must be printable ASCII without spaces");
  }
  const size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return RuleBroken(type, "must contain exactly one @");
  }
  const std::string_view local = email.substr(0, at);
  const std::string_view domain = email.substr(at + 1);
  if (local.empty() || local.size() > kMaxEmailLocalChars) {
    return RuleBroken(type, "local part must be 1 to 64 characters");
  }
  if (domain.find('.') == std::string_view::npos) {
    return RuleBroken(type, "domain must contain a dot");
  }
  for (std::string_view label : SplitOn(domain, '.')) {
    if (!IsValidDomainLabel(label)) {
      return RuleBroken(type, "domain labels must be 1 to 63 letters, digits or inner hyphens");
    }
  }
  return Cat(local, "@", ToLowerAscii(domain));
}

absl::StatusOr<std::string> NormalizeAddress(std::string_view raw) {
  absl::StatusOr<std::string_view> text = ValidateText(DataType::kAddress, raw, kMaxAddressBytes);
  if (!text.ok()) return text.status();
  return std::string(*text);
}

absl::StatusOr<std::string> NormalizeBankCard(std::string_view raw) {
  const DataType type = DataType::kBankCard;
  std::string digits = RemoveChars(raw, " -");
  if (digits.size() < 12 || digits.size() > 19 || !AllDigits(digits)) {
    return RuleBroken(type, "must be 12 to 19 digits");
  }
  if (!LuhnValid(digits)) return RuleBroken(type, "fails the Luhn check");
  return digits;
}

// Two letters, two digits, then 11-30 letters/digits (ISO 13616 shape).
bool IsIbanShaped(std::string_view s) {
  if (s.size() < 15 || s.size() > 34) return false;
  return absl::ascii_isupper(static_cast<unsigned char>(s[0])) &&
         absl::ascii_isupper(static_cast<unsigned char>(s[1])) && IsDigit(s[2]) && IsDigit(s[3]) &&
         AllAlnum(s.substr(4));
}

// ISO 13616 / ISO 7064 mod 97-10: move the first four characters to the end, read letters as
// 10..35, and the resulting number mod 97 must be 1. REQUIRES: IsIbanShaped(iban).
bool IbanChecksumValid(std::string_view iban) {
  const std::string rearranged = Cat(iban.substr(4), iban.substr(0, 4));
  int remainder = 0;
  for (char c : rearranged) {
    if (IsDigit(c)) {
      remainder = (remainder * 10 + DigitValue(c)) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return remainder == 1;
}

absl::StatusOr<std::string> NormalizeBankAccount(std::string_view raw) {
  const DataType type = DataType::kBankAccount;
  std::string account = RemoveChars(raw, " -");
  ToUpperAscii(&account);
  if (IsIbanShaped(account)) {
    if (!IbanChecksumValid(account)) return RuleBroken(type, "fails the IBAN mod-97 check");
    return account;
  }
  if (account.size() < 6 || account.size() > 34 || !AllDigits(account)) {
    return RuleBroken(type, "must be an IBAN or 6 to 34 digits");
  }
  return account;
}

absl::StatusOr<std::string> NormalizeDateOfBirth(std::string_view raw,
                                                 const ValidationContext& ctx) {
  const DataType type = DataType::kDateOfBirth;
  if (raw.size() != 10 || raw[4] != '-' || raw[7] != '-' || !AllDigits(raw.substr(0, 4)) ||
      !AllDigits(raw.substr(5, 2)) || !AllDigits(raw.substr(8, 2))) {
    return RuleBroken(type, "must be YYYY-MM-DD");
  }
  const int year = ParseSmallNumber(raw.substr(0, 4));
  absl::CivilDay date;
  if (!MakeCalendarDate(year, ParseSmallNumber(raw.substr(5, 2)),
                        ParseSmallNumber(raw.substr(8, 2)), &date)) {
    return RuleBroken(type, "not a real calendar date");
  }
  if (year < 1850) return RuleBroken(type, "year is before 1850");
  if (date > ctx.today) return RuleBroken(type, "is in the future");
  return std::string(raw);
}

absl::StatusOr<std::string> NormalizeIpAddress(std::string_view raw) {
  const DataType type = DataType::kIpAddress;
  const std::string_view trimmed = TrimAsciiWhitespace(raw);
  if (Contains(trimmed, '%')) return RuleBroken(type, "zone ids are not accepted");
  // The longest textual IPv6 address (with an embedded IPv4 tail) is 45 characters.
  if (trimmed.empty() || trimmed.size() >= INET6_ADDRSTRLEN || Contains(trimmed, '\0')) {
    return RuleBroken(type, "not an IPv4 or IPv6 address");
  }
  const std::string text(trimmed);  // inet_pton needs a NUL-terminated string.
  char printed[INET6_ADDRSTRLEN] = {};
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    if (inet_ntop(AF_INET, &v4, printed, sizeof(printed)) == nullptr) {
      return RuleBroken(type, "not an IPv4 or IPv6 address");
    }
    return std::string(printed);
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (inet_ntop(AF_INET6, &v6, printed, sizeof(printed)) == nullptr) {
      return RuleBroken(type, "not an IPv4 or IPv6 address");
    }
    return std::string(printed);
  }
  return RuleBroken(type, "not an IPv4 or IPv6 address");
}

// 8-4-4-4-12 hex digits separated by dashes.
bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? s[i] != '-' : !IsHexDigit(s[i])) return false;
  }
  return true;
}

absl::StatusOr<std::string> NormalizeDeviceId(std::string_view raw) {
  const DataType type = DataType::kDeviceId;
  const std::string_view trimmed = TrimAsciiWhitespace(raw);
  if (IsUuid(trimmed)) return ToLowerAscii(trimmed);
  std::string imei = RemoveChars(trimmed, " -");
  if (imei.size() != 15 || !AllDigits(imei)) {
    return RuleBroken(type, "must be a 15-digit IMEI or a UUID");
  }
  if (!LuhnValid(imei)) return RuleBroken(type, "IMEI fails the Luhn check");
  return imei;
}

absl::StatusOr<std::string> NormalizeGeneric(std::string_view raw) {
  const DataType type = DataType::kGeneric;
  if (raw.empty()) return RuleBroken(type, "empty");
  if (raw.size() > kMaxGenericBytes) return RuleBroken(type, "longer than 4096 bytes");
  std::vector<CodePoint> code_points;
  if (!DecodeUtf8(raw, &code_points)) return RuleBroken(type, "not valid UTF-8");
  return std::string(raw);
}

}  // namespace vault::model_internal
