// RewrapJobs implementation.
#include "vault/lifecycle/rewrap_jobs.h"

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "vault/lifecycle/internal/epoch_markers.h"

namespace vault {

std::string RewrapJobKey(std::string_view job_id) { return Cat("job/", job_id); }

absl::Status RewrapJobs::Persist(const records::RewrapJob& job) {
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, RewrapJobKey(job.job_id()), job.SerializeAsString());
  return options_.kv->Write(batch);
}

absl::StatusOr<records::RewrapJob> RewrapJobs::Start(std::string_view tenant) {
  return StartJob(tenant, nullptr);
}

absl::StatusOr<records::RewrapJob> RewrapJobs::StartJob(std::string_view tenant,
                                                        const std::vector<AuditEvent>* audit) {
  records::RewrapJob job;
  job.set_job_id(Cat("job_", crypto::HexEncode(options_.random->Bytes(8))));
  job.set_tenant(std::string(tenant));
  job.set_state("running");
  job.set_created_at_unix_ms(absl::ToUnixMillis(options_.clock->Now()));
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, RewrapJobKey(job.job_id()), job.SerializeAsString());
  // The job covers the erasures already done: their markers are its own
  // from the write that creates it, before it rotates.
  RETURN_IF_ERROR(
      lifecycle_internal::AddMarkerMoves(*options_.kv, lifecycle_internal::EpochDuePrefix(tenant),
                                         lifecycle_internal::EpochJobPrefix(job.job_id()), &batch)
          .status());
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("the vault is shutting down");
  if (audit != nullptr && options_.committer != nullptr) {
    RETURN_IF_ERROR(options_.committer->Commit(batch, audit));
  } else {
    RETURN_IF_ERROR(options_.kv->Write(batch));
  }
  // On a shared store only the maintenance lease holder runs jobs (its
  // ResumeInterrupted picks this one up within a pass), so no job runs on
  // two nodes at once.
  if (!options_.kv->shared()) Launch(job);
  return job;
}

absl::StatusOr<records::RewrapJob> RewrapJobs::Get(std::string_view job_id) {
  absl::StatusOr<std::string> raw = options_.kv->Get(storage::Table::kMeta, RewrapJobKey(job_id));
  if (!raw.ok()) {
    if (absl::IsNotFound(raw.status())) return absl::NotFoundError("unknown job");
    return raw.status();
  }
  records::RewrapJob job;
  if (!job.ParseFromString(*raw)) return absl::DataLossError("job record is corrupt");
  return job;
}

absl::StatusOr<int> RewrapJobs::ResumeInterrupted() {
  std::vector<records::RewrapJob> running;
  absl::Status scanned = options_.kv->ScanPrefix(
      storage::Table::kMeta, "job/", [&](std::string_view, std::string_view value) {
        records::RewrapJob job;
        if (job.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            job.state() == "running") {
          running.push_back(std::move(job));
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  std::lock_guard<std::mutex> lock(mu_);
  for (std::thread& t : finished_) t.join();
  finished_.clear();
  int resumed = 0;
  if (stopping_) return resumed;
  for (records::RewrapJob& job : running) {
    if (active_.count(job.job_id()) != 0) continue;
    Launch(std::move(job));
    ++resumed;
  }
  return resumed;
}

void RewrapJobs::Launch(records::RewrapJob job) {
  const std::string id = job.job_id();
  active_[id] = job.tenant();
  threads_[id] = std::thread([this, job = std::move(job)]() mutable { Run(std::move(job)); });
}

void RewrapJobs::Run(records::RewrapJob job) {
  EpochControl control;
  control.target_version = job.target_version();
  control.done_before = job.done();
  control.chunk_size = options_.chunk_size;
  control.on_rotated = [&](uint32_t version) {
    job.set_target_version(version);
    return Persist(job);
  };
  control.on_total = [&](uint64_t total) { job.set_total(total); };
  control.on_chunk = [&](uint64_t done, storage::WriteBatch* batch) {
    job.set_done(done);
    batch->Put(storage::Table::kMeta, RewrapJobKey(job.job_id()), job.SerializeAsString());
  };
  control.between_chunks = [&]() -> absl::Status {
    std::unique_lock<std::mutex> lock(mu_);
    if (options_.chunk_pause > absl::ZeroDuration()) {
      stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.chunk_pause),
                        [&] { return stopping_; });
    }
    if (stopping_) return absl::CancelledError("the vault is shutting down");
    return absl::OkStatus();
  };
  absl::StatusOr<uint64_t> result = options_.lifecycle->CloseEpoch(job.tenant(), control);
  // Interrupted by a shutdown or a seal: stays running, to resume. Anything
  // else is final: a storage or keyring failure fails the job (run it again
  // once the cause is fixed); a crash leaves it running and it resumes.
  const bool interrupted =
      !result.ok() && (absl::IsCancelled(result.status()) || IsSealed(result.status()));
  if (!interrupted) Finish(job, result.status());
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(job.job_id());
  auto it = threads_.find(job.job_id());
  if (it != threads_.end()) {
    finished_.push_back(std::move(it->second));
    threads_.erase(it);
  }
}

void RewrapJobs::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  // Threads move themselves to finished_ when they end; join until none runs.
  for (;;) {
    std::thread t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!finished_.empty()) {
        t = std::move(finished_.back());
        finished_.pop_back();
      } else if (threads_.empty()) {
        break;
      }
    }
    if (t.joinable()) {
      t.join();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

}  // namespace vault
