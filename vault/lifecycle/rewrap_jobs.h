// RewrapJobs: shred epochs (rotate the tenant KEK, rewrap every data key,
// destroy the older versions) run as background jobs whose record, progress
// included, is persisted (table meta, "job/<id>") in the same write as each
// chunk of rewrapped keys. A job interrupted by a seal, a shutdown or a crash
// stays "running" in the store and is resumed by ResumeInterrupted (vaultd's
// scheduler calls it every second while unsealed): it continues at the
// version it rotated to, without rotating again, and older versions are
// destroyed only once every data key has moved.
//
// Shred epochs and erasures: a done erasure leaves a marker (see
// internal/epoch_markers.h); a job takes over the tenant's markers when it is
// created (before it rotates, so each marker's erasure happened before the
// rotation and its data key was wrapped under a version the job destroys).
// The job's "done" record, the tenant's EpochRecord and the removal of the
// markers it took are one write; a failed job gives its markers back.
// StartDueEpochs (the scheduler, every second while unsealed) starts a job
// for every live tenant whose oldest uncovered erasure is at least
// `epoch_interval` old and that has no job running here, so every erasure is
// final (its key versions destroyed) at most `epoch_interval` + one job's run
// after it was done.
// Thread-safety: safe for concurrent use; one thread per running job.
#ifndef VAULT_LIFECYCLE_REWRAP_JOBS_H_
#define VAULT_LIFECYCLE_REWRAP_JOBS_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "crypto/random.h"
#include "vault/audit/group_committer.h"
#include "vault/keys/key_hierarchy.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/records.pb.h"
#include "vault/storage/kv_store.h"

namespace vault {

struct RewrapJobsOptions {
  storage::KvStore* kv = nullptr;
  SubjectLifecycle* lifecycle = nullptr;
  const Clock* clock = nullptr;            // required
  crypto::RandomSource* random = nullptr;  // required
  size_t chunk_size = 500;
  // Throttle: a pause after each chunk, to bound the job's share of a busy
  // vault's write capacity (0 = none).
  absl::Duration chunk_pause = absl::ZeroDuration();
  // Scheduled epochs (StartDueEpochs): the live tenants come from `keys`,
  // and each job start is committed with its audit entry through
  // `committer` (both required by StartDueEpochs only).
  KeyHierarchy* keys = nullptr;
  GroupCommitter* committer = nullptr;
  // An epoch is due once a tenant's oldest erasure not yet covered by an
  // epoch is this old (must be positive).
  absl::Duration epoch_interval = absl::Hours(24);
  // Called once a job's "done" record (and the tenant's EpochRecord) is
  // durable, with the job (finished_at_unix_ms is the recorded close time);
  // may be null. A failure is kept in the job's `error` (its state stays
  // done).
  std::function<absl::Status(const records::RewrapJob& job)> on_epoch_closed;
};

class RewrapJobs {
 public:
  explicit RewrapJobs(RewrapJobsOptions options) : options_(options) {}
  ~RewrapJobs() { Stop(); }
  RewrapJobs(const RewrapJobs&) = delete;
  RewrapJobs& operator=(const RewrapJobs&) = delete;

  // Persists a new job for `tenant` and starts it. The caller has checked
  // the tenant and the permission.
  [[nodiscard]] absl::StatusOr<records::RewrapJob> Start(std::string_view tenant);
  // NOT_FOUND for an unknown id.
  [[nodiscard]] absl::StatusOr<records::RewrapJob> Get(std::string_view job_id);
  // Starts every persisted running job that no thread of this process runs.
  // Returns how many were resumed.
  [[nodiscard]] absl::StatusOr<int> ResumeInterrupted();
  // Starts a job for every live tenant whose oldest erasure not covered by
  // an epoch is at least `epoch_interval` old, unless a job of the tenant
  // runs in this process or a scheduled one failed less than
  // min(epoch_interval, 10 min) ago. Returns how many started.
  [[nodiscard]] absl::StatusOr<int> StartDueEpochs();
  // When the tenant's last epoch closed (nullopt: none yet).
  [[nodiscard]] absl::StatusOr<std::optional<absl::Time>> LastEpochClosedAt(
      std::string_view tenant);
  // Persisted jobs by state, for GET /metrics (a stalled job shows as
  // running with `running_keys_done` not moving).
  struct Stats {
    int running = 0;
    int failed = 0;
    uint64_t running_keys_done = 0;              // sum of `done` over running jobs
    int64_t oldest_running_created_unix_ms = 0;  // 0 when none runs
  };
  [[nodiscard]] absl::StatusOr<Stats> GetStats();
  // Asks every running job to stop after its current chunk (they stay
  // "running" in the store, to resume later) and joins their threads.
  void Stop();

 private:
  // Persists a new job (with the tenant's epoch markers, and `audit` when
  // given) and launches it.
  absl::StatusOr<records::RewrapJob> StartJob(std::string_view tenant,
                                              const std::vector<AuditEvent>* audit);
  void Launch(records::RewrapJob job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(records::RewrapJob job);
  absl::Status Persist(const records::RewrapJob& job);
  // The final write of a job that ended (done: with the EpochRecord and the
  // removal of its markers, then on_epoch_closed; failed: its markers go
  // back to the tenant's due list).
  void Finish(records::RewrapJob& job, const absl::Status& result);
  // The first key of each tenant's due markers: tenant -> oldest time.
  absl::StatusOr<std::map<std::string, int64_t>> OldestDueMarkers();

  RewrapJobsOptions options_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Job ids with a thread -> their tenant.
  std::map<std::string, std::string> active_ ABSL_GUARDED_BY(mu_);
  // Tenants whose scheduled epoch failed -> no new one before this time.
  std::map<std::string, absl::Time> retry_after_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);  // to join
};

// The store key of a job record.
std::string RewrapJobKey(std::string_view job_id);

}  // namespace vault

#endif  // VAULT_LIFECYCLE_REWRAP_JOBS_H_
