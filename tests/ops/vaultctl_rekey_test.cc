// vaultctl rekey and vaultctl rotate-root-api-key against a real vaultd:
// the current shares on standard input (as for unseal), the new shares and
// key printed, as JSON, or written to files; and that afterwards only the
// new ones work, across a restart.
#include "tests/ops/vaultctl_fixture.h"

namespace vault::testing {
namespace {

TEST_F(VaultctlTest, RekeyReplacesTheSharesAndOnlyTheNewOnesUnsealAfterARestart) {
  Unseal({1, 2, 3});
  // Fewer than the threshold: progress, then cancel.
  CtlResult partial = Ctl({"rekey", "--shares", "3", "--threshold", "2"}, Share(2) + "\n");
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.out.find("rekey in progress: 1 of 3"), std::string::npos) << partial.out;
  CtlResult cancel = Ctl({"rekey", "--cancel"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_NE(cancel.out.find("cancelled"), std::string::npos) << cancel.out;

  EXPECT_EQ(Ctl({"rekey", "--shares", "3", "--threshold", "4"}, Share(1) + "\n").exit_code, 2);
  EXPECT_EQ(Ctl({"rekey", "--shares", "3", "--threshold", "2"}, "").exit_code, 2);  // no share

  // To files (share-1..share-3 replace the five old files; 4 and 5 go).
  CtlResult files =
      Ctl({"rekey", "--shares", "3", "--threshold", "2", "--out-dir", dir_.Sub("keys")},
          Share(2) + "\n" + Share(4) + "\n" + Share(5) + "\n");
  ASSERT_EQ(files.exit_code, 0) << files.err;
  EXPECT_NE(files.out.find("rekeyed: 3 new shares"), std::string::npos) << files.out;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("keys/share-4")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("keys/share-5")));
  const std::vector<std::string> second = {Share(1), Share(2), Share(3)};

  // As JSON, from the shares just made.
  CtlResult json = Ctl({"--json", "rekey", "--shares", "2", "--threshold", "2"},
                       second[2] + "\n" + second[0] + "\n");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  v1::RekeyResponse out = Parse<v1::RekeyResponse>(json.out);
  ASSERT_TRUE(out.complete());
  ASSERT_EQ(out.unseal_shares_size(), 2);

  server_->Stop();
  Start();
  CtlResult stale = Ctl({"unseal"}, second[0] + "\n" + second[1] + "\n");
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("PERMISSION_DENIED"), std::string::npos) << stale.err;
  CtlResult fresh = Ctl({"unseal"}, out.unseal_shares(1) + "\n" + out.unseal_shares(0) + "\n");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_NE(fresh.out.find("unsealed"), std::string::npos) << fresh.out;
}

TEST_F(VaultctlTest, RotateRootApiKeyPrintsTheNewKeyAndTheOldOneStopsWorking) {
  Unseal({1, 2, 3});
  CtlResult printed = Root({"rotate-root-api-key"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  const std::string marker = "New root API key (shown once): ";
  const size_t at = printed.out.find(marker);
  ASSERT_NE(at, std::string::npos) << printed.out;
  const std::string key = printed.out.substr(at + marker.size(), 50);
  ASSERT_EQ(key.substr(0, 7), "vaultd_");

  CtlResult old_key = Root({"tenants", "create", "acme"});
  EXPECT_EQ(old_key.exit_code, 1);
  EXPECT_NE(old_key.err.find("UNAUTHENTICATED"), std::string::npos) << old_key.err;
  ASSERT_EQ(Ctl({"tenants", "create", "acme"}, "", key).exit_code, 0);

  // --json, then into the init folder's root-api-key file.
  CtlResult json = Ctl({"--json", "rotate-root-api-key"}, "", key);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::string third = Parse<v1::RotateRootApiKeyResponse>(json.out).root_api_key();
  CtlResult file = Ctl({"rotate-root-api-key", "--out-dir", dir_.Sub("keys")}, "", third);
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(file.out.find("vaultd_"), std::string::npos) << "the key is not printed";
  const std::string fourth = ReadFirstLine(dir_.Sub("keys/root-api-key"));
  ASSERT_NE(fourth, root_key_);
  EXPECT_EQ(Ctl({"tenants", "get", "acme"}, "", third).exit_code, 1);

  server_->Stop();
  Start();
  Unseal({3, 4, 5});
  for (const std::string& stale : {root_key_, key, third}) {
    EXPECT_EQ(Ctl({"tenants", "get", "acme"}, "", stale).exit_code, 1);
  }
  CtlResult works = Ctl({"tenants", "get", "acme"}, "", fourth);
  EXPECT_EQ(works.exit_code, 0) << works.err;
}

}  // namespace
}  // namespace vault::testing
