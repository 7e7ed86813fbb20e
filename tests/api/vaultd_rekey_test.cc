// The real vaultd over HTTP: rekey (POST/DELETE /v1/sys/rekey) and root API
// key rotation (POST /v1/sys/root-api-key/rotate), each across a restart,
// and a rekey cut short by SIGKILL.
#include <gtest/gtest.h>

#include "api/api.pb.h"
#include "tests/api/vaultd_http_fixture.h"

namespace vault::testing {
namespace {

namespace v1 = api::v1;

// A vaultd on its own data folder, initialised with 5 shares (3 unseal).
class VaultdRekeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    HttpResult init = client_->Request("POST", "/v1/sys/init", R"({"shares": 5, "threshold": 3})");
    ASSERT_EQ(init.status, 200) << init.body;
    v1::InitResponse out = Parse<v1::InitResponse>(init.body);
    shares_.assign(out.unseal_shares().begin(), out.unseal_shares().end());
    root_key_ = out.root_api_key();
  }
  void Start() {
    server_ =
        std::make_unique<VaultdProcess>(std::vector<std::string>{"--data-dir", dir_.Sub("data")});
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port());
  }
  void Restart(bool kill) {
    if (kill) {
      server_->Kill();
    } else {
      ASSERT_EQ(server_->Stop(), 0);
    }
    Start();
  }
  HttpResult Post(const std::string& path, const std::string& body, const std::string& key = "") {
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    return client_->Request("POST", path, body, headers);
  }
  HttpResult Get(const std::string& path, const std::string& key) {
    return client_->Request("GET", path, "", {{"Authorization", "Bearer " + key}});
  }
  HttpResult UnsealWith(const std::string& share) {
    return Post("/v1/sys/unseal", R"({"share": ")" + share + R"("})");
  }
  // Submits `shares` in order; the last answer.
  HttpResult Unseal(const std::vector<std::string>& shares) {
    HttpResult last;
    for (const std::string& share : shares) {
      last = UnsealWith(share);
      if (last.status != 200) break;
    }
    return last;
  }
  bool Sealed() { return client_->Request("GET", "/v1/sys/health").status == 503; }
  HttpResult Rekey(int n, int t, const std::string& share) {
    return Post("/v1/sys/rekey", "{\"shares\": " + std::to_string(n) + ", \"threshold\": " +
                                     std::to_string(t) + R"(, "share": ")" + share + R"("})");
  }
  std::string AuditExport(const std::string& key) {
    HttpResult r = Get("/v1/sys/audit/export", key);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  TempDir dir_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::vector<std::string> shares_;
  std::string root_key_;
};

TEST_F(VaultdRekeyTest, AfterRekeyAndRestartOldSharesDoNotUnsealAndNewOnesDo) {
  ASSERT_EQ(Unseal({shares_[0], shares_[1], shares_[2]}).status, 200);
  ASSERT_FALSE(Sealed());
  ASSERT_EQ(Post("/v1/tenants", R"({"id": "acme"})", root_key_).status, 201);

  HttpResult first = Rekey(3, 2, shares_[4]);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find(R"("complete":false)"), std::string::npos) << first.body;
  v1::RekeyResponse p1 = Parse<v1::RekeyResponse>(first.body);
  EXPECT_EQ(p1.progress(), 1);
  EXPECT_EQ(p1.threshold(), 3);
  EXPECT_EQ(Rekey(4, 2, shares_[3]).status, 400);  // other counts than the attempt's
  EXPECT_EQ(Rekey(3, 2, shares_[4]).status, 400);  // repeated share
  EXPECT_EQ(Parse<v1::RekeyResponse>(Rekey(3, 2, shares_[3]).body).progress(), 2);
  HttpResult done = Rekey(3, 2, shares_[0]);
  ASSERT_EQ(done.status, 200) << done.body;
  v1::RekeyResponse out = Parse<v1::RekeyResponse>(done.body);
  ASSERT_TRUE(out.complete());
  ASSERT_EQ(out.unseal_shares_size(), 3);
  EXPECT_EQ(out.threshold(), 2);
  // Audited: the rekey, by the share holders, before the keyring changed.
  EXPECT_NE(AuditExport(root_key_).find(R"("principal":"unseal-share-holders")"),
            std::string::npos);

  Restart(/*kill=*/false);
  ASSERT_TRUE(Sealed());
  HttpResult old_shares = Unseal({shares_[0], shares_[1], shares_[2]});
  EXPECT_EQ(old_shares.status, 403) << old_shares.body;
  EXPECT_EQ(ErrorCode(old_shares), "PERMISSION_DENIED");
  EXPECT_TRUE(Sealed());
  HttpResult new_shares = Unseal({out.unseal_shares(2), out.unseal_shares(0)});
  ASSERT_EQ(new_shares.status, 200) << new_shares.body;
  EXPECT_FALSE(Sealed());
  EXPECT_EQ(Get("/v1/tenants/acme", root_key_).status, 200);
}

