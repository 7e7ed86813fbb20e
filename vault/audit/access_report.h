// Access reports: every audited access to one subject in a period, as a
// document signed with the vault's Ed25519 key (the receipt key), so a data
// subject (or whoever answers for them) can check it offline
// (`vaultctl report verify`). The signature covers AccessReportMessage: the
// UTF-8 lines below joined by "\n", no trailing newline:
//   vaultd-access-report-v1, tenant, subject, residency, since, until,
//   generated_at, the entry count, then one line per entry with its fields
//   joined by "\t": seq, time, principal, action, subject_ref, types (joined
//   by ","), purpose, outcome, reason, request_id, hash (hex).
// Times are RFC 3339 UTC; an open `since` is "". No field may hold a tab or
// a newline (audit text never does); a report whose fields do is refused.
// Thread-safety: pure functions.
#ifndef VAULT_AUDIT_ACCESS_REPORT_H_
#define VAULT_AUDIT_ACCESS_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vault/model/records.pb.h"

namespace vault {

struct AccessReportEntry {
  uint64_t seq = 0;
  std::string time;
  std::string principal;
  std::string action;
  std::string subject_ref;
  std::vector<std::string> types;
  std::string purpose;
  std::string outcome;
  std::string reason;
  std::string request_id;
  std::string hash;  // hex of the entry's chain hash
};

struct AccessReport {
  std::string tenant;
  std::string subject;
  std::string residency;
  std::string since;  // "" = from the first entry
  std::string until;
  std::string generated_at;
  std::vector<AccessReportEntry> entries;
  std::string signature;   // raw 64 bytes
  std::string public_key;  // raw 32 bytes
};

// One report line from a stored audit entry.
AccessReportEntry AccessReportEntryOf(const records::AuditEntry& entry);

// The signed message; INVALID_ARGUMENT when a field holds a tab or newline.
[[nodiscard]] absl::StatusOr<std::string> AccessReportMessage(const AccessReport& report);

// OK when `report.signature` verifies under `public_key` (the vault's key,
// obtained out of band: the key inside a report proves nothing by itself).
[[nodiscard]] absl::Status VerifyAccessReport(const AccessReport& report,
                                              std::string_view public_key);

}  // namespace vault

#endif  // VAULT_AUDIT_ACCESS_REPORT_H_
