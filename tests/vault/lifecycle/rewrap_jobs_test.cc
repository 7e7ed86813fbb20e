// Tests for RewrapJobs: a shred epoch run as a persisted job moves every data
// key in chunks to a new KEK version, reports its progress, and, stopped
// part-way, resumes after a reopen at the version it rotated to.
#include "vault/lifecycle/rewrap_jobs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "tests/testing/deterministic_random.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/model/record_keys.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::Table;
using testing::IsOk;
using testing::StatusIs;

constexpr int kSubjects = 10;

class RewrapJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme"});
    for (int i = 0; i < kSubjects; ++i) {
      ASSERT_THAT(Parts(*vault_).subjects().PutFields("acme", Subject(i),
                                                      {{"note", {"generic", Note(i), ""}}}),
                  IsOk());
    }
  }
  void TearDown() override {
    jobs_.reset();  // before the vault it uses
    vault_.reset();
  }
  static std::string Subject(int i) { return "s-" + std::to_string(i); }
  static std::string Note(int i) { return "note-" + std::to_string(i); }

  // A job runner over the vault's store and lifecycle, `chunk_size` keys per
  // write, pausing `pause` after each chunk.
  RewrapJobs& Jobs(size_t chunk_size, absl::Duration pause,
                   std::function<absl::Status(const records::RewrapJob&)> on_closed = nullptr) {
    jobs_.reset();
    RewrapJobsOptions options;
    options.on_epoch_closed = std::move(on_closed);
    options.kv = &Parts(*vault_).kv();
    options.lifecycle = &Parts(*vault_).lifecycle();
    options.clock = &clock_;
    options.random = &random_;
    options.chunk_size = chunk_size;
    options.chunk_pause = pause;
    jobs_ = std::make_unique<RewrapJobs>(options);
    return *jobs_;
  }
  // Polls the stored job until `done` says so (at most 60 s).
  records::RewrapJob WaitFor(RewrapJobs& jobs, const std::string& id,
                             const std::function<bool(const records::RewrapJob&)>& done) {
    records::RewrapJob job;
    for (int i = 0; i < 6000; ++i) {
      absl::StatusOr<records::RewrapJob> got = jobs.Get(id);
      EXPECT_THAT(got, IsOk());
      if (!got.ok()) break;
      job = *got;
      if (done(job)) return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "job did not get there; state " << job.state() << ", done " << job.done();
    return job;
  }
  // KEK versions of every subject's stored data key.
  std::set<uint32_t> DekVersions() {
    std::set<uint32_t> versions;
    for (int i = 0; i < kSubjects; ++i) {
      records::WrappedDek dek;
      EXPECT_TRUE(dek.ParseFromString(
          *Parts(*vault_).kv().Get(Table::kSubjectKeys, SubjectKey("acme", Subject(i)))));
      versions.insert(dek.kek_version());
    }
    return versions;
  }
  void ExpectEveryNoteReadable() {
    Parts(*vault_).subject_keys().EvictAll();  // read through the rewrapped keys
    for (int i = 0; i < kSubjects; ++i) {
      absl::StatusOr<std::map<std::string, RevealedField>> fields =
          Parts(*vault_).subjects().ReadFields("acme", Subject(i), {}, RevealLevel::kPlain);
      ASSERT_THAT(fields, IsOk());
      EXPECT_EQ(fields->at("note").value, Note(i));
    }
  }
  std::vector<KekInfo> Keks() { return *Parts(*vault_).keys().ListKeks("acme"); }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::DeterministicRandom random_{42};
  std::unique_ptr<Vault> vault_;
  std::unique_ptr<RewrapJobs> jobs_;
};

