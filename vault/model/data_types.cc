// Data-type catalog: validation, normalisation, masking and keyed views per type.
// Thread-safety: all functions are pure and thread-safe. Never logs; error messages name the
// rule broken and never contain the input value or any part of it.
#include "vault/model/data_types.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "base/strings.h"

namespace vault {
namespace {

constexpr std::string_view kHashedViewDomain = "vaultd:hashed:v1";
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000, UTF-8.
constexpr std::string_view kUnmaskable = "***";

constexpr size_t kMaxPersonNameBytes = 256;
constexpr size_t kMaxAddressBytes = 1024;
constexpr size_t kMaxGenericBytes = 4096;
constexpr size_t kMaxEmailChars = 254;
constexpr size_t kMaxEmailLocalChars = 64;
constexpr size_t kMaxDomainLabelChars = 63;

// The error for a broken rule: "<type>: <rule>". Never pass anything derived from the input.
absl::Status RuleBroken(DataType type, std::string_view rule) {
  return absl::InvalidArgumentError(Cat(DataTypeName(type), ": ", rule));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }
bool IsHexDigit(char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); }
int DigitValue(char c) { return c - '0'; }

bool Contains(std::string_view s, char c) { return s.find(c) != std::string_view::npos; }

bool IsAsciiWhitespace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

std::string_view TrimAsciiWhitespace(std::string_view s) {
  while (!s.empty() && IsAsciiWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return out;
}

void ToUpperAscii(std::string* s) {
  for (char& c : *s) c = absl::ascii_toupper(static_cast<unsigned char>(c));
}

// Splits `s` at every `separator`, keeping empty pieces.
std::vector<std::string_view> SplitOn(std::string_view s, char separator) {
  std::vector<std::string_view> pieces;
  while (true) {
    const size_t at = s.find(separator);
    pieces.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return pieces;
    s.remove_prefix(at + 1);
  }
}

bool AllDigits(std::string_view s) { return std::all_of(s.begin(), s.end(), IsDigit); }
bool AllAlnum(std::string_view s) { return std::all_of(s.begin(), s.end(), IsAlnum); }

// Parses a short run of ASCII digits (the caller has checked them).
int ParseSmallNumber(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + DigitValue(c);
  return value;
}

// `s` without any of the characters in `remove`.
std::string RemoveChars(std::string_view s, std::string_view remove) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (remove.find(c) == std::string_view::npos) out.push_back(c);
  }
  return out;
}

std::string Stars(size_t n) { return std::string(n, '*'); }

// Masks show at most half of the characters that identify a value, except
// where a national format says otherwise: resident IDs keep region code and
// last four, Chinese-length mobiles keep 3 + 4 digits, e-mail keeps the domain.
// `s` with every character except the last min(4, half) replaced by '*'.
// Values of four characters or fewer (never valid for these types) are
// starred entirely.
std::string KeepLastFour(std::string_view s) {
  if (s.size() <= 4) return Stars(s.size());
  const size_t keep = std::min<size_t>(4, s.size() / 2);
  return Cat(Stars(s.size() - keep), s.substr(s.size() - keep));
}

// ---------------------------------------------------------------------------------------------
// UTF-8

struct CodePoint {
  char32_t value;
  std::string_view bytes;  // Its encoding, a view into the decoded string.
};

// Decodes one code point at the start of `s`. Returns its length in bytes, or 0 if `s` does not
// start with a well-formed UTF-8 sequence (overlong forms, surrogates and values above U+10FFFF
// are ill-formed).
size_t DecodeOneCodePoint(std::string_view s, char32_t* out) {
  if (s.empty()) return 0;
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t length;
  char32_t value;
  char32_t min_value;
  if (lead < 0x80) {
    *out = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
    min_value = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    min_value = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    min_value = 0x10000;
  } else {
    return 0;  // A continuation byte, an overlong two-byte lead (C0, C1), or F5..FF.
  }
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < min_value) return 0;                   // Overlong.
  if (value >= 0xD800 && value <= 0xDFFF) return 0;  // Surrogate.
  if (value > 0x10FFFF) return 0;                    // Beyond Unicode.
  *out = value;
  return length;
}

