// GroupCommitter: concurrent callers hand in write batches; one committer
// thread writes everything queued so far as a single synced write and then
// releases every caller of that group. Many durable operations share one
// fsync, and RocksDB sees a single writer (no write-thread hand-offs).
// Thread-safety: Commit may be called from any number of threads.
// Atomicity: each caller's batch is applied whole or not at all; a group
// fails or succeeds together (one atomic storage write).
#ifndef VAULT_AUDIT_GROUP_COMMITTER_H_
#define VAULT_AUDIT_GROUP_COMMITTER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/kv_store.h"

namespace vault {

class GroupCommitter {
 public:
  // `max_group_ops` bounds one group's size (puts and deletes). Batches of
  // `direct_ops` or more already amortise their sync and are written by the
  // caller's thread (RocksDB still groups concurrent ones), so large batches
  // insert into the memtable in parallel.
  explicit GroupCommitter(storage::KvStore* kv, size_t max_group_ops = 8192,
                          size_t direct_ops = 32);
  ~GroupCommitter();  // commits what is queued, then stops
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // The audit log whose entries are appended with each group (optional).
  void set_audit_log(AuditLog* audit) { audit_ = audit; }
  // Runs on the caller's thread over a copy of each call's events before
  // they are queued (the vault names subjects by pseudonyms there); its
  // failure fails the call and nothing is written. Set before first use.
  using EventPreparer = std::function<absl::Status(std::vector<AuditEvent>*)>;
  void set_event_preparer(EventPreparer preparer) { prepare_ = std::move(preparer); }

  // Blocks until `batch` and the audit entries for `events` are durable in
  // one atomic write, or have failed. A batch with audit events always goes
  // through the queue (the chain is appended in commit order). When the
  // audit entries cannot be staged (sealed: SEALED; head fails verification:
  // UNAVAILABLE), every call of that group fails and nothing is written:
  // fail closed.
  [[nodiscard]] absl::Status Commit(const storage::WriteBatch& batch,
                                    const std::vector<AuditEvent>* events = nullptr);

  // Groups written so far (for tests and metrics).
  uint64_t groups() const;
  // Commits with audit events that failed for any reason but a sealed
  // vault (audit staging or the write failed): fail-closed refusals.
  uint64_t audit_failures() const;
  // Commits waiting for the committer right now (for tests).
  size_t queued() const;

 private:
  // Lives on the caller's stack; `status` and `done` are guarded by mu_, and
  // the caller leaves only after seeing `done` under mu_, so the committer
  // never touches a Pending that is gone. `wake` is the calling thread's own
  // condition variable (thread_local, so it outlives the call); it is
  // notified under mu_, so only the callers of a finished group wake up.
  struct Pending {
    const storage::WriteBatch* batch;
    const std::vector<AuditEvent>* events;
    std::condition_variable* wake;
    absl::Status status;
    bool done = false;
  };
  void Run();

  storage::KvStore* kv_;
  AuditLog* audit_ = nullptr;
  EventPreparer prepare_;
  const size_t max_group_ops_;
  const size_t direct_ops_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t groups_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t audit_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace vault

#endif  // VAULT_AUDIT_GROUP_COMMITTER_H_
