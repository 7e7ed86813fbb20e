// vaultd on PostgreSQL (--postgres, issue #15): the real binary keeps its
// records in a throwaway PostgreSQL cluster, answers health with the
// backend and node name, keeps every acknowledged write across a SIGKILL,
// refuses a second process with the same node id, and runs without a data
// folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/api/vaultd_http_fixture.h"
#include "tests/testing/pg_cluster.h"

namespace vault::testing {
namespace {

class VaultdPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PgCluster*> cluster = PgCluster::Shared();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    absl::StatusOr<std::string> conninfo = (*cluster)->NewDatabase();
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
    data_ = dir_.Sub("data");
  }

  std::unique_ptr<VaultdProcess> StartNode(const std::string& data, const std::string& node) {
    auto p = std::make_unique<VaultdProcess>(std::vector<std::string>{
        "--dev", "--data-dir", data, "--postgres", conninfo_, "--node-id", node});
    EXPECT_GT(p->port(), 0) << "vaultd --postgres did not start";
    return p;
  }

  HttpResult Call(VaultdProcess& p, const std::string& method, const std::string& target,
                  const std::string& body = "", const std::string& key = "") {
    HttpClient client("127.0.0.1", p.port(), nullptr);
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    headers["X-Purpose"] = "support";
    return client.Request(method, target, body, headers);
  }

  TempDir dir_;
  std::string conninfo_;
  std::string data_;
};

TEST_F(VaultdPostgresTest, RecordsLiveInPostgresAndSurviveAKill) {
  std::unique_ptr<VaultdProcess> node = StartNode(data_, "node-a");
  ASSERT_GT(node->port(), 0);
  HttpResult health = Call(*node, "GET", "/v1/sys/health");
  EXPECT_EQ(health.status, 200);
  const auto h = Parse<api::v1::HealthResponse>(health.body);
  EXPECT_EQ(h.storage(), "postgres");
  EXPECT_EQ(h.node_id(), "node-a");
  // Nothing of the vault's records in the data folder: no RocksDB there.
  EXPECT_FALSE(std::filesystem::exists(data_ + "/db"));

  const std::string root = ReadFirstLine(data_ + "/root-api-key");
  ASSERT_EQ(Call(*node, "POST", "/v1/tenants", R"({"id": "acme"})", root).status, 201);
  ASSERT_EQ(Call(*node, "PUT", "/v1/tenants/acme/roles/app",
                 R"({"actions": ["tokenize", "detokenize"], "types": ["phone"],
                     "max_reveal": "plain", "purposes": ["support"]})",
                 root)
                .status,
            200);
  HttpResult p = Call(*node, "POST", "/v1/tenants/acme/principals",
                      R"({"name": "app", "roles": ["app"]})", root);
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string key = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  HttpResult t = Call(*node, "POST", "/v1/tenants/acme/tokenize",
                      R"({"items": [{"type": "phone", "value": "+8613800138000"}]})", key);
  ASSERT_EQ(t.status, 200) << t.body;
  const std::string token = Parse<api::v1::TokenizeResponse>(t.body).items(0).token();

  node->Kill();  // SIGKILL: the acknowledged token must still be there
  node = StartNode(data_, "node-a");
  ASSERT_GT(node->port(), 0);
  HttpResult d = Call(*node, "POST", "/v1/tenants/acme/detokenize",
                      R"({"tokens": [")" + token + R"("], "reveal": "plain"})", key);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(d.body).items(0).value(), "+8613800138000");
  HttpResult verify = Call(*node, "GET", "/v1/sys/audit/verify", "", root);
  EXPECT_EQ(verify.status, 200) << verify.body;
}

TEST_F(VaultdPostgresTest, ASecondProcessWithTheSameNodeIdRefusesToStart) {
  std::unique_ptr<VaultdProcess> first = StartNode(data_, "node-a");
  ASSERT_GT(first->port(), 0);
  const std::string err = dir_.Sub("second.err");
  const std::string cmd = std::string(VAULTD_PATH) + " --dev --data-dir " + data_ +
                          " --postgres '" + conninfo_ +
                          "' --node-id node-a --listen 127.0.0.1:0 >/dev/null 2>" + err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::stringstream text;
  text << std::ifstream(err).rdbuf();
  EXPECT_NE(text.str().find("another vaultd node named 'node-a' uses this database"),
            std::string::npos)
      << text.str();
  EXPECT_EQ(text.str().find("password"), std::string::npos);
  // The first node is unaffected, and a node with another name starts.
  EXPECT_EQ(Call(*first, "GET", "/v1/sys/health").status, 200);
  std::unique_ptr<VaultdProcess> other = StartNode(data_, "node-b");
  EXPECT_GT(other->port(), 0);
}