// Decodes all of `s` into `out`. False if `s` is not well-formed UTF-8.
bool DecodeUtf8(std::string_view s, std::vector<CodePoint>* out) {
  out->clear();
  while (!s.empty()) {
    char32_t value;
    const size_t length = DecodeOneCodePoint(s, &value);
    if (length == 0) return false;
    out->push_back({value, s.substr(0, length)});
    s.remove_prefix(length);
  }
  return true;
}

// Unicode general category Cc: C0 controls, DEL and C1 controls.
bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool HasControl(const std::vector<CodePoint>& code_points) {
  return std::any_of(code_points.begin(), code_points.end(),
                     [](const CodePoint& cp) { return IsControl(cp.value); });
}

// Strips ASCII whitespace and U+3000 (ideographic space) from both ends, in any mix.
std::string_view TrimText(std::string_view s) {
  while (true) {
    const size_t before = s.size();
    s = TrimAsciiWhitespace(s);
    while (s.starts_with(kIdeographicSpace)) s.remove_prefix(kIdeographicSpace.size());
    while (s.ends_with(kIdeographicSpace)) s.remove_suffix(kIdeographicSpace.size());
    if (s.size() == before) return s;
  }
}

// Validates free text: well-formed UTF-8, trimmed, non-empty, no control characters, at most
// `max_bytes` after trimming.
absl::StatusOr<std::string_view> ValidateText(DataType type, std::string_view raw,
                                              size_t max_bytes) {
  // Trimming removes only well-formed sequences (ASCII whitespace, U+3000), so decoding the
  // trimmed text validates all of `raw`.
  const std::string_view trimmed = TrimText(raw);
  if (trimmed.empty()) return RuleBroken(type, "empty");
  std::vector<CodePoint> code_points;
  if (!DecodeUtf8(trimmed, &code_points)) return RuleBroken(type, "not valid UTF-8");
  if (HasControl(code_points)) return RuleBroken(type, "contains a control character");
  if (trimmed.size() > max_bytes) {
    return RuleBroken(type, Cat("longer than ", std::to_string(max_bytes), " bytes"));
  }
  return trimmed;
}

// ---------------------------------------------------------------------------------------------
// Dates

// True if year-month-day is a real calendar date; stores it in `out`.
bool MakeCalendarDate(int year, int month, int day, absl::CivilDay* out) {
  const absl::CivilDay date(year, month, day);  // Normalises out-of-range fields.
  if (date.year() != year || date.month() != month || date.day() != day) return false;
  *out = date;
  return true;
}

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
    return RuleBroken(type,
                      Cat("longer than ", std::to_string(kMaxPersonNameBytes), " bytes"));
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
  if (absl::Status s = ValidateE164(number, &parts); !s.ok()) return s;
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

// ---------------------------------------------------------------------------------------------
// Per-type masks. Each accepts any input and shows no more than its rule allows.

std::string MaskPersonName(std::string_view normalized) {
  std::string out;
  std::vector<CodePoint> code_points;
  for (std::string_view word : SplitOn(normalized, ' ')) {
    if (!DecodeUtf8(word, &code_points)) return std::string(kUnmaskable);
    if (!out.empty()) out.push_back(' ');
    if (code_points.size() <= 1) {
      out.append(Stars(code_points.size()));
    } else {
      out.append(code_points[0].bytes).append(Stars(code_points.size() - 1));
    }
  }
  return out;
}

std::string MaskCnResidentId(std::string_view normalized) {
  if (normalized.size() != 18) return std::string(kUnmaskable);
  return Cat(normalized.substr(0, 6), Stars(8), normalized.substr(14));
}

std::string MaskPassport(std::string_view normalized) {
  if (normalized.size() < 5) return std::string(kUnmaskable);
  const size_t keep = std::min<size_t>(2, normalized.size() / 4);
  return Cat(normalized.substr(0, keep), Stars(normalized.size() - 2 * keep),
             normalized.substr(normalized.size() - keep));
}

std::string MaskDrivingLicence(std::string_view normalized) {
  if (normalized.size() < 5) return std::string(kUnmaskable);
  const size_t keep = std::min<size_t>(4, normalized.size() / 4);
  return Cat(normalized.substr(0, keep), Stars(normalized.size() - 2 * keep),
                 normalized.substr(normalized.size() - keep));
}

