// vaultctl against a real vaultd: init and unseal with Shamir shares, key
// rotation and rewrap under load, a rewrap interrupted by SIGKILL, backup and
// restore with shred-ledger replay, offline verification, and bad input with
// its exit codes (0 ok, 1 refused/failed/unreachable, 2 usage).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/ops/vaultctl_fixture.h"

namespace vault::testing {
namespace {

TEST_F(VaultctlTest, ThreeOfFiveSharesUnsealTwoDoNotEvenAcrossARestart) {
  CtlResult status = Ctl({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(Parse<v1::HealthResponse>(status.out).sealed());

  CtlResult two = Ctl({"unseal"}, Share(1) + "\n" + Share(4) + "\n");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.out.find("sealed: 2 of 3"), std::string::npos) << two.out;
  EXPECT_TRUE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());

  // A fresh process (which never split a secret) combines shares too.
  server_->Stop();
  Start();
  EXPECT_TRUE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());
  Unseal({2, 3, 5});
  EXPECT_FALSE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());

  // Seal needs the operator; unseal again with another three.
  EXPECT_EQ(Ctl({"seal"}).exit_code, 1);
  ASSERT_EQ(Root({"seal"}).exit_code, 0);
  EXPECT_TRUE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());
  Unseal({1, 4, 5});
}

