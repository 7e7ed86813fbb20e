// Identifier rules, storage key encodings and AEAD associated-data encodings.
// Thread-safety: pure functions. Identifiers are not personal data: tenant,
// subject and field ids are pseudonymous names chosen by the caller, and the
// validators below keep them to a charset that cannot hold an e-mail address.
#ifndef VAULT_MODEL_RECORD_KEYS_H_
#define VAULT_MODEL_RECORD_KEYS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace vault {

// Tenant ids: 1-64 of a-z 0-9 - _ (API.md).
[[nodiscard]] absl::Status ValidateTenantId(std::string_view tenant);
// Subject ids: 1-128 of A-Z a-z 0-9 . _ - (no '@', no spaces).
[[nodiscard]] absl::Status ValidateSubjectId(std::string_view subject);
// Field names: 1-64 of a-z 0-9 _ .
[[nodiscard]] absl::Status ValidateFieldName(std::string_view field);

// Storage keys. The separator \0 cannot occur in a valid id, so a subject's
// prefix never matches another subject whose id merely starts the same.
std::string SubjectKey(std::string_view tenant, std::string_view subject);
std::string SubjectPrefix(std::string_view tenant, std::string_view subject);  // ends in \0
std::string FieldKey(std::string_view tenant, std::string_view subject, std::string_view field);
std::string TenantPrefix(std::string_view tenant);  // ends in \0
// Table tokens: tenant \0 fingerprint (16 bytes).
std::string TokenKey(std::string_view tenant, std::string_view fingerprint);
// Table blind_index: tenant \0 hash (32 bytes) subject \0 field. The hash has
// a fixed size, so BlindIndexPrefix(tenant, hash) selects exactly one value.
std::string BlindIndexPrefix(std::string_view tenant, std::string_view hash);
std::string BlindIndexKey(std::string_view tenant, std::string_view hash, std::string_view subject,
                          std::string_view field);

// Table shred_ledger: the marker that a subject was crypto-shredded.
std::string ShreddedKey(std::string_view tenant, std::string_view subject);
// Table shred_ledger: holds, erasure records and their indexes.
std::string HoldKey(std::string_view tenant, std::string_view subject, std::string_view hold_id);
std::string HoldPrefix(std::string_view tenant, std::string_view subject);
std::string ErasureKey(std::string_view erasure_id);
std::string PendingKey(int64_t due_ms, std::string_view erasure_id);  // due erasures, by time
std::string SubjectErasureKey(std::string_view tenant, std::string_view subject);
// A retention class's fields kept after a subject's erasure, and their
// expiry index (by time).
std::string RetainedKey(std::string_view tenant, std::string_view subject, std::string_view cls);
std::string RetainedPrefix(std::string_view tenant, std::string_view subject);
std::string RetentionDueKey(int64_t expires_ms, std::string_view tenant, std::string_view subject,
                            std::string_view cls);
// The id under which a retention class's key and fields of an erased
// subject are stored: subject \x01 class. \x01 cannot occur in a subject id,
// so it never collides with a subject, and SubjectLocks maps it to the
// subject's own lock.
std::string RetentionHolder(std::string_view subject, std::string_view cls);
// The id under which a subject's audit key (subject_pseudonyms.h) is
// stored: subject \x02. Like a retention holder, it never collides with a
// subject and shares its subject's lock.
std::string AuditKeyHolder(std::string_view subject);
// Table ledger: a subject's consent rows ("consent" \0 tenant \0 subject \0),
// and every consent row of a tenant ("consent" \0 tenant \0).
std::string ConsentPrefix(std::string_view tenant, std::string_view subject);
std::string ConsentTenantPrefix(std::string_view tenant);
// Table meta: a tenant's retention classes.
std::string RetentionClassKey(std::string_view tenant, std::string_view cls);
std::string RetentionClassPrefix(std::string_view tenant);
// RFC 3339 UTC with milliseconds and Z.
std::string Rfc3339Ms(int64_t unix_ms);

// Unambiguous associated data: a domain label and parts, each length-prefixed,
// so ("ab","c") and ("a","bc") never collide.
std::string AssociatedData(std::string_view label, std::initializer_list<std::string_view> parts);

// Little helpers for binding numbers into associated data and keys
// (big-endian, so encoded numbers sort like the numbers).
std::string EncodeU32(uint32_t v);
std::string EncodeU64(uint64_t v);
uint64_t DecodeU64(std::string_view bytes);  // REQUIRES: bytes.size() == 8
// A list as one unambiguous part: count, then each item length-prefixed.
std::string EncodeList(const std::vector<std::string>& items);

}  // namespace vault

#endif  // VAULT_MODEL_RECORD_KEYS_H_
