// GroupCommitter implementation.
#include "vault/audit/group_committer.h"

#include <exception>
#include <vector>

#include "base/status.h"
#include "base/strings.h"

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

absl::Status GroupCommitter::Commit(const storage::WriteBatch& batch,
                                    const std::vector<AuditEvent>* events) {
  const bool audited = events != nullptr && !events->empty();
  if (batch.empty() && !audited) return absl::OkStatus();
  if (!audited && batch.size() >= direct_ops_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return absl::UnavailableError("vault is shutting down");
    }
    return kv_->Write(batch);
  }
  if (audited && audit_ == nullptr) return absl::FailedPreconditionError("no audit log");
  std::vector<AuditEvent> prepared;
  if (audited && prepare_) {
    prepared = *events;
    absl::Status s = prepare_(&prepared);
    if (IsSealed(s) || absl::IsUnavailable(s) || absl::IsResourceExhausted(s)) return s;
    if (!s.ok()) return absl::UnavailableError(Cat("audit log cannot be written: ", s.message()));
    events = &prepared;
  }
  thread_local std::condition_variable wake;
  Pending pending{&batch, audited ? events : nullptr, &wake, absl::OkStatus()};
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("vault is shutting down");
  queue_.push_back(&pending);
  work_cv_.notify_one();
  wake.wait(lock, [&pending] { return pending.done; });
  return pending.status;
}

size_t GroupCommitter::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

uint64_t GroupCommitter::groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_;
}

uint64_t GroupCommitter::audit_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return audit_failures_;
}

void GroupCommitter::Run() {
  std::vector<Pending*> group;
  std::vector<const storage::WriteBatch*> batches;
  std::vector<const AuditEvent*> events;
  for (;;) {
    group.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      size_t ops = 0;
      while (!queue_.empty() &&
             (group.empty() || ops + queue_.front()->batch->size() <= max_group_ops_)) {
        ops += queue_.front()->batch->size() + 1;
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      ++groups_;
    }
    batches.clear();
    events.clear();
    for (Pending* p : group) {
      batches.push_back(p->batch);
      if (p->events != nullptr) {
        for (const AuditEvent& e : *p->events) events.push_back(&e);
      }
    }
    storage::WriteBatch audit_batch;
    absl::Status status = absl::OkStatus();
    if (!events.empty()) {
      absl::Status staged;
      try {
        staged = audit_->Stage(events, &audit_batch);
      } catch (const std::exception&) {
        staged = absl::InternalError("staging failed");
      }
      if (IsSealed(staged)) {
        status = staged;
      } else if (!staged.ok()) {
        status = absl::UnavailableError(Cat("audit log cannot be written: ", staged.message()));
      } else {
        batches.push_back(&audit_batch);
      }
    }
    if (status.ok()) {
      try {
        status = kv_->WriteGroup(batches, storage::WriteOptions{});
      } catch (const std::exception&) {  // e.g. bad_alloc building the batch
        status = absl::InternalError("group write failed");
      }
    }
    if (!events.empty() && audit_batch.size() > 0) audit_->Finish(status.ok());
    std::lock_guard<std::mutex> lock(mu_);
    const bool audit_failed = !events.empty() && !status.ok() && !IsSealed(status);
    for (Pending* p : group) {
      if (audit_failed && p->events != nullptr && !p->events->empty()) ++audit_failures_;
      p->status = status;
      p->done = true;
      p->wake->notify_one();  // under mu_: the caller cannot have left yet
    }
  }
}

}  // namespace vault