TEST_F(VaultctlTest, RotateAndRewrapWhileLoadKeepsSucceeding) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  for (int i = 0; i < 120; ++i) PutSubject(app, "s" + std::to_string(i));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    ops::HttpClient c("127.0.0.1", server_->port());
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + app},
                                            {"X-Purpose", "support"}};
    for (int i = 0; !stop.load(); ++i) {
      ops::HttpResult t = c.Request("POST", "/v1/tenants/acme/tokenize",
                                    R"({"items": [{"type": "email", "value": "load)" +
                                        std::to_string(i) + R"(@example.com"}]})",
                                    h);
      if (t.status != 200) {
        ++failed;
        continue;
      }
      const std::string token = Parse<v1::TokenizeResponse>(t.body).items(0).token();
      ops::HttpResult d = c.Request("POST", "/v1/tenants/acme/detokenize",
                                    R"({"tokens": [")" + token + R"("], "reveal": "plain"})", h);
      v1::DetokenizeResponse dr;
      if (d.status == 200 && client::ParseJson(d.body, &dr).ok() && dr.items_size() == 1 &&
          dr.items(0).value() == "load" + std::to_string(i) + "@example.com") {
        ++ok;
      } else {
        ++failed;
      }
    }
  });

  CtlResult rotate = Root({"keys", "rotate", "--tenant", "acme"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  CtlResult start = Root({"--json", "keys", "rewrap", "--tenant", "acme", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string job = Parse<v1::JobResponse>(start.out).job_id();
  // While the job runs, no version is destroyed yet, and progress moves.
  bool saw_progress = false;
  for (;;) {
    // Keys first: if the job still runs afterwards, it ran when they were read.
    const v1::KeyList now = Keys();
    v1::JobResponse j = Parse<v1::JobResponse>(Root({"--json", "jobs", "get", job}).out);
    if (j.state() != "running") {
      ASSERT_EQ(j.state(), "done");
      EXPECT_EQ(j.done(), j.total());
      break;
    }
    if (j.done() > 0 && j.done() < j.total()) saw_progress = true;
    for (const v1::KeyVersion& k : now.versions()) {
      EXPECT_NE(k.state(), "destroyed") << "version " << k.version() << " destroyed mid-rewrap";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(saw_progress);
  stop = true;
  load.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(failed.load(), 0);

  v1::KeyList keys = Keys();
  ASSERT_EQ(keys.versions_size(), 3);
  EXPECT_EQ(keys.versions(0).state(), "destroyed");
  EXPECT_EQ(keys.versions(1).state(), "destroyed");
  EXPECT_EQ(keys.versions(2).state(), "active");
  for (int i = 0; i < 120; i += 7) {
    EXPECT_EQ(ReadSubject(app, "s" + std::to_string(i)), "s" + std::to_string(i) + "@example.com");
  }
  server_->Stop();
  Start();
  Unseal({3, 4, 5});
  for (int i = 0; i < 120; i += 7) {
    EXPECT_EQ(ReadSubject(app, "s" + std::to_string(i)), "s" + std::to_string(i) + "@example.com");
  }
  // Root rotation is online too.
  CtlResult root = Root({"rotate-root"});
  ASSERT_EQ(root.exit_code, 0) << root.err;
  EXPECT_EQ(ReadSubject(app, "s7"), "s7@example.com");
}

TEST_F(VaultctlTest, RewrapKilledMidwayResumesAfterRestart) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  for (int i = 0; i < 150; ++i) PutSubject(app, "k" + std::to_string(i));
  CtlResult start = Root({"--json", "keys", "rewrap", "--tenant", "acme", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string job = Parse<v1::JobResponse>(start.out).job_id();
  // 15 chunks of 10 with 100 ms pauses: kill once some but not all moved.
  v1::JobResponse j;
  for (int i = 0; i < 400; ++i) {
    j = Parse<v1::JobResponse>(Root({"--json", "jobs", "get", job}).out);
    if (j.done() >= 30) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(j.state(), "running");
  ASSERT_GE(j.done(), 30);
  ASSERT_LT(j.done(), j.total());
  server_->Kill();

  Start();
  Unseal({2, 4, 5});
  // Old versions survive the crash (the rewrap had not finished).
  v1::KeyList mid = Keys();
  ASSERT_EQ(mid.versions_size(), 2);
  EXPECT_EQ(mid.versions(0).state(), "retired");
  // The scheduler resumes the job; `jobs get --wait` follows it to the end.
  CtlResult wait = Root({"jobs", "get", job, "--wait"});
  ASSERT_EQ(wait.exit_code, 0) << wait.err;
  // Each subject has two wrapped keys: its data key and its audit key.
  EXPECT_NE(wait.err.find("done 300/300"), std::string::npos) << wait.err;
  v1::KeyList after = Keys();
  ASSERT_EQ(after.versions_size(), 2);  // resumed without rotating again
  EXPECT_EQ(after.versions(0).state(), "destroyed");
  EXPECT_EQ(after.versions(1).state(), "active");
  for (int i = 0; i < 150; i += 9) {
    EXPECT_EQ(ReadSubject(app, "k" + std::to_string(i)), "k" + std::to_string(i) + "@example.com");
  }
}

TEST_F(VaultctlTest, BadInputGivesOneLineErrorsAndTheDocumentedExitCodes) {
  // Wrong share: a mistyped one (checksum) and one of another vault's format.
  std::string typo = Share(1);
  typo[typo.size() - 2] = typo[typo.size() - 2] == 'A' ? 'B' : 'A';
  CtlResult wrong = Ctl({"unseal"}, typo + "\n");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(Lines(wrong.err), 1) << wrong.err;
  EXPECT_NE(wrong.err.find("INVALID_ARGUMENT"), std::string::npos) << wrong.err;
  Unseal({1, 2, 3});

  CtlResult unknown_tenant = Root({"keys", "list", "--tenant", "nope"});
  EXPECT_EQ(unknown_tenant.exit_code, 1);
  EXPECT_EQ(Lines(unknown_tenant.err), 1);
  EXPECT_NE(unknown_tenant.err.find("NOT_FOUND"), std::string::npos) << unknown_tenant.err;

  CtlResult bad_key = Ctl({"tenants", "create", "x"}, "", "vaultd_wrong");
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_EQ(Lines(bad_key.err), 1);
  EXPECT_NE(bad_key.err.find("UNAUTHENTICATED"), std::string::npos) << bad_key.err;

  CtlResult unreachable = RunCtl(
      {"status"}, {{"VAULTCTL_ADDR", "http://127.0.0.1:1"}, {"VAULTCTL_API_KEY", root_key_}});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_EQ(Lines(unreachable.err), 1);
  EXPECT_NE(unreachable.err.find("unreachable"), std::string::npos) << unreachable.err;

  EXPECT_EQ(Root({"keys", "list"}).exit_code, 2);  // missing --tenant
  EXPECT_EQ(Root({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Root({"--addr", "localhost:8200", "status"}).exit_code, 2);  // no scheme
  EXPECT_EQ(Ctl({"unseal"}, "").exit_code, 2);                           // no share given
  EXPECT_EQ(Root({"tenants", "erase", "acme"}).exit_code, 2);            // without --yes
  EXPECT_EQ(Ctl({"receipts", "verify", "-"}, "{}").exit_code, 2);        // no public key
}

TEST_F(VaultctlTest, GoneAnswerShowsTheServersCodeGone) {
  Unseal({1, 2, 3});
  ASSERT_EQ(Root({"tenants", "create", "doomed"}).exit_code, 0);
  ASSERT_EQ(Root({"tenants", "erase", "doomed", "--yes"}).exit_code, 0);
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"tenants", "get", "doomed"};
    if (json) args.insert(args.begin(), "--json");
    CtlResult gone = Root(args);
    EXPECT_EQ(gone.exit_code, 1);
    EXPECT_EQ(Lines(gone.err), 1) << gone.err;
    EXPECT_NE(gone.err.find("GONE"), std::string::npos) << gone.err;
    EXPECT_NE(gone.err.find("HTTP 410"), std::string::npos) << gone.err;
  }
}

TEST_F(VaultctlTest, RolesPutWithoutMaxRevealGetsTheServersDefaultMasked) {
  Unseal({1, 2, 3});
  ASSERT_EQ(Root({"tenants", "create", "acme"}).exit_code, 0);
  CtlResult put = Root({"roles", "put", "--tenant", "acme", "reader", "--actions", "read"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  CtlResult list = Root({"--json", "roles", "list", "--tenant", "acme"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  v1::RoleList roles = Parse<v1::RoleList>(list.out);
  ASSERT_EQ(roles.roles_size(), 1);
  EXPECT_EQ(roles.roles(0).max_reveal(), "masked");
}

}  // namespace
}  // namespace vault::testing
