// Scheduled shred epochs: the markers of erasures no epoch has covered yet,
// the end of a job (its final record, the tenant's EpochRecord, the markers
// it covered) and the scheduler's choice of due epochs.
#include <algorithm>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/lifecycle/internal/epoch_markers.h"
#include "vault/lifecycle/rewrap_jobs.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace lifecycle_internal {
namespace {

constexpr std::string_view kDuePrefix = "epoch-due/";
const std::string_view kNul("\0", 1);

}  // namespace

std::string EpochDuePrefix(std::string_view tenant) { return Cat(kDuePrefix, tenant, kNul); }
std::string EpochJobPrefix(std::string_view job_id) { return Cat("epoch-job/", job_id, kNul); }
std::string EpochRecordKey(std::string_view tenant) { return Cat("epoch/", tenant); }

void AddEpochDueMarker(std::string_view tenant, std::string_view erasure_id, int64_t shredded_at_ms,
                       storage::WriteBatch* batch) {
  batch->Put(
      storage::Table::kMeta,
      Cat(EpochDuePrefix(tenant),
          EncodeU64(static_cast<uint64_t>(std::max<int64_t>(shredded_at_ms, 0))), erasure_id),
      "");
}

absl::StatusOr<size_t> AddMarkerMoves(storage::KvStore& kv, std::string_view from_prefix,
                                      std::string_view to_prefix, storage::WriteBatch* batch) {
  size_t moved = 0;
  RETURN_IF_ERROR(kv.ScanPrefix(
      storage::Table::kMeta, from_prefix, [&](std::string_view key, std::string_view) {
        batch->Delete(storage::Table::kMeta, key);
        if (!to_prefix.empty()) {
          batch->Put(storage::Table::kMeta, Cat(to_prefix, key.substr(from_prefix.size())), "");
        }
        ++moved;
        return true;
      }));
  return moved;
}

}  // namespace lifecycle_internal

namespace {

// How long a tenant whose scheduled epoch failed waits for the next one.
absl::Duration FailedEpochBackoff(absl::Duration interval) {
  return std::min(interval, absl::Minutes(10));
}

}  // namespace

void RewrapJobs::Finish(records::RewrapJob& job, const absl::Status& result) {
  using lifecycle_internal::EpochJobPrefix;
  const int64_t finished_ms = absl::ToUnixMillis(options_.clock->Now());
  job.set_state(result.ok() ? "done" : "failed");
  if (result.ok()) job.set_done(job.total());
  if (!result.ok()) job.set_error(std::string(result.message()));
  job.set_finished_at_unix_ms(finished_ms);
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, RewrapJobKey(job.job_id()), job.SerializeAsString());
  // Done: the markers the job covered go. Failed: they are due again.
  absl::StatusOr<size_t> markers = lifecycle_internal::AddMarkerMoves(
      *options_.kv, EpochJobPrefix(job.job_id()),
      result.ok() ? "" : lifecycle_internal::EpochDuePrefix(job.tenant()), &batch);
  if (result.ok()) {
    records::EpochRecord epoch;
    epoch.set_closed_at_unix_ms(finished_ms);
    epoch.set_job_id(job.job_id());
    epoch.set_kek_version(job.target_version());
    batch.Put(storage::Table::kMeta, lifecycle_internal::EpochRecordKey(job.tenant()),
              epoch.SerializeAsString());
  }
  // If the markers cannot be read or the write fails, nothing is written:
  // the job stays running and ResumeInterrupted finishes it again.
  if (!markers.ok() || !options_.kv->Write(batch).ok()) return;
  if (!result.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    retry_after_[job.tenant()] =
        absl::FromUnixMillis(finished_ms) + FailedEpochBackoff(options_.epoch_interval);
    return;
  }
  if (options_.on_epoch_closed) {
    absl::Status hooked = options_.on_epoch_closed(job);
    if (!hooked.ok()) {
      job.set_error(Cat("epoch closed; the step after it failed: ", hooked.message()));
      (void)Persist(job);
    }
  }
}