TEST_F(VaultdPostgresTest, TheDataFolderIsOptionalWithPostgres) {
  // A node without --data-dir (not dev): it starts sealed, writes no file,
  // and is initialised and unsealed through the API like any other.
  auto node = std::make_unique<VaultdProcess>(
      std::vector<std::string>{"--postgres", conninfo_, "--node-id", "node-a"});
  ASSERT_GT(node->port(), 0);
  const auto h = Parse<api::v1::HealthResponse>(Call(*node, "GET", "/v1/sys/health").body);
  EXPECT_FALSE(h.initialized());
  HttpResult init = Call(*node, "POST", "/v1/sys/init", R"({"shares": 3, "threshold": 2})");
  ASSERT_EQ(init.status, 200) << init.body;
  const auto shares = Parse<api::v1::InitResponse>(init.body);
  ASSERT_EQ(shares.unseal_shares_size(), 3);
  auto unseal = [&](VaultdProcess& p) {
    for (int i = 0; i < 2; ++i) {
      HttpResult r =
          Call(p, "POST", "/v1/sys/unseal", R"({"share": ")" + shares.unseal_shares(i) + R"("})");
      EXPECT_EQ(r.status, 200) << r.body;
    }
  };
  unseal(*node);
  EXPECT_EQ(Call(*node, "POST", "/v1/tenants", R"({"id": "acme"})", shares.root_api_key()).status,
            201);
  // A second node reads the keyring from the database and unseals with the
  // same shares.
  auto second = std::make_unique<VaultdProcess>(
      std::vector<std::string>{"--postgres", conninfo_, "--node-id", "node-b"});
  ASSERT_GT(second->port(), 0);
  unseal(*second);
  EXPECT_EQ(Call(*second, "GET", "/v1/tenants/acme", "", shares.root_api_key()).status, 200);
  // Nothing was written beside the binary's working folder: no data folder.
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("data")));
}

TEST(VaultdDataDirTest, WithoutPostgresTheDataFolderIsRequired) {
  const std::string cmd = std::string(VAULTD_PATH) + " --dev --listen 127.0.0.1:0 >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST_F(VaultdPostgresTest, UnreachableDatabaseStopsTheStartWithAClearMessage) {
  const std::string err = dir_.Sub("start.err");
  const std::string cmd = std::string(VAULTD_PATH) + " --dev --data-dir " + data_ +
                          " --postgres 'host=" + dir_.Sub("no-socket-here") +
                          " dbname=vault connect_timeout=2' --listen 127.0.0.1:0 >/dev/null 2>" +
                          err;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::stringstream text;
  text << std::ifstream(err).rdbuf();
  EXPECT_NE(text.str().find("cannot open the PostgreSQL store"), std::string::npos) << text.str();
}

TEST(VaultdPostgresOutageTest, ADeadDatabaseAnswers503AndTheNodeRecoversByItself) {
  // A cluster of its own: this test stops and restarts the server.
  absl::StatusOr<std::unique_ptr<PgCluster>> cluster = PgCluster::Start();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  absl::StatusOr<std::string> conninfo = (*cluster)->NewDatabase();
  ASSERT_TRUE(conninfo.ok()) << conninfo.status();
  TempDir dir;
  VaultdProcess node(
      {"--dev", "--data-dir", dir.Sub("data"), "--postgres", *conninfo, "--node-id", "node-a"});
  ASSERT_GT(node.port(), 0);
  auto call = [&](const std::string& method, const std::string& target, const std::string& body,
                  const std::string& key) {
    HttpClient client("127.0.0.1", node.port(), nullptr);
    std::map<std::string, std::string> headers = {{"X-Purpose", "support"}};
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    return client.Request(method, target, body, headers);
  };
  const std::string root = ReadFirstLine(dir.Sub("data") + "/root-api-key");
  ASSERT_EQ(call("POST", "/v1/tenants", R"({"id": "acme"})", root).status, 201);
  ASSERT_EQ(call("PUT", "/v1/tenants/acme/roles/app",
                 R"({"actions": ["tokenize", "detokenize"], "types": ["phone"],
                     "max_reveal": "plain", "purposes": ["support"]})",
                 root)
                .status,
            200);
  HttpResult p =
      call("POST", "/v1/tenants/acme/principals", R"({"name": "app", "roles": ["app"]})", root);
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string key = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  const std::string detokenize_body = [&] {
    HttpResult t = call("POST", "/v1/tenants/acme/tokenize",
                        R"({"items": [{"type": "phone", "value": "+8613800138000"}]})", key);
    EXPECT_EQ(t.status, 200) << t.body;
    return R"({"tokens": [")" + Parse<api::v1::TokenizeResponse>(t.body).items(0).token() +
           R"("], "reveal": "plain"})";
  }();

  ASSERT_TRUE((*cluster)->Stop().ok());
  // No value without its durable audit entry, no write: 503 UNAVAILABLE.
  HttpResult down = call("POST", "/v1/tenants/acme/detokenize", detokenize_body, key);
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(ErrorCode(down), "UNAVAILABLE");
  EXPECT_EQ(down.body.find("+8613800138000"), std::string::npos);
  HttpResult write = call("POST", "/v1/tenants/acme/tokenize",
                          R"({"items": [{"type": "phone", "value": "+8613900139000"}]})", key);
  EXPECT_EQ(write.status, 503) << write.body;
  // Health still answers, and says the database is out of reach.
  HttpResult health = call("GET", "/v1/sys/health", "", "");
  EXPECT_EQ(Parse<api::v1::HealthResponse>(health.body).storage_health().error(), "unavailable")
      << health.body;

  ASSERT_TRUE((*cluster)->Restart().ok());
  // Back by itself: no restart of vaultd, no operator step.
  HttpResult up = call("POST", "/v1/tenants/acme/detokenize", detokenize_body, key);
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(up.body).items(0).value(), "+8613800138000");
  HttpResult verify = call("GET", "/v1/sys/audit/verify", "", root);
  EXPECT_TRUE(Parse<api::v1::AuditVerifyResponse>(verify.body).ok()) << verify.body;
}

TEST(VaultdNodeIdTest, AMalformedNodeIdExitsWithStatus2) {
  TempDir dir;
  const std::string cmd = std::string(VAULTD_PATH) + " --dev --data-dir " + dir.Sub("data") +
                          " --node-id 'node a!' --listen 127.0.0.1:0 >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
}  // namespace vault::testing
