// Integration tests of the real vaultd binary, continued: sealing, the data
// folder at rest, concurrency, the lifecycle (holds, erasure, receipts,
// epochs), exports, Shamir init and TLS client certificates.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "tests/api/vaultd_http_fixture.h"
#include "tests/testing/test_storage.h"

namespace vault::testing {
namespace {

TEST_P(VaultdHttpTest, SealedVaultAnswers503AndStopIsClean) {
  Provision();
  EXPECT_EQ(Call("POST", "/v1/sys/seal", "", support_key_).status, 403);
  EXPECT_EQ(Call("POST", "/v1/sys/seal", "", root_key_).status, 204);
  EXPECT_EQ(Call("GET", "/v1/sys/health").status, 503);
  HttpResult t = Call("POST", "/v1/tenants/acme/tokenize", R"({"items": []})", tokenizer_key_);
  EXPECT_EQ(t.status, 503);
  EXPECT_EQ(ErrorCode(t), "SEALED");
  EXPECT_EQ(server_->Stop(), 0);
}

TEST_P(VaultdHttpTest, NoPlaintextInTheDataFolderAfterStop) {
  SKIP_UNLESS_ROCKSDB("scans RocksDB's files; on PostgreSQL the data folder holds no records");
  Provision();
  std::vector<std::string> values;
  for (int i = 0; i < 200; ++i) {
    std::string v = "+86139" + std::to_string(20000000 + i);
    values.push_back(v);
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/s-" + std::to_string(i),
                   R"({"fields": {"m": {"type": "phone", "value": ")" + v +
                       R"("}, "n": {"type": "generic", "value": "note-)" + std::to_string(i) +
                       R"(-quietly"}}})",
                   tokenizer_key_)
                  .status,
              200);
    values.push_back("note-" + std::to_string(i) + "-quietly");
  }
  ASSERT_EQ(server_->Stop(), 0);
  std::vector<std::string> found = FindInFiles(data_, values);
  EXPECT_TRUE(found.empty()) << found.size() << " found";
}

TEST_P(VaultdHttpTest, ManyConcurrentConnectionsLoseNoWrite) {
  Provision();
  constexpr int kConnections = 500;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  std::vector<std::string> tokens(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<HttpClient> c = NewClient();
      HttpResult r = c->Request(
          "POST", "/v1/tenants/acme/tokenize",
          R"({"items": [{"type": "generic", "value": "v-)" + std::to_string(i) + R"("}]})",
          {{"Authorization", "Bearer " + tokenizer_key_}});
      if (r.status == 200) {
        tokens[static_cast<size_t>(i)] = Parse<api::v1::TokenizeResponse>(r.body).items(0).token();
        ++ok;
      }
      HttpResult h = c->Request("GET", "/v1/sys/health");
      if (h.status != 200) --ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kConnections);
  // Every acknowledged token reads back after a restart.
  ASSERT_EQ(server_->Stop(), 0);
  std::vector<std::string> args = {"--dev", "--data-dir", data_};
  if (GetParam()) {
    for (const std::string& a : std::vector<std::string>{"--tls-cert", dir_.Sub("cert.pem"),
                                                         "--tls-key", dir_.Sub("key.pem")}) {
      args.push_back(a);
    }
  }
  server_ = std::make_unique<VaultdProcess>(args);
  ASSERT_GT(server_->port(), 0);
  client_ = NewClient();
  ASSERT_EQ(
      Call("PUT", "/v1/tenants/acme/roles/reader",
           R"({"actions": ["detokenize"], "types": ["generic"], "max_reveal": "plain"})", root_key_)
          .status,
      200);
  HttpResult reader = Call("POST", "/v1/tenants/acme/principals",
                           R"({"name": "reader", "roles": ["reader"]})", root_key_);
  const std::string key = Parse<api::v1::PrincipalResponse>(reader.body).api_key();
  std::string body = R"({"reveal": "plain", "tokens": [)";
  for (int i = 0; i < kConnections; ++i)
    body += (i ? ",\"" : "\"") + tokens[static_cast<size_t>(i)] + "\"";
  body += "]}";
  HttpResult d = Call("POST", "/v1/tenants/acme/detokenize", body, key);
  ASSERT_EQ(d.status, 200) << d.body.substr(0, 200);
  auto items = Parse<api::v1::DetokenizeResponse>(d.body);
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_EQ(items.items(i).value(), "v-" + std::to_string(i));
  }
}