std::string MaskPhone(std::string_view normalized) {
  absl::StatusOr<PhoneParts> parts = SplitE164(normalized);
  if (!parts.ok()) return std::string(kUnmaskable);
  const std::string_view national = parts->national_number;
  std::string masked_national;
  if (national.size() >= 11) {  // e.g. Chinese mobiles: 138****8000
    masked_national =
        Cat(national.substr(0, 3), Stars(national.size() - 7), national.substr(national.size() - 4));
  } else {
    masked_national = KeepLastFour(national);
  }
  return Cat("+", parts->country_code, " ", masked_national);
}

std::string MaskEmail(std::string_view normalized) {
  const size_t at = normalized.find('@');
  if (at == 0 || at == std::string_view::npos ||
      static_cast<unsigned char>(normalized[0]) >= 0x80) {
    return std::string(kUnmaskable);
  }
  return Cat(normalized.substr(0, 1), "***@", normalized.substr(at + 1));
}

std::string MaskAddress(std::string_view normalized) {
  std::vector<CodePoint> code_points;
  if (!DecodeUtf8(normalized, &code_points) || code_points.empty()) {
    return std::string(kUnmaskable);
  }
  const size_t keep = std::min<size_t>(6, code_points.size() / 2);
  std::string out;
  for (size_t i = 0; i < keep; ++i) out.append(code_points[i].bytes);
  out.append("***");
  return out;
}

// `value` in lowercase hex without leading zeros, as inet_ntop prints an IPv6 group.
std::string LowerHex(unsigned value) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return out;
}

std::string MaskIpAddress(std::string_view normalized) {
  if (normalized.size() >= INET6_ADDRSTRLEN || Contains(normalized, '\0')) {
    return std::string(kUnmaskable);
  }
  const std::string text(normalized);
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    const auto* b = reinterpret_cast<const unsigned char*>(&v4.s_addr);  // Network order.
    return Cat(std::to_string(b[0]), ".", std::to_string(b[1]), ".*.*");
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    // The first two 16-bit groups as canonical text prints them (lowercase hex, no leading
    // zeros); a group elided by "::" is 0, so "::1" masks to "0:0:*".
    const unsigned char* b = v6.s6_addr;
    const unsigned group0 = (unsigned{b[0]} << 8) | b[1];
    const unsigned group1 = (unsigned{b[2]} << 8) | b[3];
    return Cat(LowerHex(group0), ":", LowerHex(group1), ":*");
  }
  return std::string(kUnmaskable);
}

}  // namespace

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kPersonName:
      return "person_name";
    case DataType::kCnResidentId:
      return "cn_resident_id";
    case DataType::kPassport:
      return "passport";
    case DataType::kDrivingLicence:
      return "driving_licence";
    case DataType::kPhone:
      return "phone";
    case DataType::kEmail:
      return "email";
    case DataType::kAddress:
      return "address";
    case DataType::kBankCard:
      return "bank_card";
    case DataType::kBankAccount:
      return "bank_account";
    case DataType::kDateOfBirth:
      return "date_of_birth";
    case DataType::kIpAddress:
      return "ip_address";
    case DataType::kDeviceId:
      return "device_id";
    case DataType::kGeneric:
      return "generic";
  }
  return "generic";  // Unreachable for valid enumerators.
}

absl::StatusOr<DataType> ParseDataType(std::string_view name) {
  for (DataType type : AllDataTypes()) {
    if (DataTypeName(type) == name) return type;
  }
  return absl::InvalidArgumentError("unknown data type");
}

const std::vector<DataType>& AllDataTypes() {
  static const auto* const kAll = new std::vector<DataType>{
      DataType::kPersonName,     DataType::kCnResidentId, DataType::kPassport,
      DataType::kDrivingLicence, DataType::kPhone,        DataType::kEmail,
      DataType::kAddress,        DataType::kBankCard,     DataType::kBankAccount,
      DataType::kDateOfBirth,    DataType::kIpAddress,    DataType::kDeviceId,
      DataType::kGeneric,
  };
  return *kAll;
}

bool IsLowEntropy(DataType type) {
  switch (type) {
    case DataType::kPersonName:
    case DataType::kEmail:
    case DataType::kAddress:
    case DataType::kGeneric:
      return false;
    case DataType::kCnResidentId:
    case DataType::kPassport:
    case DataType::kDrivingLicence:
    case DataType::kPhone:
    case DataType::kBankCard:
    case DataType::kBankAccount:
    case DataType::kDateOfBirth:
    case DataType::kIpAddress:
    case DataType::kDeviceId:
      return true;
  }
  return true;
}

