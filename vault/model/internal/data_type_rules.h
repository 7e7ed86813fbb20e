// The data-type catalog's parts, shared by data_types.cc (the public
// dispatch), data_type_text.cc (character classes, UTF-8, free text, dates),
// data_type_normalizers.cc (one validator/normaliser per type) and
// data_type_masks.cc (one masker per type).
// Thread-safety: pure functions. Error messages name the rule broken and
// never contain the input value or any part of it.
#ifndef VAULT_INTERNAL_MODEL
#error "vault/model/internal/ is private to vault_model; include vault/model/data_types.h"
#endif
#ifndef VAULT_MODEL_INTERNAL_DATA_TYPE_RULES_H_
#define VAULT_MODEL_INTERNAL_DATA_TYPE_RULES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "vault/model/data_types.h"

namespace vault::model_internal {

// What a value that cannot be masked shows.
inline constexpr std::string_view kUnmaskable = "***";

// --- Characters and text (data_type_text.cc) --------------------------------

// The error for a broken rule: "<type>: <rule>". Never pass anything derived from the input.
absl::Status RuleBroken(DataType type, std::string_view rule);

bool IsDigit(char c);
bool IsAlnum(char c);
bool IsHexDigit(char c);
int DigitValue(char c);
bool Contains(std::string_view s, char c);
bool IsAsciiWhitespace(char c);
std::string_view TrimAsciiWhitespace(std::string_view s);
std::string ToLowerAscii(std::string_view s);
void ToUpperAscii(std::string* s);
// Splits `s` at every `separator`, keeping empty pieces.
std::vector<std::string_view> SplitOn(std::string_view s, char separator);
bool AllDigits(std::string_view s);
bool AllAlnum(std::string_view s);
// Parses a short run of ASCII digits (the caller has checked them).
int ParseSmallNumber(std::string_view digits);
// `s` without any of the characters in `remove`.
std::string RemoveChars(std::string_view s, std::string_view remove);
std::string Stars(size_t n);
// `s` with every character except the last min(4, half) replaced by '*';
// values of four characters or fewer are starred entirely.
std::string KeepLastFour(std::string_view s);

struct CodePoint {
  char32_t value;
  std::string_view bytes;  // Its encoding, a view into the decoded string.
};
// Decodes all of `s` into `out`. False if `s` is not well-formed UTF-8.
bool DecodeUtf8(std::string_view s, std::vector<CodePoint>* out);
bool HasControl(const std::vector<CodePoint>& code_points);
// Strips ASCII whitespace and U+3000 (ideographic space) from both ends, in any mix.
std::string_view TrimText(std::string_view s);
// Validates free text: well-formed UTF-8, trimmed, non-empty, no control
// characters, at most `max_bytes` after trimming.
absl::StatusOr<std::string_view> ValidateText(DataType type, std::string_view raw,
                                              size_t max_bytes);
// True if year-month-day is a real calendar date; stores it in `out`.
bool MakeCalendarDate(int year, int month, int day, absl::CivilDay* out);

// --- Per-type normalisation (data_type_normalizers.cc) ----------------------

// Validates a phone number already stripped of separators: '+' then 8-15
// digits, a known country-code shape, and China's mobile/landline shapes.
// Fills `parts` on success.
absl::Status ValidateE164(std::string_view number, PhoneParts* parts);

absl::StatusOr<std::string> NormalizePersonName(std::string_view raw);
absl::StatusOr<std::string> NormalizeCnResidentId(std::string_view raw,
                                                  const ValidationContext& ctx);
// Passport and driving-licence numbers: 5-20 ASCII letters/digits, upper-cased.
absl::StatusOr<std::string> NormalizeDocumentNumber(DataType type, std::string_view raw,
                                                    std::string_view separators);
absl::StatusOr<std::string> NormalizePhone(std::string_view raw);
absl::StatusOr<std::string> NormalizeEmail(std::string_view raw);
absl::StatusOr<std::string> NormalizeAddress(std::string_view raw);
absl::StatusOr<std::string> NormalizeBankCard(std::string_view raw);
absl::StatusOr<std::string> NormalizeBankAccount(std::string_view raw);
absl::StatusOr<std::string> NormalizeDateOfBirth(std::string_view raw,
                                                 const ValidationContext& ctx);
absl::StatusOr<std::string> NormalizeIpAddress(std::string_view raw);
absl::StatusOr<std::string> NormalizeDeviceId(std::string_view raw);
absl::StatusOr<std::string> NormalizeGeneric(std::string_view raw);

// --- Per-type masks (data_type_masks.cc) -------------------------------------
// Each accepts any input and shows no more than its rule allows.

std::string MaskPersonName(std::string_view normalized);
std::string MaskCnResidentId(std::string_view normalized);
std::string MaskPassport(std::string_view normalized);
std::string MaskDrivingLicence(std::string_view normalized);
std::string MaskPhone(std::string_view normalized);
std::string MaskEmail(std::string_view normalized);
std::string MaskAddress(std::string_view normalized);
std::string MaskIpAddress(std::string_view normalized);

}  // namespace vault::model_internal

#endif  // VAULT_MODEL_INTERNAL_DATA_TYPE_RULES_H_
