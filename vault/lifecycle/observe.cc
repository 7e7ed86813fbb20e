// Read-only views of the lifecycle for GET /metrics: erasures past their due
// time and rewrap jobs by state. Both read persisted records only (no key).
#include <algorithm>

#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/lifecycle/rewrap_jobs.h"
#include "vault/model/record_keys.h"

namespace vault {

absl::StatusOr<SubjectLifecycle::DueErasures> SubjectLifecycle::CountDue() {
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  const std::string_view sep("\0", 1);
  const std::string start = Cat("pending", sep);
  // The index key is start + 8-byte big-endian due time + erasure id.
  std::vector<std::pair<int64_t, std::string>> due;
  RETURN_IF_ERROR(options_.kv->ScanRange(
      storage::Table::kLedger, start, PendingKey(now_ms + 1, ""),
      [&](std::string_view key, std::string_view) {
        if (key.size() < start.size() + 8) return true;
        uint64_t due_ms = 0;
        for (size_t i = 0; i < 8; ++i) {
          due_ms = (due_ms << 8) | static_cast<uint8_t>(key[start.size() + i]);
        }
        due.emplace_back(static_cast<int64_t>(due_ms), std::string(key.substr(start.size() + 8)));
        return true;
      }));
  DueErasures out;
  for (const auto& [due_ms, id] : due) {
    absl::StatusOr<std::string> stored = options_.kv->Get(storage::Table::kLedger, ErasureKey(id));
    records::ErasureRecord erasure;
    if (!stored.ok() || !erasure.ParseFromString(*stored) || erasure.state() != "pending") {
      continue;
    }
    ++out.count;
    absl::StatusOr<bool> held = HasHold(erasure.tenant(), erasure.subject());
    if (held.ok() && *held) ++out.held;
    out.oldest_due_unix_ms =
        out.oldest_due_unix_ms == 0 ? due_ms : std::min(out.oldest_due_unix_ms, due_ms);
  }
  return out;
}

absl::StatusOr<RewrapJobs::Stats> RewrapJobs::GetStats() {
  Stats stats;
  RETURN_IF_ERROR(options_.kv->ScanPrefix(
      storage::Table::kMeta, "job/", [&](std::string_view, std::string_view value) {
        records::RewrapJob job;
        if (!job.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
        if (job.state() == "failed") ++stats.failed;
        if (job.state() != "running") return true;
        ++stats.running;
        stats.running_keys_done += job.done();
        const int64_t created = job.created_at_unix_ms();
        if (stats.oldest_running_created_unix_ms == 0 ||
            created < stats.oldest_running_created_unix_ms) {
          stats.oldest_running_created_unix_ms = created;
        }
        return true;
      }));
  return stats;
}

}  // namespace vault
