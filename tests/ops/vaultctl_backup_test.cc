// vaultctl against a real vaultd, continued: backup and restore with
// shred-ledger and live-state replay, and offline audit verification.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "client/json.h"
#include "ops/results.pb.h"
#include "tests/ops/vaultctl_fixture.h"
#include "tests/testing/test_storage.h"

namespace vault::testing {
namespace {

TEST_F(VaultctlTest, RestoreReplaysTheShredLedgerSoAnErasedSubjectStaysErased) {
  SKIP_UNLESS_ROCKSDB("backup create makes a RocksDB checkpoint (501 on PostgreSQL)");
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  PutSubject(app, "alice");
  PutSubject(app, "bob");
  PutSubject(app, "carol");
  // Before the backup: a pending erasure of carol and a second principal.
  CtlResult pending = Ctl({"--json", "erasure", "request", "--tenant", "acme", "carol"}, "", app);
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  const std::string carol_erasure = Parse<v1::ErasureResponse>(pending.out).erasure_id();
  CtlResult temp = Root(
      {"--json", "principals", "create", "--tenant", "acme", "--name", "temp", "--roles", "app"});
  ASSERT_EQ(temp.exit_code, 0) << temp.err;
  const v1::PrincipalResponse temp_principal = Parse<v1::PrincipalResponse>(temp.out);
  CtlResult backup = Root({"backup", "create", "before-erasure"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // After it: carol's erasure cancelled, a hold on bob, the second key revoked.
  ASSERT_EQ(Ctl({"erasure", "cancel", "--tenant", "acme", "carol"}, "", app).exit_code, 0);
  ASSERT_EQ(
      Ctl({"holds", "put", "--tenant", "acme", "bob", "case-1", "--reason", "dispute"}, "", app)
          .exit_code,
      0);
  ASSERT_EQ(Root({"principals", "delete", "--tenant", "acme", temp_principal.id()}).exit_code, 0);
  const std::string backup_dir = dir_.Sub("backups/before-erasure");
  CtlResult key = Ctl({"receipts", "key"});
  ASSERT_EQ(key.exit_code, 0);
  WriteAll(dir_.Sub("pub"), key.out);
  CtlResult verify = Ctl({"backup", "verify", backup_dir, "--public-key-file", dir_.Sub("pub")});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  CtlResult erase =
      Ctl({"--json", "erasure", "request", "--tenant", "acme", "alice", "--grace-seconds", "0"}, "",
          app);
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  WriteAll(dir_.Sub("receipt.json"), erase.out);
  EXPECT_EQ(
      Ctl({"receipts", "verify", dir_.Sub("receipt.json"), "--public-key-file", dir_.Sub("pub")})
          .exit_code,
      0);
  ASSERT_EQ(ReadSubject(app, "alice"), "HTTP 410");
  CtlResult ledger = Root({"ledger", "export", "--out", dir_.Sub("ledger.json")});
  ASSERT_EQ(ledger.exit_code, 0) << ledger.err;
  server_->Stop();

  // Without a ledger (or a statement that there is none) the restore refuses.
  const std::string restored = dir_.Sub("restored");
  ExpectRestoreRefusedWithoutAGoodLedger(backup_dir, restored);

  CtlResult restore = RunCtl({"backup", "restore", backup_dir, "--data-dir", restored, "--ledger",
                              dir_.Sub("ledger.json")},
                             {});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_NE(restore.out.find("1 subject"), std::string::npos) << restore.out;
  Start(restored);
  Unseal({3, 4, 5});
  EXPECT_EQ(ReadSubject(app, "alice"), "HTTP 410");
  EXPECT_EQ(ReadSubject(app, "bob"), "bob@example.com");
  CtlResult audit = Root({"audit", "verify"});
  // The live state came along: the cancelled erasure stays cancelled, the
  // hold holds, the revoked key stays revoked.
  CtlResult carol = Ctl({"--json", "erasure", "get", "--tenant", "acme", carol_erasure}, "", app);
  ASSERT_EQ(carol.exit_code, 0) << carol.err;
  EXPECT_EQ(Parse<v1::ErasureResponse>(carol.out).state(), "cancelled");
  CtlResult held =
      Ctl({"erasure", "request", "--tenant", "acme", "bob", "--grace-seconds", "0"}, "", app);
  EXPECT_EQ(held.exit_code, 1);
  EXPECT_NE(held.err.find("FAILED_PRECONDITION"), std::string::npos) << held.err;
  EXPECT_EQ(Ctl({"keys", "list", "--tenant", "acme"}, "", temp_principal.api_key()).exit_code, 1);
  EXPECT_NE(Ctl({"keys", "list", "--tenant", "acme"}, "", temp_principal.api_key())
                .err.find("UNAUTHENTICATED"),
            std::string::npos);
  EXPECT_EQ(audit.exit_code, 0) << audit.err;

  // A tampered backup no longer verifies.
  ExpectTamperedBackupFailsToVerify(backup_dir);
}

TEST_F(VaultctlTest, AuditExportVerifiesOfflineAndTamperingShows) {
  Unseal({1, 2, 3});
  SetUpTenant();
  CtlResult exported = Root({"audit", "export", "--out", dir_.Sub("audit.jsonl")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  WriteAll(dir_.Sub("pub"), Ctl({"receipts", "key"}).out);
  CtlResult ok = Ctl(
      {"audit", "verify", "--file", dir_.Sub("audit.jsonl"), "--public-key-file", dir_.Sub("pub")});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  std::string text = ReadAll(dir_.Sub("audit.jsonl"));
  ASSERT_GE(Lines(text), 3);
  const size_t at = text.find("\"action\":\"admin\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 16, "\"action\":\"audit\"");
  WriteAll(dir_.Sub("tampered.jsonl"), text);
  CtlResult bad = Ctl({"audit", "verify", "--file", dir_.Sub("tampered.jsonl"), "--public-key-file",
                       dir_.Sub("pub")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("entry was modified"), std::string::npos) << bad.err;

  // --json prints the offline check as a message: valid JSON, numbers as
  // numbers, the problem text escaped.
  CtlResult good_json = Ctl({"--json", "audit", "verify", "--file", dir_.Sub("audit.jsonl"),
                             "--public-key-file", dir_.Sub("pub")});
  ASSERT_EQ(good_json.exit_code, 0) << good_json.err;
  ops::results::AuditFileCheck good;
  ASSERT_TRUE(client::ParseJson(good_json.out, &good).ok()) << good_json.out;
  EXPECT_TRUE(good.ok());
  EXPECT_GE(good.entries(), 3);
  EXPECT_EQ(good.head().size(), 64u);
  CtlResult bad_json = Ctl({"--json", "audit", "verify", "--file", dir_.Sub("tampered.jsonl"),
                            "--public-key-file", dir_.Sub("pub")});
  EXPECT_EQ(bad_json.exit_code, 1);
  ops::results::AuditFileCheck tampered;
  ASSERT_TRUE(client::ParseJson(bad_json.out, &tampered).ok()) << bad_json.out;
  EXPECT_FALSE(tampered.ok());
  EXPECT_NE(tampered.problem().find("entry was modified"), std::string::npos);
}

}  // namespace
}  // namespace vault::testing

namespace vault::testing {
namespace {

TEST_F(VaultctlTest, BackupExpiryNeedsAPkcs11RootAndAValidLifetime) {
  Unseal({1, 2, 3});
  CtlResult bad = Root({"backup", "create", "b1", "--expires-in", "35x"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--expires-in"), std::string::npos) << bad.err;
  // A file root's shares open every copy: an expiry would be a false promise.
  CtlResult refused = Root({"backup", "create", "b1", "--expires-in", "35d"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("PKCS#11"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("backups/b1")));
  // Without an expiry the backup is made, and says it never expires.
  SKIP_UNLESS_ROCKSDB("backup create makes a RocksDB checkpoint (501 on PostgreSQL)");
  CtlResult made = Root({"--json", "backup", "create", "b1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_TRUE(Parse<v1::BackupResponse>(made.out).expires_at().empty()) << made.out;
}

}  // namespace
}  // namespace vault::testing
