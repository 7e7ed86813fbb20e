// GroupCommitter: concurrent callers hand in write batches; one committer
// thread writes everything queued so far as a single synced write and then
// releases every caller of that group. Many durable operations share one
// fsync, and RocksDB sees a single writer (no write-thread hand-offs). When
// nothing is being written or queued, the caller's own thread writes its
// batch (leads the commit) instead of handing it to the committer, so a lone
// request costs no thread switch. A caller that allows it and runs as a
// parkable request (base/parking.h) is parked instead of blocking its
// thread, and resumed when its group is durable.
// Thread-safety: Commit may be called from any number of threads.
// Atomicity: each caller's batch is applied whole or not at all; a group
// fails or succeeds together (one atomic storage write).
#ifndef VAULT_AUDIT_GROUP_COMMITTER_H_
#define VAULT_AUDIT_GROUP_COMMITTER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "base/parking.h"
#include "vault/audit/audit_log.h"
#include "vault/storage/kv_store.h"

namespace vault {

// How a caller waits for its group. kMayPark: the caller holds no lock that
// another request could need, so a parkable request may give its thread
// back while it waits (a parked request can resume on another thread).
enum class CommitWait : uint8_t { kBlock, kMayPark };

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
                                    const std::vector<AuditEvent>* events = nullptr,
                                    CommitWait wait = CommitWait::kBlock);

  // Groups written so far (for tests and metrics).
  uint64_t groups() const;
  // Commits with audit events that failed for any reason but a sealed
  // vault (audit staging or the write failed): fail-closed refusals.
  uint64_t audit_failures() const;
  // Commits waiting for the committer right now (for tests).
  size_t queued() const;

 private:
  // Lives on the caller's stack (a parked caller's stack lives until it is
  // resumed). A blocking caller leaves only after seeing `done` under mu_,
  // so the committer never touches a Pending that is gone; `wake` is its
  // thread's own condition variable (thread_local, so it outlives the call),
  // notified under mu_, so only the callers of a finished group wake up. A
  // parked caller has `resume` instead, which the committer moves out and
  // calls after releasing mu_ and touching the Pending for the last time.
  struct Pending {
    const storage::WriteBatch* batch;
    const std::vector<AuditEvent>* events;
    std::condition_variable* wake = nullptr;
    Parker::Resume resume;
    absl::Status status;
    bool done = false;
  };
  void Run();
  // Writes one group (its audit entries appended) and sets each status.
  // Called by whoever set busy_: the committer thread or a leading caller.
  void WriteGroup(const std::vector<Pending*>& group);
  // The group with its audit entries staged first (a store one process
  // owns), or staged inside the write on the stored head (a shared store).
  absl::Status WriteStaged(std::vector<const storage::WriteBatch*> batches,
                           const std::vector<const AuditEvent*>& events);
  absl::Status WriteOnSharedHead(const std::vector<const storage::WriteBatch*>& batches,
                                 const std::vector<const AuditEvent*>& events);
  static absl::Status StageError(const absl::Status& staged);
  // The group's batches and audit events as one atomic write.
  absl::Status WritePendings(const std::vector<Pending*>& group);
  static absl::Status Explained(const absl::Status& status);
  // After a group: counts fail-closed refusals, releases the callers.
  // Returns the resumptions of parked callers, to call after unlocking.
  std::vector<Parker::Resume> FinishGroup(const std::vector<Pending*>& group)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Lead(Pending* pending, std::unique_lock<std::mutex>& lock);
  absl::Status ParkUntilDone(Parker* parker, Pending* pending);

  storage::KvStore* kv_;
  AuditLog* audit_ = nullptr;
  EventPreparer prepare_;
  const size_t max_group_ops_;
  const size_t direct_ops_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // a group is being written
  uint64_t groups_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t audit_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace vault

#endif  // VAULT_AUDIT_GROUP_COMMITTER_H_
