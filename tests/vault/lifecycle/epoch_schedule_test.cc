// Tests for scheduled shred epochs through the real entry point (the
// maintenance pass vaultd's scheduler runs, SystemControl::RunMaintenance) on
// a real Vault with a fake clock: no epoch without an erasure; after one, no
// epoch before the interval and exactly one at it, which runs to done,
// destroys the old KEK versions and records the close time; nothing more
// without a new erasure; no second job while one runs (and an erasure made
// while it runs waits for the next epoch); erased tenants are skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "base/status.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/lifecycle/rewrap_jobs.h"

using vault::internal::Parts;

namespace vault {
namespace {

using testing::IsOk;

constexpr absl::Duration kInterval = absl::Hours(24);  // VaultOptions' default

class EpochScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme", "other"});
    for (int i = 0; i < 5; ++i) Put("acme", i);
    Put("other", 0);
  }
  void Put(const std::string& tenant, int i) {
    ASSERT_THAT(Parts(*vault_).subjects().PutFields(
                    tenant, Subject(i), {{"note", {"generic", "note-" + std::to_string(i), ""}}}),
                IsOk());
  }
  static std::string Subject(int i) { return "s-" + std::to_string(i); }
  void Erase(const std::string& tenant, int i) {
    absl::StatusOr<records::ErasureRecord> done = Parts(*vault_).lifecycle().RequestErasure(
        tenant, Subject(i), absl::ZeroDuration(), "p_test", {});
    ASSERT_THAT(done, IsOk());
    ASSERT_EQ(done->state(), "done");
  }
  int Maintain() {
    MaintenanceReport report = vault_->system().RunMaintenance();
    EXPECT_TRUE(report.storage.writable);
    return report.epochs_started;
  }
  std::optional<absl::Time> LastEpoch(const std::string& tenant) {
    absl::StatusOr<std::optional<absl::Time>> last =
        Parts(*vault_).jobs().LastEpochClosedAt(tenant);
    EXPECT_THAT(last, IsOk());
    return last.ok() ? *last : std::nullopt;
  }
  // Polls until the tenant's last epoch differs from `before` (at most 60 s:
  // the job runs on its own thread).
  std::optional<absl::Time> WaitForEpoch(const std::string& tenant,
                                         std::optional<absl::Time> before) {
    for (int i = 0; i < 6000; ++i) {
      std::optional<absl::Time> now = LastEpoch(tenant);
      if (now != before) return now;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "no epoch closed for " << tenant;
    return before;
  }
  std::map<uint32_t, records::KekVersion::State> Keks(const std::string& tenant) {
    std::map<uint32_t, records::KekVersion::State> out;
    absl::StatusOr<std::vector<KekInfo>> keks = Parts(*vault_).keys().ListKeks(tenant);
    EXPECT_THAT(keks, IsOk());
    if (!keks.ok()) return out;
    for (const KekInfo& k : *keks) out[k.version] = k.state;
    return out;
  }
  // Epoch markers still waiting in the store (any tenant).
  int DueMarkers() {
    int n = 0;
    EXPECT_THAT(Parts(*vault_).kv().ScanPrefix(storage::Table::kMeta, "epoch-due/",
                                               [&](std::string_view, std::string_view) {
                                                 ++n;
                                                 return true;
                                               }),
                IsOk());
    return n;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(EpochScheduleTest, NoErasureNoEpoch) {
  EXPECT_EQ(Maintain(), 0);
  clock_.Advance(3 * kInterval);
  EXPECT_EQ(Maintain(), 0);
  EXPECT_EQ(LastEpoch("acme"), std::nullopt);
  EXPECT_EQ(Keks("acme"),
            (std::map<uint32_t, records::KekVersion::State>{{1, records::KekVersion::ACTIVE}}));
}

TEST_F(EpochScheduleTest, OneEpochOnceTheIntervalHasPassedSinceTheErasure) {
  clock_.Advance(absl::Hours(5));  // the erasure is not at the vault's creation time
  const absl::Time erased_at = clock_.Now();
  Erase("acme", 1);
  EXPECT_EQ(Maintain(), 0);
  clock_.Advance(kInterval - absl::Seconds(1));
  EXPECT_EQ(Maintain(), 0);  // one second early
  EXPECT_EQ(LastEpoch("acme"), std::nullopt);

  clock_.Advance(absl::Seconds(1));
  ASSERT_EQ(clock_.Now(), erased_at + kInterval);
  EXPECT_EQ(Maintain(), 1);
  const std::optional<absl::Time> closed = WaitForEpoch("acme", std::nullopt);
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(*closed, clock_.Now());  // the fake clock stood still meanwhile
  // The KEK version the shredded key was wrapped under exists nowhere now.
  EXPECT_EQ(Keks("acme"),
            (std::map<uint32_t, records::KekVersion::State>{{1, records::KekVersion::DESTROYED},
                                                            {2, records::KekVersion::ACTIVE}}));
  EXPECT_EQ(Keks("other"), (std::map<uint32_t, records::KekVersion::State>{
                               {1, records::KekVersion::ACTIVE}}));  // no erasure there
  EXPECT_EQ(LastEpoch("other"), std::nullopt);
  // Everyone else still reads, through the rewrapped keys.
  Parts(*vault_).subject_keys().EvictAll();
  for (int i : {0, 2, 3, 4}) {
    absl::StatusOr<std::map<std::string, RevealedField>> fields =
        Parts(*vault_).subjects().ReadFields("acme", Subject(i), {}, RevealLevel::kPlain);
    ASSERT_THAT(fields, IsOk());
    EXPECT_EQ(fields->at("note").value, "note-" + std::to_string(i));
  }
  // The scheduler's start is in the tenant's audit trail.
  AuditQuery query;
  query.tenant = "acme";
  query.principal = "scheduler";
  absl::StatusOr<AuditPage> page = Parts(*vault_).audit().Find(query);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].action(), "keys");
  EXPECT_EQ(page->entries[0].reason(), "scheduled shred epoch job started");

  // No new erasure: nothing more, however long we wait.
  EXPECT_EQ(Maintain(), 0);
  clock_.Advance(3 * kInterval);
  EXPECT_EQ(Maintain(), 0);
  EXPECT_EQ(LastEpoch("acme"), closed);
  EXPECT_EQ(Keks("acme").size(), 2u);
  EXPECT_EQ(DueMarkers(), 0);
}

TEST_F(EpochScheduleTest, TheOldestUncoveredErasureSetsTheTime) {
  Erase("acme", 1);
  clock_.Advance(absl::Hours(20));
  Erase("acme", 2);  // later: does not push the first one's epoch back
  clock_.Advance(absl::Hours(4));
  EXPECT_EQ(Maintain(), 1);
  WaitForEpoch("acme", std::nullopt);
  // Both erasures were covered by the one epoch.
  EXPECT_EQ(DueMarkers(), 0);
  clock_.Advance(3 * kInterval);
  EXPECT_EQ(Maintain(), 0);
}

TEST_F(EpochScheduleTest, ARunningJobIsNotDuplicatedAndLaterErasuresWaitForTheNextEpoch) {
  // Another tenant's epoch holds the vault-wide epoch lock until released,
  // so acme's scheduled job stays running meanwhile.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> holding;
  std::thread hostage([&] {
    EpochControl control;
    control.on_total = [&](uint64_t) {
      holding.set_value();
      released.wait();
    };
    EXPECT_THAT(Parts(*vault_).lifecycle().CloseEpoch("other", control), IsOk());
  });
  holding.get_future().wait();

  Erase("acme", 1);
  clock_.Advance(kInterval);
  EXPECT_EQ(Maintain(), 1);  // started, waiting for the epoch lock
  Erase("acme", 2);          // after the job was created: not covered by it
  clock_.Advance(kInterval);
  EXPECT_EQ(Maintain(), 0);  // acme's job still runs: no second one
  EXPECT_EQ(Maintain(), 0);
  EXPECT_EQ(LastEpoch("acme"), std::nullopt);

  release.set_value();
  hostage.join();
  const std::optional<absl::Time> first = WaitForEpoch("acme", std::nullopt);
  // s-2's erasure is still due (a day old by now): the next pass starts
  // the epoch that covers it.
  EXPECT_EQ(DueMarkers(), 1);
  clock_.Advance(absl::Seconds(1));
  std::optional<absl::Time> second;
  for (int i = 0; i < 6000 && !second.has_value(); ++i) {
    // The first job's thread may not have left the running set yet.
    if (Maintain() == 1) second = WaitForEpoch("acme", first);
    if (!second.has_value()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(*second, *first);
  EXPECT_EQ(DueMarkers(), 0);
  EXPECT_EQ(Keks("acme").at(2), records::KekVersion::DESTROYED);
  EXPECT_EQ(Keks("acme").at(3), records::KekVersion::ACTIVE);
}

TEST_F(EpochScheduleTest, ErasedTenantsAreSkipped) {
  Erase("other", 0);
  Erase("acme", 1);
  ASSERT_THAT(Parts(*vault_).lifecycle().EraseTenant("other", {}), IsOk());
  // A job for the erased tenant fails and gives its markers back.
  absl::StatusOr<records::RewrapJob> job = Parts(*vault_).jobs().Start("other");
  ASSERT_THAT(job, IsOk());
  for (int i = 0; i < 6000 && Parts(*vault_).jobs().Get(job->job_id())->state() == "running"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Parts(*vault_).jobs().Get(job->job_id())->state(), "failed");
  EXPECT_EQ(LastEpoch("other"), std::nullopt);
  EXPECT_EQ(DueMarkers(), 2);  // acme's and other's

  clock_.Advance(kInterval);
  EXPECT_EQ(Maintain(), 1);  // acme only
  WaitForEpoch("acme", std::nullopt);
  EXPECT_EQ(LastEpoch("other"), std::nullopt);
  EXPECT_EQ(DueMarkers(), 0);  // the erased tenant's marker was dropped
  clock_.Advance(kInterval);
  EXPECT_EQ(Maintain(), 0);
}

TEST_F(EpochScheduleTest, DueErasuresAndAManualEpochCountToo) {
  // An erasure with a grace period, executed by the same maintenance pass.
  ASSERT_THAT(
      Parts(*vault_).lifecycle().RequestErasure("acme", Subject(3), absl::Hours(1), "p_test", {}),
      IsOk());
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(vault_->system().RunMaintenance().erasures_executed, 1);
  EXPECT_EQ(DueMarkers(), 1);
  // An epoch started by hand (POST .../keys/rewrap) covers it: none is
  // scheduled afterwards.
  ASSERT_THAT(Parts(*vault_).jobs().Start("acme"), IsOk());
  WaitForEpoch("acme", std::nullopt);
  EXPECT_EQ(DueMarkers(), 0);
  clock_.Advance(2 * kInterval);
  EXPECT_EQ(Maintain(), 0);
}

}  // namespace
}  // namespace vault
