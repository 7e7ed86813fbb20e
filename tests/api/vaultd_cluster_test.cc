// Several vaultd nodes on one PostgreSQL database (issue #15): the real
// binaries, two nodes on a throwaway cluster. A change answered by one node
// is honoured by the other on its very next call (tokens, tenants,
// erasures, principal deletion, role changes); both append to one audit
// chain that verifies from either; one scheduler runs due erasures once,
// and another node takes over when it is killed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/api/vaultd_http_fixture.h"
#include "tests/testing/pg_cluster.h"

namespace vault::testing {
namespace {

class VaultdClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PgCluster*> cluster = PgCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    absl::StatusOr<std::string> conninfo = (*cluster)->NewDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
    // Dev mode: both nodes unseal from the one dev key file, kept in the
    // folder they share (it holds nothing else: records and keyring are in
    // the database).
    data_ = dir_.Sub("data");
    a_ = StartNode("node-a");
    ASSERT_GT(a_->port(), 0);
    root_ = ReadFirstLine(data_ + "/root-api-key");
    b_ = StartNode("node-b");
    ASSERT_GT(b_->port(), 0);
  }

  std::unique_ptr<VaultdProcess> StartNode(const std::string& node) {
    return std::make_unique<VaultdProcess>(std::vector<std::string>{
        "--dev", "--data-dir", data_, "--postgres", conninfo_, "--node-id", node});
  }

  static HttpResult Call(VaultdProcess& p, const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& key = "") {
    HttpClient client("127.0.0.1", p.port(), nullptr);
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    headers["X-Purpose"] = "support";
    return client.Request(method, target, body, headers);
  }

  // On node A: tenant acme, a tokenizer, a support reader and a dpo.
  void Provision() {
    ASSERT_EQ(Call(*a_, "POST", "/v1/tenants", R"({"id": "acme"})", root_).status, 201);
    ASSERT_EQ(Call(*a_, "PUT", "/v1/tenants/acme/roles/tokenizer",
                   R"({"actions": ["tokenize", "write"], "types": ["*"],
                       "max_reveal": "token_only"})",
                   root_)
                  .status,
              200);
    ASSERT_EQ(Call(*a_, "PUT", "/v1/tenants/acme/roles/support",
                   R"({"actions": ["detokenize", "read"], "types": ["phone"],
                       "max_reveal": "plain", "purposes": ["support"]})",
                   root_)
                  .status,
              200);
    ASSERT_EQ(Call(*a_, "PUT", "/v1/tenants/acme/roles/dpo",
                   R"({"actions": ["erase"], "types": ["*"], "max_reveal": "token_only"})", root_)
                  .status,
              200);
    tokenizer_ = NewPrincipal("billing", "tokenizer");
    support_ = NewPrincipal("helpdesk", "support");
    dpo_ = NewPrincipal("dpo", "dpo");
  }

  std::string NewPrincipal(const std::string& name, const std::string& role) {
    HttpResult p = Call(*a_, "POST", "/v1/tenants/acme/principals",
                        R"({"name": ")" + name + R"(", "roles": [")" + role + R"("]})", root_);
    EXPECT_EQ(p.status, 201) << p.body;
    principal_ids_[name] = Parse<api::v1::PrincipalResponse>(p.body).id();
    return Parse<api::v1::PrincipalResponse>(p.body).api_key();
  }

  std::string Tokenize(VaultdProcess& node, const std::string& value, const std::string& subject) {
    HttpResult t = Call(node, "POST", "/v1/tenants/acme/tokenize",
                        R"({"items": [{"type": "phone", "value": ")" + value +
                            R"(", "subject": ")" + subject + R"("}]})",
                        tokenizer_);
    EXPECT_EQ(t.status, 200) << t.body;
    if (t.status != 200) return "";
    return Parse<api::v1::TokenizeResponse>(t.body).items(0).token();
  }

  HttpResult Detokenize(VaultdProcess& node, const std::string& token) {
    return Call(node, "POST", "/v1/tenants/acme/detokenize",
                R"({"tokens": [")" + token + R"("], "reveal": "plain"})", support_);
  }

  void PutSubject(const std::string& subject, const std::string& phone) {
    ASSERT_EQ(Call(*a_, "PUT", "/v1/tenants/acme/subjects/" + subject,
                   R"({"fields": {"mobile": {"type": "phone", "value": ")" + phone + R"("}}})",
                   tokenizer_)
                  .status,
              200);
  }

  // Entries the scheduler wrote for executed erasures.
  int SchedulerErasures(VaultdProcess& node) {
    HttpResult r =
        Call(node, "GET", "/v1/tenants/acme/audit?principal=scheduler&action=erase", "", root_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse<api::v1::AuditQueryResponse>(r.body).entries_size();
  }

  // Polls (up to 20 s) until the erasure is done; its state then.
  std::string AwaitErasure(VaultdProcess& node, const std::string& erasure_id) {
    std::string state;
    for (int i = 0; i < 200; ++i) {
      HttpResult r = Call(node, "GET", "/v1/tenants/acme/erasures/" + erasure_id, "", dpo_);
      if (r.status == 200) state = Parse<api::v1::ErasureResponse>(r.body).state();
      if (state == "done") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return state;
  }

  TempDir dir_;
  std::string conninfo_, data_, root_;
  std::unique_ptr<VaultdProcess> a_, b_;
  std::string tokenizer_, support_, dpo_;
  std::map<std::string, std::string> principal_ids_;
};

TEST_F(VaultdClusterTest, ATokenIssuedOnOneNodeDetokenizesOnTheOtherAtOnce) {
  Provision();  // the tenant, roles and principals were all made on A
  const std::string token = Tokenize(*a_, "+8613800138000", "u-1");
  HttpResult d = Detokenize(*b_, token);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(d.body).items(0).value(), "+8613800138000");
  // And the other way round, for a tenant made on B.
  ASSERT_EQ(Call(*b_, "POST", "/v1/tenants", R"({"id": "beta"})", root_).status, 201);
  EXPECT_EQ(Call(*a_, "GET", "/v1/tenants/beta", "", root_).status, 200);
  const auto health = Parse<api::v1::HealthResponse>(Call(*b_, "GET", "/v1/sys/health").body);
  EXPECT_EQ(health.node_id(), "node-b");
  EXPECT_EQ(health.storage(), "postgres");
}