absl::StatusOr<std::map<std::string, int64_t>> RewrapJobs::OldestDueMarkers() {
  const std::string prefix(lifecycle_internal::EpochDuePrefix(""));
  const std::string base = prefix.substr(0, prefix.size() - 1);  // "epoch-due/"
  const std::string end = storage::PrefixSuccessor(base);
  std::map<std::string, int64_t> oldest;
  std::string from = base;
  for (;;) {
    std::string key;
    RETURN_IF_ERROR(options_.kv->ScanRange(storage::Table::kMeta, from, end,
                                           [&](std::string_view k, std::string_view) {
                                             key = std::string(k);
                                             return false;
                                           }));
    if (key.empty()) break;
    const std::string_view rest = std::string_view(key).substr(base.size());
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos || rest.size() < nul + 1 + 8) {
      from = Cat(key, std::string_view("\0", 1));  // malformed: the next key
      continue;
    }
    const std::string tenant(rest.substr(0, nul));
    oldest[tenant] = static_cast<int64_t>(DecodeU64(rest.substr(nul + 1, 8)));
    // The tenant's first key is its oldest; skip the rest of its markers.
    from = storage::PrefixSuccessor(lifecycle_internal::EpochDuePrefix(tenant));
  }
  return oldest;
}

absl::StatusOr<int> RewrapJobs::StartDueEpochs() {
  if (options_.keys == nullptr || options_.committer == nullptr) {
    return absl::FailedPreconditionError("scheduled epochs need the keys and the committer");
  }
  if (options_.epoch_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the epoch interval must be positive");
  }
  ASSIGN_OR_RETURN(auto oldest, OldestDueMarkers());
  const absl::Time now = options_.clock->Now();
  int started = 0;
  for (const auto& entry : oldest) {
    const std::string& tenant = entry.first;
    if (absl::FromUnixMillis(entry.second) + options_.epoch_interval > now) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      const bool running =
          std::any_of(active_.begin(), active_.end(),
                      [&](const auto& id_and_tenant) { return id_and_tenant.second == tenant; });
      auto retry = retry_after_.find(tenant);
      if (running || (retry != retry_after_.end() && retry->second > now)) continue;
    }
    absl::Status live = options_.keys->GetTenant(tenant).status();
    if (IsGone(live) || absl::IsNotFound(live)) {
      // An erased tenant's keys are all destroyed: nothing is left to cover.
      storage::WriteBatch drop;
      if (lifecycle_internal::AddMarkerMoves(*options_.kv,
                                             lifecycle_internal::EpochDuePrefix(tenant), "", &drop)
              .ok()) {
        (void)options_.kv->Write(drop);
      }
      continue;
    }
    if (!live.ok()) continue;  // e.g. sealed meanwhile: the next pass tries again
    AuditEvent event;
    event.principal = "scheduler";
    event.tenant = tenant;
    event.action = "keys";
    event.reason = "scheduled shred epoch job started";
    const std::vector<AuditEvent> audit{event};
    if (StartJob(tenant, &audit).ok()) ++started;
  }
  return started;
}

absl::StatusOr<std::optional<absl::Time>> RewrapJobs::LastEpochClosedAt(std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  absl::StatusOr<std::string> raw =
      options_.kv->Get(storage::Table::kMeta, lifecycle_internal::EpochRecordKey(tenant));
  if (!raw.ok()) {
    if (absl::IsNotFound(raw.status())) return std::optional<absl::Time>();
    return raw.status();
  }
  records::EpochRecord epoch;
  if (!epoch.ParseFromString(*raw)) return absl::DataLossError("epoch record is corrupt");
  return std::optional<absl::Time>(absl::FromUnixMillis(epoch.closed_at_unix_ms()));
}

}  // namespace vault
