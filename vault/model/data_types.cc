// Data-type catalog: validation, normalisation, masking and keyed views per type.
// Thread-safety: all functions are pure and thread-safe. Never logs; error messages name the
// rule broken and never contain the input value or any part of it.
#include "vault/model/data_types.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "vault/model/internal/data_type_rules.h"

namespace vault {

// The per-type rules (normalisers, masks, character classes) live in
// vault/model/internal/data_type_rules.h.
using namespace model_internal;  // NOLINT(build/namespaces)

namespace {

constexpr std::string_view kHashedViewDomain = "vaultd:hashed:v1";

}  // namespace

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kPersonName: return "person_name";
    case DataType::kCnResidentId: return "cn_resident_id";
    case DataType::kPassport: return "passport";
    case DataType::kDrivingLicence: return "driving_licence";
    case DataType::kPhone: return "phone";
    case DataType::kEmail: return "email";
    case DataType::kAddress: return "address";
    case DataType::kBankCard: return "bank_card";
    case DataType::kBankAccount: return "bank_account";
    case DataType::kDateOfBirth: return "date_of_birth";
    case DataType::kIpAddress: return "ip_address";
    case DataType::kDeviceId: return "device_id";
    case DataType::kGeneric: return "generic";
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
    case DataType::kGeneric: return false;
    case DataType::kCnResidentId:
    case DataType::kPassport:
    case DataType::kDrivingLicence:
    case DataType::kPhone:
    case DataType::kBankCard:
    case DataType::kBankAccount:
    case DataType::kDateOfBirth:
    case DataType::kIpAddress:
    case DataType::kDeviceId: return true;
  }
  return true;
}

absl::StatusOr<std::string> Normalize(DataType type, std::string_view raw,
                                      const ValidationContext& ctx) {
  switch (type) {
    case DataType::kPersonName: return NormalizePersonName(raw);
    case DataType::kCnResidentId: return NormalizeCnResidentId(raw, ctx);
    case DataType::kPassport: return NormalizeDocumentNumber(type, raw, " ");
    case DataType::kDrivingLicence: return NormalizeDocumentNumber(type, raw, " -");
    case DataType::kPhone: return NormalizePhone(raw);
    case DataType::kEmail: return NormalizeEmail(raw);
    case DataType::kAddress: return NormalizeAddress(raw);
    case DataType::kBankCard: return NormalizeBankCard(raw);
    case DataType::kBankAccount: return NormalizeBankAccount(raw);
    case DataType::kDateOfBirth: return NormalizeDateOfBirth(raw, ctx);
    case DataType::kIpAddress: return NormalizeIpAddress(raw);
    case DataType::kDeviceId: return NormalizeDeviceId(raw);
    case DataType::kGeneric: return NormalizeGeneric(raw);
  }
  return absl::InvalidArgumentError("unknown data type");
}

std::string Mask(DataType type, std::string_view normalized) {
  if (normalized.empty()) return std::string(kUnmaskable);
  switch (type) {
    case DataType::kPersonName: return MaskPersonName(normalized);
    case DataType::kCnResidentId: return MaskCnResidentId(normalized);
    case DataType::kPassport: return MaskPassport(normalized);
    case DataType::kDrivingLicence: return MaskDrivingLicence(normalized);
    case DataType::kPhone: return MaskPhone(normalized);
    case DataType::kEmail: return MaskEmail(normalized);
    case DataType::kAddress: return MaskAddress(normalized);
    case DataType::kBankCard:
    case DataType::kBankAccount:
    case DataType::kDeviceId: return KeepLastFour(normalized);
    case DataType::kDateOfBirth: return "****-**-**";
    case DataType::kIpAddress: return MaskIpAddress(normalized);
    case DataType::kGeneric: return std::string(kUnmaskable);
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
  RETURN_IF_ERROR(ValidateE164(normalized_phone, &parts));
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