TEST_F(VaultdClusterTest, AnErasureOnOneNodeIsGoneOnTheOtherInTheVeryNextCall) {
  Provision();
  PutSubject("u-1", "+8613800138000");
  const std::string token = Tokenize(*a_, "+8613800138000", "u-1");
  // B reads first, so its caches hold the subject's key.
  ASSERT_EQ(Call(*b_, "GET", "/v1/tenants/acme/subjects/u-1?reveal=plain", "", support_).status,
            200);
  ASSERT_EQ(Detokenize(*b_, token).status, 200);

  HttpResult erased =
      Call(*a_, "POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo_);
  ASSERT_EQ(erased.status, 200) << erased.body;

  HttpResult read = Call(*b_, "GET", "/v1/tenants/acme/subjects/u-1?reveal=plain", "", support_);
  EXPECT_EQ(read.status, 410) << read.body;
  HttpResult d = Detokenize(*b_, token);
  ASSERT_EQ(d.status, 200) << d.body;
  const auto items = Parse<api::v1::DetokenizeResponse>(d.body);
  EXPECT_EQ(items.items(0).value(), "");
  EXPECT_EQ(items.items(0).error().code(), "GONE") << d.body;
}

TEST_F(VaultdClusterTest, APrincipalOrRoleChangeOnOneNodeHoldsOnTheOtherInTheVeryNextCall) {
  Provision();
  const std::string token = Tokenize(*a_, "+8613800138000", "u-1");
  ASSERT_EQ(Detokenize(*b_, token).status, 200);  // B has the principal cached

  // A role loses detokenize on A: B refuses at once.
  ASSERT_EQ(Call(*a_, "PUT", "/v1/tenants/acme/roles/support",
                 R"({"actions": ["read"], "types": ["phone"], "max_reveal": "plain",
                     "purposes": ["support"]})",
                 root_)
                .status,
            200);
  EXPECT_EQ(Detokenize(*b_, token).status, 403);

  // The principal is deleted on A: its key is unknown to B at once.
  ASSERT_EQ(
      Call(*a_, "DELETE", "/v1/tenants/acme/principals/" + principal_ids_["helpdesk"], "", root_)
          .status,
      204);
  HttpResult after = Detokenize(*b_, token);
  EXPECT_EQ(after.status, 401) << after.body;
}

TEST_F(VaultdClusterTest, TheAuditLogVerifiesAfterInterleavedWritesFromBothNodes) {
  Provision();
  // Both nodes append at once, from several connections each.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      VaultdProcess& node = t % 2 == 0 ? *a_ : *b_;
      for (int i = 0; i < 25; ++i) {
        const std::string value = "+861380" + std::to_string(1000000 + t * 1000 + i);
        HttpResult r =
            Call(node, "POST", "/v1/tenants/acme/tokenize",
                 R"({"items": [{"type": "phone", "value": ")" + value + R"("}]})", tokenizer_);
        if (r.status == 200) {
          ++ok;
        } else {
          ADD_FAILURE() << r.status << " " << r.body;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  const auto va =
      Parse<api::v1::AuditVerifyResponse>(Call(*a_, "GET", "/v1/sys/audit/verify", "", root_).body);
  const auto vb =
      Parse<api::v1::AuditVerifyResponse>(Call(*b_, "GET", "/v1/sys/audit/verify", "", root_).body);
  EXPECT_TRUE(va.ok()) << va.problem();
  EXPECT_TRUE(vb.ok()) << vb.problem();
  // One chain: B's walk covers A's (and the entry A's verify call added).
  EXPECT_EQ(vb.entries(), va.entries() + 1);
  EXPECT_GE(va.entries(), 100);
}

TEST_F(VaultdClusterTest, DueErasuresRunOnceAndStillRunAfterTheSchedulingNodeIsKilled) {
  Provision();
  PutSubject("u-1", "+8613800138000");
  PutSubject("u-2", "+8613900139000");
  HttpResult first =
      Call(*b_, "POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 1})", dpo_);
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(AwaitErasure(*b_, Parse<api::v1::ErasureResponse>(first.body).erasure_id()), "done");
  // Both schedulers are running; the erasure ran once. A few more passes
  // must not run it again.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(SchedulerErasures(*a_), 1);

  // A started first, so it holds the lease; it dies, B takes over.
  a_->Kill();
  HttpResult second =
      Call(*b_, "POST", "/v1/tenants/acme/subjects/u-2/erasure", R"({"grace_seconds": 1})", dpo_);
  ASSERT_EQ(second.status, 202) << second.body;
  EXPECT_EQ(AwaitErasure(*b_, Parse<api::v1::ErasureResponse>(second.body).erasure_id()), "done");
  EXPECT_EQ(SchedulerErasures(*b_), 2);
  EXPECT_EQ(Call(*b_, "GET", "/v1/tenants/acme/subjects/u-2", "", support_).status, 410);
}

}  // namespace
}  // namespace vault::testing
