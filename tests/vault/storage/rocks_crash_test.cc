// Crash consistency: a child process writes subjects through the real vault
// (RocksDB, synced WAL) and reports each acknowledged write through a pipe;
// the parent kills it with SIGKILL mid-stream (no close, no flush), reopens,
// unseals and checks that every acknowledged write reads back exactly and
// that the write in flight is either wholly there or wholly absent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"

using vault::internal::Parts;

namespace vault {
namespace {

std::map<std::string, FieldInput> FieldsFor(int i) {
  return {{"a", {"generic", "value-a-" + std::to_string(i), ""}},
          {"b", {"generic", "value-b-" + std::to_string(i), ""}},
          {"c", {"phone", "+86139" + std::to_string(10000000 + i), ""}}};
}

[[noreturn]] void ChildWriteForever(const std::string& dir, int ack_fd) {
  testing::FakeClock clock;
  std::unique_ptr<Vault> v = testing::OpenVault(dir, &clock);
  if (!v->InitializeAndUnsealDev().ok()) _exit(3);
  for (int i = 0;; ++i) {
    if (!Parts(*v).subjects().PutFields("acme", "s-" + std::to_string(i), FieldsFor(i)).ok())
      _exit(4);
    if (::write(ack_fd, &i, sizeof i) != sizeof i) _exit(5);
  }
}

void CheckSubject(Vault& v, int i, bool must_exist) {
  auto fields =
      Parts(v).subjects().ReadFields("acme", "s-" + std::to_string(i), {}, RevealLevel::kPlain);
  if (!must_exist && absl::IsNotFound(fields.status())) return;
  ASSERT_TRUE(fields.ok()) << "subject " << i << ": " << fields.status();
  ASSERT_EQ(fields->size(), 3u) << "subject " << i << " is half-written";
  EXPECT_EQ(fields->at("a").value, "value-a-" + std::to_string(i));
  EXPECT_EQ(fields->at("b").value, "value-b-" + std::to_string(i));
  EXPECT_EQ(fields->at("c").value, "+86139" + std::to_string(10000000 + i));
}

TEST(RocksCrashTest, EveryAcknowledgedWriteSurvivesSigkill) {
  testing::TempDir dir;
  testing::FakeClock clock;
  testing::OpenReadyVault(dir.path(), &clock, {"acme"}).reset();  // closed cleanly

  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      ChildWriteForever(dir.path(), fds[1]);
    }
    ::close(fds[1]);
    int last_ack = -1;
    int acks = 0;
    const int kill_after = 50 + round * 70;
    while (acks < kill_after) {
      int i = 0;
      ASSERT_EQ(::read(fds[0], &i, sizeof i), static_cast<ssize_t>(sizeof i));
      last_ack = i;
      ++acks;
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    int i = 0;
    while (::read(fds[0], &i, sizeof i) == static_cast<ssize_t>(sizeof i)) last_ack = i;
    ::close(fds[0]);

    std::unique_ptr<Vault> v = testing::OpenVault(dir.path(), &clock);
    ASSERT_TRUE(v->InitializeAndUnsealDev().ok());
    for (int s = 0; s <= last_ack; ++s) CheckSubject(*v, s, /*must_exist=*/true);
    CheckSubject(*v, last_ack + 1, /*must_exist=*/false);  // in flight: all or nothing
  }
}

}  // namespace
}  // namespace vault
