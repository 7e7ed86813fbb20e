// Internal to vaultd: the mapping of vault records to API (wire) messages,
// and the small parsers of path and query text the route handlers share, so
// each is written once. Pure functions: safe from any thread.
// Never logs; error texts are fixed and never echo the input.
#ifndef VAULT_API_WIRE_H_
#define VAULT_API_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.pb.h"
#include "vault/backup/backup.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/model/data_types.h"
#include "vault/model/records.pb.h"
#include "vault/model/reveal.h"

namespace vault::api {

// ---- text
// UTC, millisecond precision: 2026-01-02T03:04:05.678Z.
std::string Rfc3339(absl::Time t);
std::string Rfc3339FromUnixMillis(int64_t unix_ms);
// Splits on every `sep`; empty pieces are kept ("a,,b" -> a, "", b).
std::vector<std::string> Split(std::string_view s, char sep);
// Percent-decoding; in a query string (`query`) '+' also stands for a space.
// False on a malformed escape.
bool Unescape(std::string_view in, bool query, std::string* out);
// A reveal level by name; empty means "masked".
[[nodiscard]] absl::StatusOr<RevealLevel> RevealLevelOrMasked(std::string_view name);

// ---- numbers in query parameters. Two contracts exist and both are kept:
// /v1/tenants/{tenant}/audit takes plain decimal digits ("<key>: not a
// number"); /v1/sys/audit/export takes what absl::SimpleAtoi accepts
// ("<key> must be a whole number").
[[nodiscard]] absl::Status ParseDecimalDigits(std::string_view key, std::string_view value,
                                              uint64_t* out);
[[nodiscard]] absl::Status ParseWholeNumber(std::string_view key, std::string_view value,
                                            uint64_t* out);

// ---- records -> wire
v1::AuditEntryView AuditEntryViewOf(const records::AuditEntry& e);
v1::JobResponse JobView(const records::RewrapJob& job);
v1::KeyList KeyListOf(const std::vector<KekInfo>& keys);
v1::Tenant TenantView(const TenantInfo& info);
v1::RoleList RoleListOf(const std::vector<records::RoleRecord>& roles);
// The stored role for `name` from a PUT body.
records::RoleRecord RoleRecordOf(const std::string& name, const v1::Role& in);
v1::RetentionClass RetentionClassView(const records::RetentionClassRecord& r);
v1::HoldResponse HoldView(const records::HoldRecord& hold);
v1::BackupResponse BackupView(const std::string& name, const BackupSummary& summary);
// A field as returned to the caller; `value` is moved from.
void SetFieldView(DataType type, std::string& value, std::string_view reveal, v1::FieldView* out);
// The erasure without its retained records (see AddRetained).
v1::ErasureResponse ErasureViewOf(const records::ErasureRecord& e);
void AddRetained(const std::vector<records::RetainedRecord>& retained, v1::ErasureResponse* out);

}  // namespace vault::api

#endif  // VAULT_API_WIRE_H_
