// ClusterSync: keeps one node's caches honest when several nodes share a
// store (KvStore::shared()). Before a request is served, Sync() reads the
// store's cache generation, which every write that changes something
// another node may cache advances in its own transaction (a principal or a
// role, a consent, a subject's data key deleted by an erasure, the keyring).
// When it moved, the node drops its caches (cached principals, data keys
// and consent) and puts the stored keyring in force (KeyHierarchy::Refresh)
// before the request goes on. So a change is honoured by every node from
// the moment the call that made it answered: that call's commit came before
// the generation read of any request that arrived after it.
// Reads are shared: a request waits for a read that started after it
// arrived, and one read serves every request waiting then (at most one read
// in flight per node; each read is one indexed single-row query).
// Stores one process owns skip all of it (their generation never moves).
// Thread-safety: Sync from any thread.
#ifndef VAULT_CLUSTER_SYNC_H_
#define VAULT_CLUSTER_SYNC_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "vault/storage/kv_store.h"

namespace vault {

class ClusterSync {
 public:
  // `on_change` runs (under no lock of this object but one at a time) when
  // the generation moved; until it succeeds the change counts as unseen.
  ClusterSync(storage::KvStore* kv, std::function<absl::Status()> on_change);

  // OK once every change committed before this call began is in force here.
  // UNAVAILABLE (the store's error) when the store cannot be read: the
  // request must not be served from caches that may be stale.
  [[nodiscard]] absl::Status Sync();

  uint64_t reads() const;    // generation reads made (for metrics and tests)
  uint64_t changes() const;  // times the caches were dropped

 private:
  absl::Status ReadAndApply();

  storage::KvStore* kv_;
  const std::function<absl::Status()> on_change_;
  const bool enabled_;
  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t started_ ABSL_GUARDED_BY(mu_) = 0;   // rounds started
  uint64_t finished_ ABSL_GUARDED_BY(mu_) = 0;  // rounds finished
  absl::Status last_ ABSL_GUARDED_BY(mu_);      // the newest round's outcome
  bool seen_any_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t seen_ ABSL_GUARDED_BY(mu_) = 0;  // the generation in force here
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vault

#endif  // VAULT_CLUSTER_SYNC_H_
