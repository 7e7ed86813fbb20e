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
                                    const std::vector<AuditEvent>* events, CommitWait wait) {
  const bool audited = events != nullptr && !events->empty();
  if (batch.empty() && !audited) return absl::OkStatus();
  if (!audited && batch.size() >= direct_ops_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return absl::UnavailableError("vault is shutting down");
    }
    return Explained(kv_->Write(batch));
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
  Pending pending{&batch, audited ? events : nullptr, nullptr, {}, absl::OkStatus(), false};
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("vault is shutting down");
  if (!busy_ && queue_.empty()) return Lead(&pending, lock);
  Parker* parker = wait == CommitWait::kMayPark ? CurrentParker() : nullptr;
  if (parker != nullptr) {
    lock.unlock();
    return ParkUntilDone(parker, &pending);
  }
  thread_local std::condition_variable wake;
  pending.wake = &wake;
  queue_.push_back(&pending);
  work_cv_.notify_one();
  wake.wait(lock, [&pending] { return pending.done; });
  return pending.status;
}

// Nothing is being written or waiting: this thread writes its own group of
// one, with no hand-off to the committer thread and back.
absl::Status GroupCommitter::Lead(Pending* pending, std::unique_lock<std::mutex>& lock) {
  busy_ = true;
  ++groups_;
  lock.unlock();
  const std::vector<Pending*> group = {pending};
  WriteGroup(group);
  lock.lock();
  FinishGroup(group);  // a leader is never parked: nothing to resume
  if (!queue_.empty() || stopping_) work_cv_.notify_one();
  return pending->status;
}

// The request gives its thread back; it is queued only once it is
// suspended, so the committer cannot resume it before it has parked.
absl::Status GroupCommitter::ParkUntilDone(Parker* parker, Pending* pending) {
  parker->Park([this, pending](Parker::Resume resume) {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) {
      lock.unlock();
      pending->status = absl::UnavailableError("vault is shutting down");
      resume();
      return;
    }
    pending->resume = std::move(resume);
    queue_.push_back(pending);
    if (!busy_) work_cv_.notify_one();
  });
  return pending->status;
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
  for (;;) {
    group.clear();
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return !busy_ && (stopping_ || !queue_.empty()); });
      if (queue_.empty()) return;  // stopping and drained
      size_t ops = 0;
      while (!queue_.empty() &&
             (group.empty() || ops + queue_.front()->batch->size() <= max_group_ops_)) {
        ops += queue_.front()->batch->size() + 1;
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      busy_ = true;
      ++groups_;
    }
    WriteGroup(group);
    std::vector<Parker::Resume> resumes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      resumes = FinishGroup(group);
    }
    for (Parker::Resume& resume : resumes) resume();
  }
}

void GroupCommitter::WriteGroup(const std::vector<Pending*>& group) {
  absl::Status status = WritePendings(group);
  if (storage::IsExpectationFailed(status) && group.size() > 1) {
    // One caller's write depends on a record another node changed at the
    // same moment (a data key both created): write each caller's on its
    // own, so only that caller is refused.
    for (Pending* p : group) p->status = Explained(WritePendings({p}));
    return;
  }
  status = Explained(status);
  for (Pending* p : group) p->status = status;
}

absl::Status GroupCommitter::WritePendings(const std::vector<Pending*>& group) {
  std::vector<const storage::WriteBatch*> batches;
  std::vector<const AuditEvent*> events;
  batches.reserve(group.size() + 1);
  for (Pending* p : group) {
    batches.push_back(p->batch);
    if (p->events != nullptr) {
      for (const AuditEvent& e : *p->events) events.push_back(&e);
    }
  }
  try {
    if (events.empty()) return kv_->WriteGroup(batches, storage::WriteOptions{});
    return kv_->shared() ? WriteOnSharedHead(batches, events) : WriteStaged(batches, events);
  } catch (const std::exception&) {  // e.g. bad_alloc building the batch
    return absl::InternalError("group write failed");
  }
}

// Nothing was written; the caller may send the call again (it then finds
// what the other node wrote).
absl::Status GroupCommitter::Explained(const absl::Status& status) {
  if (!storage::IsExpectationFailed(status)) return status;
  return absl::UnavailableError(
      "another node changed a record this call depends on at the same moment; try again");
}

// The audit layer's failures: a sealed vault stays SEALED, anything else
// is UNAVAILABLE (fail closed: nothing of the group is written).
absl::Status GroupCommitter::StageError(const absl::Status& staged) {
  if (IsSealed(staged)) return staged;
  return absl::UnavailableError(Cat("audit log cannot be written: ", staged.message()));
}

absl::Status GroupCommitter::WriteStaged(std::vector<const storage::WriteBatch*> batches,
                                         const std::vector<const AuditEvent*>& events) {
  storage::WriteBatch audit_batch;
  absl::Status staged;
  try {
    staged = audit_->Stage(events, &audit_batch);
  } catch (const std::exception&) {
    staged = absl::InternalError("staging failed");
  }
  if (!staged.ok()) return StageError(staged);
  batches.push_back(&audit_batch);
  absl::Status status = kv_->WriteGroup(batches, storage::WriteOptions{});
  audit_->Finish(status.ok());
  return status;
}

// Several nodes append to one chain: the group is staged inside the
// write, on the head read under its lock.
absl::Status GroupCommitter::WriteOnSharedHead(
    const std::vector<const storage::WriteBatch*>& batches,
    const std::vector<const AuditEvent*>& events) {
  bool staged = false;
  absl::Status stage_error = absl::OkStatus();
  absl::Status status = kv_->WriteGroupOn(
      storage::Table::kAudit, AuditLog::HeadKey(),
      [&](const std::optional<std::string>& head, storage::WriteBatch* audit_batch) {
        absl::Status s;
        try {
          s = audit_->StageOn(head, events, audit_batch);
        } catch (const std::exception&) {
          s = absl::InternalError("staging failed");
        }
        staged = s.ok();
        if (!s.ok()) stage_error = s;
        return s;
      },
      batches, storage::WriteOptions{});
  if (!stage_error.ok() && !staged) return StageError(stage_error);
  if (staged) audit_->Finish(status.ok());
  return status;
}

std::vector<Parker::Resume> GroupCommitter::FinishGroup(const std::vector<Pending*>& group) {
  busy_ = false;
  std::vector<Parker::Resume> resumes;
  for (Pending* p : group) {
    const bool audited = p->events != nullptr && !p->events->empty();
    if (audited && !p->status.ok() && !IsSealed(p->status)) ++audit_failures_;
    p->done = true;
    if (p->wake != nullptr) {
      p->wake->notify_one();  // under mu_: the caller cannot have left yet
    } else if (p->resume) {
      resumes.push_back(std::move(p->resume));
    }
  }
  return resumes;
}

}  // namespace vault
