// The real vaultd with a PKCS#11 root on a throwaway SoftHSM2 token: init
// without shares and self-unseal across restarts; a copy of the data folder
// taken while vaultd was stopped cannot be opened after a shred epoch (with
// the control: without the epoch it opens and still holds the erased
// subject); receipts gain final_at; backups that expire.
#include <gtest/gtest.h>

#include "api/api.pb.h"
#include "api/views.h"
#include "tests/api/vaultd_http_fixture.h"
#include "tests/testing/softhsm.h"
#include "tests/testing/test_storage.h"
#include "vault/lifecycle/lifecycle.h"

namespace vault::testing {
namespace {

namespace v1 = api::v1;

class VaultdPkcs11Test : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hsm_.ok()) << hsm_.error();
    Start(dir_.Sub("data"));
    HttpResult init = client_->Request("POST", "/v1/sys/init", "{}");
    ASSERT_EQ(init.status, 200) << init.body;
    v1::InitResponse out = Parse<v1::InitResponse>(init.body);
    EXPECT_EQ(out.unseal_shares_size(), 0);
    root_key_ = out.root_api_key();
    ASSERT_FALSE(Sealed()) << "a PKCS#11 root unseals itself after init";
    ASSERT_EQ(Send("POST", "/v1/tenants", R"({"id": "acme"})", root_key_).status, 201);
    ASSERT_EQ(Send("PUT", "/v1/tenants/acme/roles/all",
                   R"({"actions": ["read", "write", "erase", "keys"], "types": ["*"],
                       "max_reveal": "plain", "purposes": ["support"]})",
                   root_key_)
                  .status,
              200);
    HttpResult p = Send("POST", "/v1/tenants/acme/principals",
                        R"({"name": "dpo", "roles": ["all"]})", root_key_);
    ASSERT_EQ(p.status, 201) << p.body;
    key_ = Parse<v1::PrincipalResponse>(p.body).api_key();
    for (const char* subject : {"u-1", "u-2"}) {
      ASSERT_EQ(
          Send("PUT", std::string("/v1/tenants/acme/subjects/") + subject,
               R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138000"}}})", key_)
              .status,
          200);
    }
  }
  void Start(const std::string& data) {
    std::vector<std::string> args = hsm_.VaultdFlags();
    args.push_back("--data-dir");
    args.push_back(data);
    server_ = std::make_unique<VaultdProcess>(args);
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  }
  HttpResult Send(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& key) {
    return client_->Request(method, path, body,
                            {{"Authorization", "Bearer " + key}, {"X-Purpose", "support"}});
  }
  // The receipt and its final part verify under the receipt key, and a
  // changed final_at does not.
  void ExpectSignedReceipt(const v1::Receipt& view) {
    absl::StatusOr<records::ErasureReceipt> receipt = api::ReceiptFromView(view);
    ASSERT_TRUE(receipt.ok()) << receipt.status();
    EXPECT_TRUE(VerifyReceipt(*receipt, receipt->public_key()).ok());
    records::ErasureReceipt forged = *receipt;
    forged.set_backups_unreadable_by("2020-01-01T00:00:00.000Z");
    EXPECT_FALSE(VerifyReceipt(forged, receipt->public_key()).ok());
  }
  bool Sealed() { return client_->Request("GET", "/v1/sys/health").status == 503; }
  int ReadSubject(const std::string& subject) {
    HttpResult r = Send("GET", "/v1/tenants/acme/subjects/" + subject + "?reveal=plain", "", key_);
    if (r.status == 403) ADD_FAILURE() << r.body;
    return r.status;
  }
  // Stops vaultd and copies its data folder (a snapshot, a stolen disk).
  std::string StopAndCopy(const std::string& name) {
    EXPECT_EQ(server_->Stop(), 0);
    CopyTree(dir_.Sub("data"), dir_.Sub(name));
    Start(dir_.Sub("data"));
    EXPECT_FALSE(Sealed()) << "restarted vaultd unseals itself from the token";
    return dir_.Sub(name);
  }
  v1::ErasureResponse Erase(const std::string& subject) {
    HttpResult r = Send("POST", "/v1/tenants/acme/subjects/" + subject + "/erasure",
                        R"({"grace_seconds": 0})", key_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse<v1::ErasureResponse>(r.body);
  }
  // A shred epoch: the rewrap job, run to done.
  void CloseEpoch() {
    HttpResult r = Send("POST", "/v1/tenants/acme/keys/rewrap", "{}", key_);
    ASSERT_EQ(r.status, 202) << r.body;
    const std::string job = Parse<v1::JobResponse>(r.body).job_id();
    for (int i = 0; i < 200; ++i) {
      HttpResult j = Send("GET", "/v1/jobs/" + job, "", key_);
      v1::JobResponse state = Parse<v1::JobResponse>(j.body);
      if (state.state() != "running") {
        ASSERT_EQ(state.state(), "done") << j.body;
        ASSERT_TRUE(state.error().empty()) << j.body;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "the rewrap job did not finish";
  }

  SoftHsm hsm_;
  TempDir dir_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string root_key_, key_;
};

TEST_F(VaultdPkcs11Test, AfterAnEpochACopyTakenBeforeOpensNothing) {
  const std::string copy = StopAndCopy("copy");
  v1::ErasureResponse erasure = Erase("u-1");
  EXPECT_EQ(ReadSubject("u-1"), 410);
  EXPECT_FALSE(erasure.receipt().has_final_at()) << "not final before an epoch";
  CloseEpoch();
  HttpResult got = Send("GET", "/v1/tenants/acme/erasures/" + erasure.erasure_id(), "", key_);
  ASSERT_EQ(got.status, 200) << got.body;
  v1::ErasureResponse final_view = Parse<v1::ErasureResponse>(got.body);
  EXPECT_TRUE(final_view.receipt().has_final_at()) << got.body;
  EXPECT_GE(final_view.receipt().final_at(), final_view.receipt().shredded_at());
  // No backup existed: none can hold the subject.
  EXPECT_TRUE(final_view.receipt().has_backups_unreadable_by()) << got.body;
  ExpectSignedReceipt(final_view.receipt());
  EXPECT_EQ(ReadSubject("u-2"), 200) << "the live vault keeps everything else";
  ASSERT_EQ(server_->Stop(), 0);

  // A second vaultd on the copy, with the same token: nothing opens.
  Start(copy);
  EXPECT_TRUE(Sealed());
  EXPECT_EQ(ReadSubject("u-1"), 503);
  EXPECT_EQ(ReadSubject("u-2"), 503);
  EXPECT_EQ(client_->Request("POST", "/v1/sys/unseal", R"({"share": "x"})").status / 100, 4);
}

TEST_F(VaultdPkcs11Test, WithoutAnEpochTheCopyStillOpensTheErasedSubject) {
  SKIP_UNLESS_ROCKSDB("the copy of the data folder holds the records only on RocksDB");
  // The control: the same steps without the epoch.
  const std::string copy = StopAndCopy("copy");
  Erase("u-1");
  EXPECT_EQ(ReadSubject("u-1"), 410);
  ASSERT_EQ(server_->Stop(), 0);
  Start(copy);
  EXPECT_FALSE(Sealed());
  EXPECT_EQ(ReadSubject("u-1"), 200);
  EXPECT_EQ(ReadSubject("u-2"), 200);
}

TEST_F(VaultdPkcs11Test, BackupsTakeAnExpiryOnlyWithinBounds) {
  SKIP_UNLESS_ROCKSDB("POST /v1/sys/backups makes a RocksDB checkpoint (501 on PostgreSQL)");
  ASSERT_EQ(server_->Stop(), 0);
  ASSERT_EQ(std::system(("mkdir -p '" + dir_.Sub("backups") + "'").c_str()), 0);
  std::vector<std::string> args = hsm_.VaultdFlags();
  for (const std::string& a : {std::string("--data-dir"), dir_.Sub("data"),
                               std::string("--backup-dir"), dir_.Sub("backups")}) {
    args.push_back(a);
  }
  server_ = std::make_unique<VaultdProcess>(args);
  ASSERT_GT(server_->port(), 0);
  client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  HttpResult made = Send("POST", "/v1/sys/backups",
                         R"({"name": "b1", "expires_in_seconds": 3024000})", root_key_);
  ASSERT_EQ(made.status, 200) << made.body;
  EXPECT_FALSE(Parse<v1::BackupResponse>(made.body).expires_at().empty()) << made.body;
  HttpResult too_long = Send("POST", "/v1/sys/backups",
                             R"({"name": "b2", "expires_in_seconds": 99999999})", root_key_);
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  // An erasure after the backup: its receipt says when that backup stops
  // opening.
  v1::ErasureResponse erasure = Erase("u-1");
  HttpResult got = Send("GET", "/v1/tenants/acme/erasures/" + erasure.erasure_id(), "", key_);
  ASSERT_EQ(got.status, 200) << got.body;
  v1::Receipt receipt = Parse<v1::ErasureResponse>(got.body).receipt();
  EXPECT_EQ(receipt.backups_unreadable_by().substr(0, 19),
            Parse<v1::BackupResponse>(made.body).expires_at().substr(0, 19))
      << got.body;
  EXPECT_FALSE(receipt.has_final_at()) << "no epoch yet";
  ExpectSignedReceipt(receipt);
}

}  // namespace
}  // namespace vault::testing