TEST_P(VaultdHttpTest, HoldsErasureReceiptsAndShredEpoch) {
  Provision();
  const std::string token = ProvisionDpoAndTwoSubjects();
  const std::string dpo = dpo_key_;

  // A hold blocks erasure (409), releasing it allows it.
  HttpResult hold = Call("PUT", "/v1/tenants/acme/subjects/u-1/holds/dispute-42",
                         R"({"reason": "dispute 42"})", dpo);
  ASSERT_EQ(hold.status, 200) << hold.body;
  HttpResult blocked =
      Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo);
  EXPECT_EQ(blocked.status, 409);
  EXPECT_EQ(ErrorCode(blocked), "FAILED_PRECONDITION");
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/subjects/u-1/holds/dispute-42", "", dpo).status, 204);
  // Pending erasure (default grace), then cancelled.
  HttpResult pending = Call("POST", "/v1/tenants/acme/subjects/u-2/erasure", "", dpo);
  ASSERT_EQ(pending.status, 202) << pending.body;
  auto pe = Parse<api::v1::ErasureResponse>(pending.body);
  EXPECT_EQ(pe.state(), "pending");
  EXPECT_FALSE(pe.due_at().empty());
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/subjects/u-2/erasure", "", dpo).status, 204);
  EXPECT_EQ(Parse<api::v1::ErasureResponse>(
                Call("GET", "/v1/tenants/acme/erasures/" + pe.erasure_id(), "", dpo).body)
                .state(),
            "cancelled");
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/subjects/u-2/erasure", "", dpo).status, 409);
  // Immediate erasure with a signed receipt.
  HttpResult now =
      Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo);
  ASSERT_EQ(now.status, 200) << now.body;
  auto done = Parse<api::v1::ErasureResponse>(now.body);
  EXPECT_EQ(done.state(), "done");
  EXPECT_EQ(done.receipt().subject(), "u-1");
  EXPECT_EQ(
      done.receipt().public_key(),
      Parse<api::v1::ReceiptKeyResponse>(Call("GET", "/v1/sys/receipt-key").body).public_key());
  // After erasure: reads 410, tokens per-item GONE, search finds nothing.
  HttpResult read = Call("GET", "/v1/tenants/acme/subjects/u-1", "", support_key_, "support");
  EXPECT_EQ(read.status, 410);
  EXPECT_EQ(ErrorCode(read), "GONE");
  HttpResult d = Call("POST", "/v1/tenants/acme/detokenize", R"({"tokens": [")" + token + R"("]})",
                      support_key_, "support");
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(d.body).items(0).error().code(), "GONE");
  HttpResult search =
      Call("POST", "/v1/tenants/acme/subjects:search",
           R"({"type": "phone", "value": "+8613800138000"})", support_key_, "support");
  EXPECT_EQ(Parse<api::v1::SearchResponse>(search.body).subjects_size(), 0);
  // A shred epoch as a job; u-2 stays readable.
  HttpResult job = Call("POST", "/v1/tenants/acme/keys/rewrap", "", dpo);
  ASSERT_EQ(job.status, 202) << job.body;
  const std::string job_id = Parse<api::v1::JobResponse>(job.body).job_id();
  std::string state = "running";
  for (int i = 0; i < 100 && state == "running"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    state = Parse<api::v1::JobResponse>(Call("GET", "/v1/jobs/" + job_id, "", dpo).body).state();
  }
  EXPECT_EQ(state, "done");
  auto keys = Parse<api::v1::KeyList>(Call("GET", "/v1/tenants/acme/keys", "", dpo).body);
  ASSERT_EQ(keys.versions_size(), 2);
  EXPECT_EQ(keys.versions(0).state(), "destroyed");
  HttpResult u2 = Call("GET", "/v1/tenants/acme/subjects/u-2", "", support_key_, "support");
  EXPECT_EQ(u2.status, 200) << u2.body;
  // The whole tenant: operators only; then everything answers 410.
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme", "", dpo).status, 403);
  HttpResult gone = Call("DELETE", "/v1/tenants/acme", "", root_key_);
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(Parse<api::v1::Receipt>(gone.body).destroyed_key_id(), "tenant-kek:v2");
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-2", "", support_key_, "support").status, 410);
}

