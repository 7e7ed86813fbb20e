// Data types: character classes, UTF-8 decoding, free-text validation and
// calendar dates shared by the per-type normalisers and masks.
#include "vault/model/internal/data_type_rules.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "base/strings.h"

namespace vault::model_internal {

namespace {
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000, UTF-8.
}  // namespace

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

}  // namespace vault::model_internal
