// Identifier validation and key/associated-data encodings.
#include "vault/model/record_keys.h"

#include "absl/time/time.h"
#include "base/strings.h"

namespace vault {
namespace {

bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

absl::Status CheckId(std::string_view what, std::string_view id, size_t max_len,
                     bool (*allowed)(char)) {
  if (id.empty() || id.size() > max_len) {
    return absl::InvalidArgumentError(Cat(what, " must be 1-", max_len, " characters"));
  }
  for (char c : id) {
    if (!allowed(c)) {
      return absl::InvalidArgumentError(Cat(what, " has a character outside its charset"));
    }
  }
  return absl::OkStatus();
}

void AppendLengthPrefixed(std::string& out, std::string_view part) {
  out += EncodeU32(static_cast<uint32_t>(part.size()));
  out.append(part);
}

}  // namespace

absl::Status ValidateTenantId(std::string_view tenant) {
  return CheckId("tenant id", tenant, 64,
                 [](char c) { return IsLowerOrDigit(c) || c == '-' || c == '_'; });
}

absl::Status ValidateSubjectId(std::string_view subject) {
  return CheckId("subject id", subject, 128, [](char c) {
    return IsLowerOrDigit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
  });
}

absl::Status ValidateFieldName(std::string_view field) {
  return CheckId("field name", field, 64, [](char c) { return IsLowerOrDigit(c) || c == '_'; });
}

std::string SubjectKey(std::string_view tenant, std::string_view subject) {
  return Cat(tenant, std::string_view("\0", 1), subject);
}

std::string SubjectPrefix(std::string_view tenant, std::string_view subject) {
  return Cat(tenant, std::string_view("\0", 1), subject, std::string_view("\0", 1));
}

std::string FieldKey(std::string_view tenant, std::string_view subject, std::string_view field) {
  return Cat(SubjectPrefix(tenant, subject), field);
}

std::string TenantPrefix(std::string_view tenant) { return Cat(tenant, std::string_view("\0", 1)); }

std::string TokenKey(std::string_view tenant, std::string_view fingerprint) {
  return Cat(TenantPrefix(tenant), fingerprint);
}

std::string BlindIndexPrefix(std::string_view tenant, std::string_view hash) {
  return Cat(TenantPrefix(tenant), hash);
}

std::string BlindIndexKey(std::string_view tenant, std::string_view hash, std::string_view subject,
                          std::string_view field) {
  return Cat(BlindIndexPrefix(tenant, hash), subject, std::string_view("\0", 1), field);
}

std::string ShreddedKey(std::string_view tenant, std::string_view subject) {
  return Cat("shredded", std::string_view("\0", 1), SubjectKey(tenant, subject));
}

std::string AssociatedData(std::string_view label, std::initializer_list<std::string_view> parts) {
  std::string out = "vaultd/";
  AppendLengthPrefixed(out, label);
  for (std::string_view part : parts) AppendLengthPrefixed(out, part);
  return out;
}

std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

uint64_t DecodeU64(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes.substr(0, 8)) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

std::string EncodeList(const std::vector<std::string>& items) {
  std::string out = EncodeU32(static_cast<uint32_t>(items.size()));
  for (const std::string& item : items) AppendLengthPrefixed(out, item);
  return out;
}

std::string EncodeU32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

}  // namespace vault

namespace vault {
namespace {
const std::string_view kSep("\0", 1);
}  // namespace

std::string HoldKey(std::string_view tenant, std::string_view subject, std::string_view hold_id) {
  return Cat("hold", kSep, SubjectKey(tenant, subject), kSep, hold_id);
}
std::string HoldPrefix(std::string_view tenant, std::string_view subject) {
  return Cat("hold", kSep, SubjectKey(tenant, subject), kSep);
}
std::string ErasureKey(std::string_view id) { return Cat("erasure", kSep, id); }
std::string PendingKey(int64_t due_ms, std::string_view id) {
  return Cat("pending", kSep, EncodeU64(static_cast<uint64_t>(due_ms)), id);
}
std::string SubjectErasureKey(std::string_view tenant, std::string_view subject) {
  return Cat("subject-erasure", kSep, SubjectKey(tenant, subject));
}
std::string RetainedKey(std::string_view tenant, std::string_view subject, std::string_view cls) {
  return Cat(RetainedPrefix(tenant, subject), cls);
}
std::string RetainedPrefix(std::string_view tenant, std::string_view subject) {
  return Cat("retained", kSep, SubjectKey(tenant, subject), kSep);
}
std::string RetentionDueKey(int64_t expires_ms, std::string_view tenant, std::string_view subject,
                            std::string_view cls) {
  return Cat("retention-due", kSep, EncodeU64(static_cast<uint64_t>(expires_ms)),
             SubjectKey(tenant, subject), kSep, cls);
}
std::string RetentionHolder(std::string_view subject, std::string_view cls) {
  return Cat(subject, std::string_view("\x01", 1), cls);
}
std::string ConsentPrefix(std::string_view tenant, std::string_view subject) {
  return Cat("consent", std::string_view("\0", 1), SubjectKey(tenant, subject),
             std::string_view("\0", 1));
}
std::string ConsentTenantPrefix(std::string_view tenant) {
  return Cat("consent", std::string_view("\0", 1), TenantPrefix(tenant));
}
std::string AuditKeyHolder(std::string_view subject) {
  return Cat(subject, std::string_view("\x02", 1));
}
std::string RetentionClassKey(std::string_view tenant, std::string_view cls) {
  return Cat(RetentionClassPrefix(tenant), cls);
}
std::string RetentionClassPrefix(std::string_view tenant) {
  return Cat("retention-class", kSep, tenant, kSep);
}
std::string Rfc3339Ms(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace vault
