// RewrapJobs: shred epochs (rotate the tenant KEK, rewrap every data key,
// destroy the older versions) run as background jobs whose record, progress
// included, is persisted (table meta, "job/<id>") in the same write as each
// chunk of rewrapped keys. A job interrupted by a seal, a shutdown or a crash
// stays "running" in the store and is resumed by ResumeInterrupted (vaultd's
// scheduler calls it every second while unsealed): it continues at the
// version it rotated to, without rotating again, and older versions are
// destroyed only once every data key has moved.
// Thread-safety: safe for concurrent use; one thread per running job.
#ifndef VAULT_LIFECYCLE_REWRAP_JOBS_H_
#define VAULT_LIFECYCLE_REWRAP_JOBS_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "crypto/random.h"
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
  // Asks every running job to stop after its current chunk (they stay
  // "running" in the store, to resume later) and joins their threads.
  void Stop();

 private:
  void Launch(records::RewrapJob job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(records::RewrapJob job);
  absl::Status Persist(const records::RewrapJob& job);

  RewrapJobsOptions options_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> active_ ABSL_GUARDED_BY(mu_);  // job ids with a thread
  std::map<std::string, std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);  // to join
};

// The store key of a job record.
std::string RewrapJobKey(std::string_view job_id);

}  // namespace vault

#endif  // VAULT_LIFECYCLE_REWRAP_JOBS_H_