TEST_F(VaultdRekeyTest, RefusedWhileSealedAndCancelDropsTheProgress) {
  HttpResult sealed = Rekey(3, 2, shares_[0]);
  EXPECT_EQ(sealed.status, 503);
  EXPECT_EQ(ErrorCode(sealed), "SEALED");
  ASSERT_EQ(Unseal({shares_[0], shares_[1], shares_[2]}).status, 200);
  EXPECT_EQ(Rekey(1, 1, shares_[0]).status, 400);
  ASSERT_EQ(Rekey(3, 2, shares_[0]).status, 200);
  ASSERT_EQ(Rekey(3, 2, shares_[1]).status, 200);
  EXPECT_EQ(client_->Request("DELETE", "/v1/sys/rekey").status, 204);
  // Started over: new counts are accepted and the count is back to 1.
  HttpResult again = Rekey(4, 4, shares_[1]);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Parse<v1::RekeyResponse>(again.body).progress(), 1);
  EXPECT_NE(AuditExport(root_key_).find(R"("reason":"rekey cancelled")"), std::string::npos);
  // A combination that does not open the keyring: 403, and it starts over.
  EXPECT_EQ(client_->Request("DELETE", "/v1/sys/rekey").status, 204);
  std::vector<std::string> theirs;
  {
    TempDir other;
    VaultdProcess another({"--data-dir", other.Sub("data")});
    ASSERT_GT(another.port(), 0);
    HttpClient c("127.0.0.1", another.port());
    HttpResult init = c.Request("POST", "/v1/sys/init", R"({"shares": 5, "threshold": 3})");
    v1::InitResponse o = Parse<v1::InitResponse>(init.body);
    theirs.assign(o.unseal_shares().begin(), o.unseal_shares().end());
  }
  ASSERT_EQ(Rekey(3, 2, shares_[0]).status, 200);
  ASSERT_EQ(Rekey(3, 2, shares_[1]).status, 200);
  HttpResult wrong = Rekey(3, 2, theirs[2]);
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_EQ(ErrorCode(wrong), "PERMISSION_DENIED");
  EXPECT_EQ(Parse<v1::RekeyResponse>(Rekey(3, 2, shares_[0]).body).progress(), 1);
}

TEST(VaultdRekeyDevTest, KeyFileVaultIsRefusedWithFailedPrecondition) {
  TempDir dir;
  VaultdProcess server({"--dev", "--data-dir", dir.Sub("data")});
  ASSERT_GT(server.port(), 0);
  HttpClient c("127.0.0.1", server.port());
  HttpResult r =
      c.Request("POST", "/v1/sys/rekey", R"({"shares": 3, "threshold": 2, "share": "vs1-x"})");
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(ErrorCode(r), "FAILED_PRECONDITION");
  EXPECT_NE(r.body.find("not sealed with Shamir shares"), std::string::npos) << r.body;
}