TEST_F(RewrapJobsTest, JobRunsToCompletionInChunks) {
  ASSERT_EQ(DekVersions(), std::set<uint32_t>{1});
  RewrapJobs& jobs = Jobs(/*chunk_size=*/3, absl::ZeroDuration());
  absl::StatusOr<records::RewrapJob> started = jobs.Start("acme");
  ASSERT_THAT(started, IsOk());
  EXPECT_EQ(started->tenant(), "acme");
  EXPECT_EQ(started->state(), "running");
  EXPECT_EQ(started->created_at_unix_ms(), absl::ToUnixMillis(clock_.Now()));
  records::RewrapJob job = WaitFor(
      jobs, started->job_id(), [](const records::RewrapJob& j) { return j.state() != "running"; });
  EXPECT_EQ(job.state(), "done") << job.error();
  EXPECT_EQ(job.target_version(), 2u);
  EXPECT_EQ(job.total(), static_cast<uint64_t>(kSubjects));
  EXPECT_EQ(job.done(), static_cast<uint64_t>(kSubjects));
  EXPECT_GT(job.finished_at_unix_ms(), 0);
  // Every key moved, the old version is destroyed, and the data still reads.
  EXPECT_EQ(DekVersions(), std::set<uint32_t>{2});
  EXPECT_EQ(Parts(*vault_).keys().GetTenant("acme")->active_kek_version, 2u);
  for (const KekInfo& kek : Keks()) {
    if (kek.version == 1) {
      EXPECT_EQ(kek.state, records::KekVersion::DESTROYED);
    }
  }
  ExpectEveryNoteReadable();
}

TEST_F(RewrapJobsTest, UnknownJobIsNotFound) {
  RewrapJobs& jobs = Jobs(3, absl::ZeroDuration());
  EXPECT_THAT(jobs.Get("job_0000000000000000"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(jobs.ResumeInterrupted(), testing::IsOkAndHolds(0));  // nothing to resume
}

TEST_F(RewrapJobsTest, StoppedJobKeepsItsProgressAndResumesAfterReopen) {
  // A long pause after each chunk: the job stops after its first chunk.
  RewrapJobs& slow = Jobs(/*chunk_size=*/3, absl::Hours(1));
  records::RewrapJob started = *slow.Start("acme");
  records::RewrapJob paused =
      WaitFor(slow, started.job_id(), [](const records::RewrapJob& j) { return j.done() >= 3; });
  slow.Stop();
  records::RewrapJob stopped = *slow.Get(started.job_id());
  EXPECT_EQ(stopped.state(), "running");  // interrupted, not failed
  EXPECT_EQ(stopped.done(), 3u);
  EXPECT_EQ(stopped.target_version(), 2u);
  std::set<uint32_t> mixed = DekVersions();
  EXPECT_EQ(mixed, (std::set<uint32_t>{1, 2}));  // part-way: both versions in use
  EXPECT_EQ(paused.total(), 0u + kSubjects);
  // GET /metrics sees it as a running job whose progress does not move.
  absl::StatusOr<RewrapJobs::Stats> stats = slow.GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->running, 1);
  EXPECT_EQ(stats->running_keys_done, 3u);
  EXPECT_EQ(stats->oldest_running_created_unix_ms, started.created_at_unix_ms());

  // Reopen the vault (as after a restart) and resume with its own runner.
  jobs_.reset();
  vault_.reset();
  vault_ = testing::OpenVault(dir_.path(), &clock_);
  ASSERT_THAT(vault_->InitializeAndUnsealDev(), IsOk());
  ASSERT_THAT(Parts(*vault_).jobs().ResumeInterrupted(), testing::IsOkAndHolds(1));
  records::RewrapJob job =
      WaitFor(Parts(*vault_).jobs(), started.job_id(),
              [](const records::RewrapJob& j) { return j.state() != "running"; });
  EXPECT_EQ(job.state(), "done") << job.error();
  EXPECT_EQ(job.target_version(), 2u);  // resumed at its version: no second rotation
  EXPECT_EQ(job.done(), static_cast<uint64_t>(kSubjects));
  EXPECT_EQ(Parts(*vault_).keys().GetTenant("acme")->active_kek_version, 2u);
  EXPECT_EQ(DekVersions(), std::set<uint32_t>{2});
  ExpectEveryNoteReadable();
  // Finished jobs are not resumed again.
  EXPECT_THAT(Parts(*vault_).jobs().ResumeInterrupted(), testing::IsOkAndHolds(0));
  stats = Parts(*vault_).jobs().GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->running, 0);
  EXPECT_EQ(stats->failed, 0);
  EXPECT_EQ(stats->oldest_running_created_unix_ms, 0);
}

