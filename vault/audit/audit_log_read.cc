// AuditLog's reads for callers: the filtered query (Find) and the raw
// export of the chain (Export).
#include <algorithm>
#include <memory>

#include "vault/audit/audit_log.h"

namespace vault {

absl::StatusOr<AuditPage> AuditLog::Find(const AuditQuery& query) {
  AuditPage page;
  const size_t limit = std::clamp<size_t>(query.limit, 1, 1000);
  const std::optional<int64_t> since =
      query.since ? std::optional<int64_t>(absl::ToUnixMillis(*query.since)) : std::nullopt;
  const std::optional<int64_t> until =
      query.until ? std::optional<int64_t>(absl::ToUnixMillis(*query.until)) : std::nullopt;
  std::optional<std::string> ref;
  if (!query.subject.empty() && resolve_) {
    absl::StatusOr<std::optional<std::string>> resolved = resolve_(query.tenant, query.subject);
    if (!resolved.ok()) return resolved.status();
    ref = std::move(*resolved);
  }
  absl::Status s =
      kv_->ScanRange(storage::Table::kAudit, EntryKey(query.after_seq + 1), "f",
                     [&](std::string_view, std::string_view value) {
                       records::AuditEntry e;
                       if (!e.ParseFromArray(value.data(), static_cast<int>(value.size())))
                         return true;
                       if (e.tenant() != query.tenant) return true;
                       if (!query.subject.empty()) {
                         const bool by_ref = ref.has_value() && e.subject_ref() == *ref;
                         if (!by_ref && e.subject() != query.subject) return true;
                         if (by_ref) e.set_subject(query.subject);
                       }
                       if (!query.principal.empty() && e.principal() != query.principal)
                         return true;
                       if (!query.action.empty() && e.action() != query.action) return true;
                       if (since && e.time_unix_ms() < *since) return true;
                       if (until && e.time_unix_ms() >= *until) return true;
                       if (page.entries.size() == limit) {
                         page.next_after_seq = page.entries.back().seq();
                         return false;
                       }
                       page.entries.push_back(std::move(e));
                       return true;
                     });
  if (!s.ok()) return s;
  return page;
}

absl::StatusOr<AuditExportPage> AuditLog::Export(uint64_t after_seq, size_t limit) {
  AuditExportPage page;
  std::shared_ptr<const storage::Snapshot> snapshot = kv_->GetSnapshot();
  uint64_t last = after_seq;
  absl::Status corrupt;
  absl::Status s = kv_->ScanRange(
      storage::Table::kAudit, EntryKey(after_seq + 1), "f",
      [&](std::string_view, std::string_view value) {
        if (page.entries.size() == limit) {
          page.next_after_seq = last;
          return false;
        }
        records::AuditEntry e;
        if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          corrupt = absl::DataLossError("audit entry is corrupt");
          return false;
        }
        last = e.seq();
        page.entries.push_back(std::move(e));
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  if (!corrupt.ok()) return corrupt;
  s = kv_->ScanRange(
      storage::Table::kAudit, CheckpointKey(after_seq + 1), CheckpointKey(last + 1),
      [&](std::string_view, std::string_view value) {
        records::AuditCheckpoint c;
        if (!c.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          corrupt = absl::DataLossError("audit checkpoint is corrupt");
          return false;
        }
        page.checkpoints.push_back(std::move(c));
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  if (!corrupt.ok()) return corrupt;
  return page;
}

}  // namespace vault