TEST_F(VaultdRekeyTest, RekeyInProgressKilledBySigkillLeavesTheOldSharesWorking) {
  ASSERT_EQ(Unseal({shares_[0], shares_[1], shares_[2]}).status, 200);
  ASSERT_EQ(Rekey(2, 2, shares_[3]).status, 200);
  ASSERT_EQ(Rekey(2, 2, shares_[4]).status, 200);  // one short of the threshold
  Restart(/*kill=*/true);
  ASSERT_TRUE(Sealed());
  HttpResult old_shares = Unseal({shares_[1], shares_[3], shares_[4]});
  ASSERT_EQ(old_shares.status, 200) << old_shares.body;
  EXPECT_FALSE(Sealed());
  // And the attempt did not survive: the counting starts from 1.
  EXPECT_EQ(Parse<v1::RekeyResponse>(Rekey(2, 2, shares_[3]).body).progress(), 1);
}

TEST_F(VaultdRekeyTest, AnsweredRekeyIsDurableThroughSigkill) {
  ASSERT_EQ(Unseal({shares_[0], shares_[1], shares_[2]}).status, 200);
  ASSERT_EQ(Rekey(2, 2, shares_[0]).status, 200);
  ASSERT_EQ(Rekey(2, 2, shares_[1]).status, 200);
  HttpResult done = Rekey(2, 2, shares_[2]);
  ASSERT_EQ(done.status, 200) << done.body;
  v1::RekeyResponse out = Parse<v1::RekeyResponse>(done.body);
  ASSERT_TRUE(out.complete());
  Restart(/*kill=*/true);
  EXPECT_EQ(Unseal({shares_[0], shares_[1], shares_[2]}).status, 403);
  ASSERT_EQ(Unseal({out.unseal_shares(0), out.unseal_shares(1)}).status, 200);
  EXPECT_FALSE(Sealed());
}

TEST_F(VaultdRekeyTest, RotatedRootApiKeyRevokesTheOldOneAtOnceAndAcrossARestart) {
  ASSERT_EQ(Unseal({shares_[0], shares_[1], shares_[2]}).status, 200);
  ASSERT_EQ(Post("/v1/tenants", R"({"id": "acme"})", root_key_).status, 201);
  ASSERT_EQ(client_
                ->Request("PUT", "/v1/tenants/acme/roles/admin",
                          R"({"actions": ["admin"], "types": ["*"]})",
                          {{"Authorization", "Bearer " + root_key_}})
                .status,
            200);
  HttpResult p =
      Post("/v1/tenants/acme/principals", R"({"name": "ops", "roles": ["admin"]})", root_key_);
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string admin_key = Parse<v1::PrincipalResponse>(p.body).api_key();
  EXPECT_EQ(Get("/v1/sys/audit/verify", root_key_).status, 200);  // authenticated before

  HttpResult refused = Post("/v1/sys/root-api-key/rotate", "", admin_key);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "PERMISSION_DENIED");
  EXPECT_EQ(Post("/v1/sys/root-api-key/rotate", "").status, 401);

  HttpResult rotated = Post("/v1/sys/root-api-key/rotate", "", root_key_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_key = Parse<v1::RotateRootApiKeyResponse>(rotated.body).root_api_key();
  ASSERT_EQ(new_key.substr(0, 7), "vaultd_");
  ASSERT_NE(new_key, root_key_);
  HttpResult old_key = Get("/v1/sys/audit/verify", root_key_);
  EXPECT_EQ(old_key.status, 401) << old_key.body;
  EXPECT_EQ(ErrorCode(old_key), "UNAUTHENTICATED");
  EXPECT_EQ(Post("/v1/sys/root-api-key/rotate", "", root_key_).status, 401);
  EXPECT_EQ(Get("/v1/sys/audit/verify", new_key).status, 200);
  EXPECT_EQ(Get("/v1/tenants/acme", admin_key).status, 200);  // other keys are untouched
  EXPECT_NE(AuditExport(new_key).find(R"("reason":"root API key rotation")"), std::string::npos);

  Restart(/*kill=*/false);
  ASSERT_EQ(Unseal({shares_[2], shares_[3], shares_[4]}).status, 200);
  EXPECT_EQ(Get("/v1/sys/audit/verify", root_key_).status, 401);
  EXPECT_EQ(Get("/v1/sys/audit/verify", new_key).status, 200);
  EXPECT_EQ(Get("/v1/tenants/acme", new_key).status, 200);
}

}  // namespace
}  // namespace vault::testing