TEST_F(RewrapJobsTest, EpochClosedHookRunsOnceTheDoneRecordIsDurable) {
  struct Call {
    std::string tenant;
    absl::Time closed_at;
    records::RewrapJob stored;  // the job record as the hook saw it
    std::optional<absl::Time> last_epoch;
  };
  std::vector<Call> calls;
  std::string job_id;
  std::mutex mu;
  RewrapJobs* self = nullptr;
  RewrapJobs& jobs = Jobs(3, absl::ZeroDuration(), [&](const records::RewrapJob& closed) {
    const std::string& tenant = closed.tenant();
    const absl::Time at = absl::FromUnixMillis(closed.finished_at_unix_ms());
    std::lock_guard<std::mutex> lock(mu);
    absl::StatusOr<records::RewrapJob> stored = self->Get(job_id);
    calls.push_back({std::string(tenant), at, stored.ok() ? *stored : records::RewrapJob(),
                     *self->LastEpochClosedAt(tenant)});
    return absl::OkStatus();
  });
  self = &jobs;
  EXPECT_THAT(jobs.LastEpochClosedAt("acme"), testing::IsOkAndHolds(std::nullopt));
  {
    std::lock_guard<std::mutex> lock(mu);
    absl::StatusOr<records::RewrapJob> started = jobs.Start("acme");
    ASSERT_THAT(started, IsOk());
    job_id = started->job_id();
  }
  clock_.Advance(absl::Seconds(7));  // closed_at is the job's end, not its start
  records::RewrapJob job =
      WaitFor(jobs, job_id, [](const records::RewrapJob& j) { return j.state() != "running"; });
  jobs.Stop();  // joins the job's thread: the hook has run
  ASSERT_EQ(job.state(), "done");
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].tenant, "acme");
  EXPECT_EQ(calls[0].closed_at, absl::FromUnixMillis(job.finished_at_unix_ms()));
  EXPECT_EQ(calls[0].stored.state(), "done");
  EXPECT_EQ(calls[0].last_epoch, calls[0].closed_at);
  EXPECT_THAT(jobs.LastEpochClosedAt("acme"), testing::IsOkAndHolds(calls[0].closed_at));
  EXPECT_TRUE(job.error().empty());
}

TEST_F(RewrapJobsTest, AFailingEpochClosedHookIsRecordedOnTheDoneJob) {
  RewrapJobs& jobs = Jobs(3, absl::ZeroDuration(), [](const records::RewrapJob&) {
    return absl::UnavailableError("token absent");
  });
  absl::StatusOr<records::RewrapJob> started = jobs.Start("acme");
  ASSERT_THAT(started, IsOk());
  WaitFor(jobs, started->job_id(),
          [](const records::RewrapJob& j) { return j.state() != "running"; });
  jobs.Stop();
  records::RewrapJob job = *jobs.Get(started->job_id());
  EXPECT_EQ(job.state(), "done");
  EXPECT_THAT(job.error(), ::testing::HasSubstr("token absent"));
  EXPECT_THAT(jobs.LastEpochClosedAt("acme"), IsOk());
  EXPECT_TRUE(jobs.LastEpochClosedAt("acme")->has_value());
}

TEST_F(RewrapJobsTest, StoppedRunnerRefusesNewJobs) {
  RewrapJobs& jobs = Jobs(3, absl::ZeroDuration());
  jobs.Stop();
  EXPECT_THAT(jobs.Start("acme"), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace vault