// vaultd with a one-second shred epoch interval: an erasure is followed by a
// scheduled epoch (the tenant's old KEK version destroyed) without any call.
class VaultdEpochScheduleTest : public VaultdHttpTest {
 protected:
  std::string ExtraConfig() const override { return "shred_epoch_interval_seconds: 1\n"; }
};

TEST_P(VaultdEpochScheduleTest, AnErasureIsFollowedByAScheduledEpoch) {
  Provision();
  ProvisionDpoAndTwoSubjects();
  const std::string dpo = dpo_key_;
  auto keys = Parse<api::v1::KeyList>(Call("GET", "/v1/tenants/acme/keys", "", dpo).body);
  ASSERT_EQ(keys.versions_size(), 1);  // no erasure, no epoch
  HttpResult erased =
      Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo);
  ASSERT_EQ(erased.status, 200) << erased.body;
  // The scheduler passes once a second; the epoch is due one second after the
  // shred. Give it up to 30 s on a loaded machine.
  for (int i = 0; i < 300; ++i) {
    keys = Parse<api::v1::KeyList>(Call("GET", "/v1/tenants/acme/keys", "", dpo).body);
    if (keys.versions_size() == 2 && keys.versions(0).state() == "destroyed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(keys.versions_size(), 2);
  EXPECT_EQ(keys.versions(0).state(), "destroyed");
  EXPECT_EQ(keys.versions(1).state(), "active");
  HttpResult u2 = Call("GET", "/v1/tenants/acme/subjects/u-2", "", support_key_, "support");
  EXPECT_EQ(u2.status, 200) << u2.body;
  EXPECT_EQ(server_->Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Http, VaultdEpochScheduleTest, ::testing::Values(false));

TEST_P(VaultdHttpTest, ExportForASubjectAccessRequest) {
  Provision();
  ASSERT_EQ(
      Call(
          "PUT", "/v1/tenants/acme/roles/dpo",
          R"({"actions": ["export"], "types": ["*"], "max_reveal": "plain", "purposes": ["subject_request"]})",
          root_key_)
          .status,
      200);
  HttpResult p = Call("POST", "/v1/tenants/acme/principals", R"({"name": "dpo", "roles": ["dpo"]})",
                      root_key_);
  const std::string dpo = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-1",
                 R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138000"}}})",
                 tokenizer_key_)
                .status,
            200);
  HttpResult ex = Call("GET", "/v1/tenants/acme/subjects/u-1/export", "", dpo);
  ASSERT_EQ(ex.status, 200) << ex.body;
  auto out = Parse<api::v1::ExportResponse>(ex.body);
  EXPECT_EQ(out.fields().at("mobile").value(), "+8613800138000");
  EXPECT_EQ(out.fields().at("mobile").reveal(), "plain");
  EXPECT_GE(out.access_report_size(), 1);
}

