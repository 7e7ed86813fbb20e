// ClusterSync implementation: rounds of generation reads, one in flight.
#include "vault/cluster_sync.h"

#include <utility>

namespace vault {

ClusterSync::ClusterSync(storage::KvStore* kv, std::function<absl::Status()> on_change)
    : kv_(kv), on_change_(std::move(on_change)), enabled_(kv->shared()) {}

absl::Status ClusterSync::Sync() {
  if (!enabled_) return absl::OkStatus();
  std::unique_lock<std::mutex> lock(mu_);
  // The round in flight (if any) started before this call: it may have
  // read the generation before a change this call must see. The next one
  // starts after.
  const uint64_t need = started_ + 1;
  while (finished_ < need) {
    if (reading_) {
      done_cv_.wait(lock);
      continue;
    }
    reading_ = true;
    ++started_;
    lock.unlock();
    absl::Status status = ReadAndApply();
    lock.lock();
    reading_ = false;
    ++finished_;
    last_ = std::move(status);
    done_cv_.notify_all();
  }
  return last_;
}

// Runs with reading_ set: one at a time.
absl::Status ClusterSync::ReadAndApply() {
  absl::StatusOr<uint64_t> generation = kv_->CacheGeneration();
  if (!generation.ok()) return generation.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seen_any_ && seen_ == *generation) return absl::OkStatus();
  }
  if (absl::Status s = on_change_(); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  seen_any_ = true;
  seen_ = *generation;
  ++changes_;
  return absl::OkStatus();
}

uint64_t ClusterSync::reads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

uint64_t ClusterSync::changes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return changes_;
}

}  // namespace vault