absl::StatusOr<std::string> Normalize(DataType type, std::string_view raw,
                                      const ValidationContext& ctx) {
  switch (type) {
    case DataType::kPersonName:
      return NormalizePersonName(raw);
    case DataType::kCnResidentId:
      return NormalizeCnResidentId(raw, ctx);
    case DataType::kPassport:
      return NormalizeDocumentNumber(type, raw, " ");
    case DataType::kDrivingLicence:
      return NormalizeDocumentNumber(type, raw, " -");
    case DataType::kPhone:
      return NormalizePhone(raw);
    case DataType::kEmail:
      return NormalizeEmail(raw);
    case DataType::kAddress:
      return NormalizeAddress(raw);
    case DataType::kBankCard:
      return NormalizeBankCard(raw);
    case DataType::kBankAccount:
      return NormalizeBankAccount(raw);
    case DataType::kDateOfBirth:
      return NormalizeDateOfBirth(raw, ctx);
    case DataType::kIpAddress:
      return NormalizeIpAddress(raw);
    case DataType::kDeviceId:
      return NormalizeDeviceId(raw);
    case DataType::kGeneric:
      return NormalizeGeneric(raw);
  }
  return absl::InvalidArgumentError("unknown data type");
}

std::string Mask(DataType type, std::string_view normalized) {
  if (normalized.empty()) return std::string(kUnmaskable);
  switch (type) {
    case DataType::kPersonName:
      return MaskPersonName(normalized);
    case DataType::kCnResidentId:
      return MaskCnResidentId(normalized);
    case DataType::kPassport:
      return MaskPassport(normalized);
    case DataType::kDrivingLicence:
      return MaskDrivingLicence(normalized);
    case DataType::kPhone:
      return MaskPhone(normalized);
    case DataType::kEmail:
      return MaskEmail(normalized);
    case DataType::kAddress:
      return MaskAddress(normalized);
    case DataType::kBankCard:
    case DataType::kBankAccount:
    case DataType::kDeviceId:
      return KeepLastFour(normalized);
    case DataType::kDateOfBirth:
      return "****-**-**";
    case DataType::kIpAddress:
      return MaskIpAddress(normalized);
    case DataType::kGeneric:
      return std::string(kUnmaskable);
  }
  return std::string(kUnmaskable);
}

absl::StatusOr<std::string> HashedView(DataType type, std::string_view normalized,
                                       const crypto::SecretBytes& key) {
  constexpr std::string_view kSeparator("\0", 1);
  const std::string message =
      Cat(kHashedViewDomain, kSeparator, DataTypeName(type), kSeparator, normalized);
  absl::StatusOr<std::string> tag = crypto::HmacSha256(key, message);
  if (!tag.ok()) return tag.status();
  return crypto::HexEncode(*tag);
}

bool LuhnValid(std::string_view digits) {
  if (digits.size() < 2 || !AllDigits(digits)) return false;
  int sum = 0;
  bool double_it = false;  // Every second digit from the right, starting at the check digit's left.
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = DigitValue(*it);
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

char LuhnCheckDigit(std::string_view digits_without_check) {
  if (!AllDigits(digits_without_check)) return '\0';
  // With the check digit appended, the digit just left of it is doubled.
  int sum = 0;
  bool double_it = true;
  for (auto it = digits_without_check.rbegin(); it != digits_without_check.rend(); ++it) {
    int d = DigitValue(*it);
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

absl::StatusOr<PhoneParts> SplitE164(std::string_view normalized_phone) {
  PhoneParts parts;
  if (absl::Status s = ValidateE164(normalized_phone, &parts); !s.ok()) return s;
  return parts;
}

absl::StatusOr<std::string> RevealValue(DataType type, std::string_view normalized,
                                        RevealLevel reveal, const crypto::SecretBytes* hash_key) {
  switch (reveal) {
    case RevealLevel::kPlain: return std::string(normalized);
    case RevealLevel::kMasked: return Mask(type, normalized);
    case RevealLevel::kHashed:
      if (hash_key == nullptr) return absl::InternalError("hashed reveal needs the hash key");
      return HashedView(type, normalized, *hash_key);
    case RevealLevel::kTokenOnly: return std::string();
  }
  return std::string();
}

}  // namespace vault