// Init and unseal through the API: 3 of 5 shares unseal, 2 do not.
TEST(VaultdInitTest, InitAndUnsealWithThreeOfFiveShares) {
  TempDir dir;
  VaultdProcess server({"--data-dir", dir.Sub("data")});
  ASSERT_GT(server.port(), 0);
  HttpClient c("127.0.0.1", server.port());
  HttpResult h = c.Request("GET", "/v1/sys/health");
  EXPECT_EQ(h.status, 503);
  EXPECT_NE(h.body.find("\"initialized\":false"), std::string::npos) << h.body;
  HttpResult init = c.Request("POST", "/v1/sys/init", R"({"shares": 5, "threshold": 3})");
  ASSERT_EQ(init.status, 200) << init.body;
  auto out = Parse<api::v1::InitResponse>(init.body);
  ASSERT_EQ(out.unseal_shares_size(), 5);
  auto unseal = [&](const std::string& share) {
    return c.Request("POST", "/v1/sys/unseal", R"({"share": ")" + share + R"("})");
  };
  EXPECT_NE(unseal(out.unseal_shares(0)).body.find("\"progress\":1"), std::string::npos);
  HttpResult second = unseal(out.unseal_shares(3));
  EXPECT_NE(second.body.find("\"sealed\":true"), std::string::npos) << second.body;
  EXPECT_EQ(c.Request("GET", "/v1/sys/health").status, 503);
  HttpResult bad = unseal("vs1-garbage");
  EXPECT_EQ(bad.status, 400);
  HttpResult third = unseal(out.unseal_shares(4));
  EXPECT_NE(third.body.find("\"sealed\":false"), std::string::npos) << third.body;
  EXPECT_EQ(c.Request("GET", "/v1/sys/health").status, 200);
  HttpResult tenant = c.Request("POST", "/v1/tenants", R"({"id": "acme"})",
                                {{"Authorization", "Bearer " + out.root_api_key()}});
  EXPECT_EQ(tenant.status, 201);
  EXPECT_EQ(server.Stop(), 0);
}

// TLS with a self-signed certificate made here; and mutual TLS.
TEST(VaultdTlsTest, ServesHttpsAndRequiresClientCertificatesWhenConfigured) {
  TempDir dir;
  const std::string openssl =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1 2>/dev/null ";
  ASSERT_EQ(
      std::system(
          (openssl + "-keyout " + dir.Sub("key.pem") + " -out " + dir.Sub("cert.pem")).c_str()),
      0);
  ASSERT_EQ(
      std::system(
          (openssl + "-keyout " + dir.Sub("ckey.pem") + " -out " + dir.Sub("ccert.pem")).c_str()),
      0);
  {
    VaultdProcess server({"--dev", "--data-dir", dir.Sub("data"), "--tls-cert", dir.Sub("cert.pem"),
                          "--tls-key", dir.Sub("key.pem")});
    ASSERT_GT(server.port(), 0);
    TlsClientOptions tls{dir.Sub("cert.pem"), "", ""};
    HttpClient c("127.0.0.1", server.port(), &tls);
    EXPECT_EQ(c.Request("GET", "/v1/sys/health").status, 200);
    HttpClient plain("127.0.0.1", server.port());
    EXPECT_NE(plain.Request("GET", "/v1/sys/health").status, 200);  // plain HTTP is refused
    EXPECT_EQ(server.Stop(), 0);
  }
  VaultdProcess mtls({"--dev", "--data-dir", dir.Sub("data2"), "--tls-cert", dir.Sub("cert.pem"),
                      "--tls-key", dir.Sub("key.pem"), "--tls-client-ca", dir.Sub("ccert.pem")});
  ASSERT_GT(mtls.port(), 0);
  TlsClientOptions without{dir.Sub("cert.pem"), "", ""};
  HttpClient anonymous("127.0.0.1", mtls.port(), &without);
  EXPECT_EQ(anonymous.Request("GET", "/v1/sys/health").status, 0);
  TlsClientOptions with{dir.Sub("cert.pem"), dir.Sub("ccert.pem"), dir.Sub("ckey.pem")};
  HttpClient known("127.0.0.1", mtls.port(), &with);
  EXPECT_EQ(known.Request("GET", "/v1/sys/health").status, 200);
}

}  // namespace
}  // namespace vault::testing
