// GroupCommitter implementation.
#include "vault/group_committer.h"

#include <vector>

namespace vault {

GroupCommitter::GroupCommitter(storage::KvStore* kv, size_t max_group_ops, size_t direct_ops)
    : kv_(kv), max_group_ops_(max_group_ops), direct_ops_(direct_ops), thread_([this] { Run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
}

absl::Status GroupCommitter::Commit(const storage::WriteBatch& batch) {
  if (batch.empty()) return absl::OkStatus();
  if (batch.size() >= direct_ops_) return kv_->Write(batch);
  Pending pending{&batch, absl::OkStatus()};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return absl::UnavailableError("vault is shutting down");
    queue_.push_back(&pending);
  }
  work_cv_.notify_one();
  pending.done.acquire();
  return pending.status;
}

uint64_t GroupCommitter::groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_;
}

void GroupCommitter::Run() {
  std::vector<Pending*> group;
  std::vector<const storage::WriteBatch*> batches;
  for (;;) {
    group.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t ops = 0;
      while (!queue_.empty() && (group.empty() || ops + queue_.front()->batch->size() <= max_group_ops_)) {
        ops += queue_.front()->batch->size();
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      ++groups_;
    }
    batches.clear();
    for (Pending* p : group) batches.push_back(p->batch);
    absl::Status status = kv_->WriteGroup(batches, storage::WriteOptions{});
    for (Pending* p : group) {
      p->status = status;
      p->done.release();  // `p` may be gone after this
    }
  }
}

}  // namespace vault
