// Access report message and check.
#include "vault/audit/access_report.h"

#include "absl/strings/str_join.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

bool Clean(std::string_view text) {
  return text.find('\t') == std::string_view::npos && text.find('\n') == std::string_view::npos;
}

}  // namespace

AccessReportEntry AccessReportEntryOf(const records::AuditEntry& e) {
  AccessReportEntry out;
  out.seq = e.seq();
  out.time = Rfc3339Ms(e.time_unix_ms());
  out.principal = e.principal();
  out.action = e.action();
  out.subject_ref = e.subject_ref();
  out.types.assign(e.types().begin(), e.types().end());
  out.purpose = e.purpose();
  out.outcome = e.outcome();
  out.reason = e.reason();
  out.request_id = e.request_id();
  out.hash = crypto::HexEncode(e.hash());
  return out;
}

absl::StatusOr<std::string> AccessReportMessage(const AccessReport& r) {
  std::vector<std::string> lines = {"vaultd-access-report-v1",
                                    r.tenant,
                                    r.subject,
                                    r.residency,
                                    r.since,
                                    r.until,
                                    r.generated_at,
                                    std::to_string(r.entries.size())};
  for (const std::string& line : lines) {
    if (!Clean(line)) return absl::InvalidArgumentError("access report: a field holds a tab");
  }
  for (const AccessReportEntry& e : r.entries) {
    for (const std::string& t : e.types) {
      if (!Clean(t) || t.find(',') != std::string::npos) {
        return absl::InvalidArgumentError("access report: a type holds a tab or comma");
      }
    }
    std::vector<std::string> fields = {std::to_string(e.seq),
                                       e.time,
                                       e.principal,
                                       e.action,
                                       e.subject_ref,
                                       absl::StrJoin(e.types, ","),
                                       e.purpose,
                                       e.outcome,
                                       e.reason,
                                       e.request_id,
                                       e.hash};
    for (const std::string& f : fields) {
      if (!Clean(f)) return absl::InvalidArgumentError("access report: a field holds a tab");
    }
    lines.push_back(absl::StrJoin(fields, "\t"));
  }
  return absl::StrJoin(lines, "\n");
}

absl::Status VerifyAccessReport(const AccessReport& report, std::string_view public_key) {
  absl::StatusOr<std::string> message = AccessReportMessage(report);
  if (!message.ok()) return message.status();
  return crypto::VerifySignature(public_key, *message, report.signature);
}

}  // namespace vault
