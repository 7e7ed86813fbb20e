// Integration tests: the real vaultd binary on a free port, driven over real
// sockets (plain HTTP and TLS with a certificate made at test time), through
// the endpoints of ../shared/API.md that exist so far, with the documented
// status and error codes for bad input.
#include <gtest/gtest.h>
#include <google/protobuf/util/json_util.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "api/api.pb.h"
#include "ops/http_client.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"

namespace vault::testing {
namespace {

using ops::HttpClient;
using ops::HttpResult;
using ops::TlsClientOptions;

namespace pb = google::protobuf;

template <class M>
M Parse(const std::string& json) {
  M m;
  pb::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  EXPECT_TRUE(pb::util::JsonStringToMessage(json, &m, o).ok()) << json;
  return m;
}

std::string ErrorCode(const HttpResult& r) { return Parse<api::v1::ErrorResponse>(r.body).error().code(); }

// Every test runs twice: over plain HTTP and over TLS (a self-signed
// certificate made for the test).
class VaultdHttpTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data");
    std::ofstream(dir_.Sub("vaultd.conf")) << "read_timeout_ms: 800\nbody_limit_bytes: 65536\n";
    std::vector<std::string> args = {"--dev", "--data-dir", data_, "--config", dir_.Sub("vaultd.conf")};
    if (GetParam()) {
      const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                              "-addext subjectAltName=IP:127.0.0.1 2>/dev/null -keyout " +
                              dir_.Sub("key.pem") + " -out " + dir_.Sub("cert.pem");
      ASSERT_EQ(std::system(cmd.c_str()), 0);
      tls_ = TlsClientOptions{dir_.Sub("cert.pem"), "", ""};
      for (const std::string& a : std::vector<std::string>{"--tls-cert", dir_.Sub("cert.pem"), "--tls-key",
                                                           dir_.Sub("key.pem")}) {
        args.push_back(a);
      }
    }
    server_ = std::make_unique<VaultdProcess>(args);
    ASSERT_GT(server_->port(), 0) << "vaultd did not start";
    root_key_ = ReadFirstLine(data_ + "/root-api-key");
    ASSERT_EQ(root_key_.substr(0, 7), "vaultd_");
    client_ = NewClient();
  }
  std::unique_ptr<HttpClient> NewClient() {
    return std::make_unique<HttpClient>("127.0.0.1", server_->port(), GetParam() ? &tls_ : nullptr);
  }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& key = "", const std::string& purpose = "") {
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    if (!purpose.empty()) headers["X-Purpose"] = purpose;
    return client_->Request(method, target, body, headers);
  }

  // Tenant acme with a tokenizer and a support principal.
  void Provision() {
    ASSERT_EQ(Call("POST", "/v1/tenants", R"({"id": "acme", "residency": "cn"})", root_key_).status, 201);
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/tokenizer",
                   R"({"actions": ["tokenize", "write", "revoke"], "types": ["*"], "max_reveal": "token_only",
                       "allow_deterministic": true})",
                   root_key_).status, 200);
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/support",
                   R"({"actions": ["detokenize", "read", "search"], "types": ["phone", "bank_card"],
                       "max_reveal": "masked", "purposes": ["support"], "require_purpose": true})",
                   root_key_).status, 200);
    HttpResult t = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": "billing-svc", "roles": ["tokenizer"]})", root_key_);
    ASSERT_EQ(t.status, 201) << t.body;
    tokenizer_key_ = Parse<api::v1::PrincipalResponse>(t.body).api_key();
    HttpResult s = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": "helpdesk", "roles": ["support"]})", root_key_);
    ASSERT_EQ(s.status, 201) << s.body;
    support_key_ = Parse<api::v1::PrincipalResponse>(s.body).api_key();
  }

  TempDir dir_;
  TlsClientOptions tls_;
  std::string data_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string root_key_, tokenizer_key_, support_key_;
};

TEST_P(VaultdHttpTest, HealthPrintsEveryField) {
  HttpResult r = Call("GET", "/v1/sys/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"initialized\":true"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"sealed\":false"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"version\""), std::string::npos);
  EXPECT_FALSE(r.headers["x-request-id"].empty());
  HttpResult echoed = client_->Request("GET", "/v1/sys/health", "", {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(echoed.headers["x-request-id"], "abc-123");
}

TEST_P(VaultdHttpTest, TokenizeDetokenizeRoundTripWithRolesAndPurpose) {
  Provision();
  HttpResult t = Call("POST", "/v1/tenants/acme/tokenize",
                      R"({"items": [{"type": "bank_card", "value": "4111 1111 1111 1111", "subject": "u-123"},
                                    {"type": "phone", "value": "+86 138 0013 8000", "format": "deterministic"}]})",
                      tokenizer_key_);
  ASSERT_EQ(t.status, 200) << t.body;
  auto tokens = Parse<api::v1::TokenizeResponse>(t.body);
  ASSERT_EQ(tokens.items_size(), 2);
  EXPECT_EQ(tokens.items(0).type(), "bank_card");
  const std::string card = tokens.items(0).token(), phone = tokens.items(1).token();
  HttpResult d = Call("POST", "/v1/tenants/acme/detokenize",
                      R"({"tokens": [")" + card + R"(", ")" + phone + R"(", "garbage"], "reveal": "masked"})",
                      support_key_, "support");
  ASSERT_EQ(d.status, 200) << d.body;
  auto items = Parse<api::v1::DetokenizeResponse>(d.body);
  ASSERT_EQ(items.items_size(), 3);
  EXPECT_EQ(items.items(0).value(), "************1111");
  EXPECT_EQ(items.items(0).reveal(), "masked");
  EXPECT_EQ(items.items(1).value(), "+86 138****8000");
  EXPECT_EQ(items.items(2).error().code(), "NOT_FOUND");
  // The per-item error carries no empty value fields.
  EXPECT_NE(d.body.find(R"({"token":"garbage","error":{"code":"NOT_FOUND"}})"), std::string::npos)
      << d.body;
  // No purpose: 403; above the role's maximum: 403 for the whole call.
  HttpResult no_purpose = Call("POST", "/v1/tenants/acme/detokenize",
                               R"({"tokens": [")" + card + R"("]})", support_key_);
  EXPECT_EQ(no_purpose.status, 403);
  EXPECT_EQ(ErrorCode(no_purpose), "PERMISSION_DENIED");
  HttpResult plain = Call("POST", "/v1/tenants/acme/detokenize",
                          R"({"tokens": [")" + card + R"("], "reveal": "plain"})", support_key_, "support");
  EXPECT_EQ(plain.status, 403);
  // Revoke, then NOT_FOUND.
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/tokens/" + card, "", tokenizer_key_).status, 204);
  HttpResult after = Call("POST", "/v1/tenants/acme/detokenize", R"({"tokens": [")" + card + R"("]})",
                          support_key_, "support");
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(after.body).items(0).error().code(), "NOT_FOUND");
}

TEST_P(VaultdHttpTest, RetainedFieldsOutliveErasureForLegalReadersOnly) {
  Provision();
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/legal",
                 R"({"actions": ["read"], "types": ["*"], "max_reveal": "plain", "purposes": ["legal"]})",
                 root_key_).status, 200);
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/eraser",
                 R"({"actions": ["erase"], "types": ["*"], "max_reveal": "token_only"})", root_key_).status,
            200);
  auto key_of = [&](const std::string& name, const std::string& role) {
    HttpResult p = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": ")" + name + R"(", "roles": [")" + role + R"("]})", root_key_);
    return Parse<api::v1::PrincipalResponse>(p.body).api_key();
  };
  const std::string legal = key_of("counsel", "legal"), eraser = key_of("dpo", "eraser");
  HttpResult cls = Call("PUT", "/v1/tenants/acme/retention-classes/contract_2y",
                        R"({"duration_days": 730})", root_key_);
  ASSERT_EQ(cls.status, 200) << cls.body;
  HttpResult list = Call("GET", "/v1/tenants/acme/retention-classes", "", root_key_);
  EXPECT_NE(list.body.find("\"financial_5y\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"contract_2y\""), std::string::npos) << list.body;
  HttpResult unknown = Call("PUT", "/v1/tenants/acme/subjects/u-9",
                            R"({"fields": {"c": {"type": "bank_card", "value": "4111111111111111",
                                                 "retention": "nope"}}})",
                            tokenizer_key_);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-9",
                 R"({"fields": {"card": {"type": "bank_card", "value": "4111111111111111",
                                         "retention": "financial_5y"},
                                "mobile": {"type": "phone", "value": "+8613800138000"}}})",
                 tokenizer_key_).status, 200);
  HttpResult erased = Call("POST", "/v1/tenants/acme/subjects/u-9/erasure", R"({"grace_seconds": 0})",
                           eraser);
  ASSERT_EQ(erased.status, 200) << erased.body;
  auto answer = Parse<api::v1::ErasureResponse>(erased.body);
  ASSERT_EQ(answer.retained_size(), 1) << erased.body;
  EXPECT_EQ(answer.retained(0).retention(), "financial_5y");
  EXPECT_EQ(answer.retained(0).fields(0), "card");
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-9?reveal=masked", "", support_key_, "support").status,
            410);
  HttpResult kept = Call("GET", "/v1/tenants/acme/subjects/u-9?reveal=plain", "", legal, "legal");
  ASSERT_EQ(kept.status, 200) << kept.body;
  auto view = Parse<api::v1::SubjectResponse>(kept.body);
  ASSERT_EQ(view.fields().size(), 1u) << kept.body;
  EXPECT_EQ(view.fields().at("card").value(), "4111111111111111");
}

TEST_P(VaultdHttpTest, SubjectsSearchAuditAndKeys) {
  Provision();
  HttpResult put = Call("PUT", "/v1/tenants/acme/subjects/u-123",
                        R"({"fields": {"mobile": {"type": "phone", "value": "+86 138 0013 8000"},
                                       "salary_card": {"type": "bank_card", "value": "4111111111111111",
                                                       "retention": "financial_5y"},
                                       "name": {"type": "person_name", "value": "张三"}}})",
                        tokenizer_key_);
  ASSERT_EQ(put.status, 200) << put.body;
  auto put_out = Parse<api::v1::PutSubjectResponse>(put.body);
  EXPECT_EQ(put_out.tokens().size(), 3u);
  HttpResult get = Call("GET", "/v1/tenants/acme/subjects/u-123?fields=mobile,name&reveal=masked", "",
                        support_key_, "support");
  ASSERT_EQ(get.status, 200) << get.body;
  auto view = Parse<api::v1::SubjectResponse>(get.body);
  EXPECT_EQ(view.fields().at("mobile").value(), "+86 138****8000");
  ASSERT_EQ(view.withheld_size(), 1);
  EXPECT_EQ(view.withheld(0), "name");
  HttpResult search = Call("POST", "/v1/tenants/acme/subjects:search",
                           R"({"type": "phone", "value": "+8613800138000"})", support_key_, "support");
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_EQ(Parse<api::v1::SearchResponse>(search.body).subjects(0), "u-123");
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/subjects/u-123/fields/mobile", "", tokenizer_key_).status, 204);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-404", "", support_key_, "support").status, 404);

  HttpResult audit = Call("GET", "/v1/tenants/acme/audit?subject=u-123&limit=10", "", root_key_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto entries = Parse<api::v1::AuditQueryResponse>(audit.body);
  EXPECT_GE(entries.entries_size(), 3);
  EXPECT_NE(audit.body.find("\"seq\":1"), std::string::npos) << audit.body;
  HttpResult verify = Call("GET", "/v1/sys/audit/verify", "", root_key_);
  ASSERT_EQ(verify.status, 200);
  EXPECT_TRUE(Parse<api::v1::AuditVerifyResponse>(verify.body).ok()) << verify.body;
  EXPECT_EQ(Call("GET", "/v1/sys/audit/verify", "", support_key_).status, 403);

  EXPECT_EQ(Call("POST", "/v1/tenants/acme/keys/rotate", "", root_key_).status, 200);
  auto keys = Parse<api::v1::KeyList>(Call("GET", "/v1/tenants/acme/keys", "", root_key_).body);
  ASSERT_EQ(keys.versions_size(), 2);
  EXPECT_EQ(keys.versions(1).state(), "active");
  HttpResult receipt_key = Call("GET", "/v1/sys/receipt-key");
  EXPECT_EQ(receipt_key.status, 200);
  EXPECT_EQ(Parse<api::v1::ReceiptKeyResponse>(receipt_key.body).public_key().size(), 44u);
  HttpResult metrics = Call("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("vaultd_http_requests_total{method=\"PUT\",route=\"/v1/tenants/{tenant}/subjects/{subject}\",status=\"200\"} 1"),
            std::string::npos);
  EXPECT_EQ(metrics.body.find("u-123"), std::string::npos);  // labels hold routes, not ids
}

TEST_P(VaultdHttpTest, BadInputGetsTheDocumentedErrors) {
  Provision();
  struct Case {
    std::string method, target, body, key;
    int status;
    std::string code;
  };
  const std::string long_body = R"({"items": [{"type": "generic", "value": ")" + std::string(70000, 'x') + R"("}]})";
  std::vector<Case> cases = {
      {"POST", "/v1/tenants/acme/tokenize", "{not json", tokenizer_key_, 400, "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"itemz": []})", tokenizer_key_, 400, "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"items": "nope"})", tokenizer_key_, 400, "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize",
       R"({"items": [{"type": "bank_card", "value": "4111111111111112"}]})", tokenizer_key_, 400,
       "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize", long_body, tokenizer_key_, 413, "PAYLOAD_TOO_LARGE"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"items": []})", "", 401, "UNAUTHENTICATED"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"items": []})", "vaultd_" + std::string(43, 'A'), 401,
       "UNAUTHENTICATED"},
      {"POST", "/v1/tenants", R"({"id": "acme"})", root_key_, 409, "ALREADY_EXISTS"},
      {"POST", "/v1/tenants", R"({"id": "Bad Id"})", root_key_, 400, "INVALID_ARGUMENT"},
      {"GET", "/v1/tenants/nobody", "", root_key_, 404, "NOT_FOUND"},
      {"POST", "/v1/sys/init", R"({"shares": 5, "threshold": 3})", "", 409, "FAILED_PRECONDITION"},
      {"GET", "/v1/nowhere", "", root_key_, 404, "NOT_FOUND"},
  };
  for (const Case& c : cases) {
    std::unique_ptr<HttpClient> fresh = NewClient();  // 413 closes the connection
    std::map<std::string, std::string> headers;
    if (!c.key.empty()) headers["Authorization"] = "Bearer " + c.key;
    HttpResult r = fresh->Request(c.method, c.target, c.body, headers);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body.substr(0, 60);
    if (r.status == c.status) {
      EXPECT_EQ(ErrorCode(r), c.code) << r.body;
    }
    EXPECT_EQ(r.body.find("4111111111111112"), std::string::npos);  // no value in errors
  }
  // A tenant principal on another tenant's path.
  ASSERT_EQ(Call("POST", "/v1/tenants", R"({"id": "globex"})", root_key_).status, 201);
  HttpResult other = Call("POST", "/v1/tenants/globex/tokenize",
                          R"({"items": [{"type": "generic", "value": "x"}]})", tokenizer_key_);
  EXPECT_EQ(other.status, 403);
  // Nothing half-written by the rejected batch.
  HttpResult audit = Call("GET", "/v1/tenants/acme/audit?action=tokenize", "", root_key_);
  EXPECT_EQ(Parse<api::v1::AuditQueryResponse>(audit.body).entries_size(), 0) << audit.body;
}

TEST_P(VaultdHttpTest, OversizedHeadersAndSlowClientsAreCutOff) {
  HttpResult big = client_->Request("GET", "/v1/sys/health", "", {{"X-Junk", std::string(20000, 'j')}});
  EXPECT_EQ(big.status, 431);
  // A client that trickles its request one byte at a time is disconnected
  // at the read deadline (800 ms in this test's config).
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request = "GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (char c : request) {
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  char buf[64];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  EXPECT_TRUE(cut || n <= 0) << "the slow client got an answer";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_P(VaultdHttpTest, BinaryProtobufRoundTrip) {
  Provision();
  api::v1::TokenizeRequest req;
  auto* item = req.add_items();
  item->set_type("email");
  item->set_value("a@example.com");
  HttpResult r = client_->Request("POST", "/v1/tenants/acme/tokenize", req.SerializeAsString(),
                                  {{"Authorization", "Bearer " + tokenizer_key_},
                                   {"Content-Type", "application/x-protobuf"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/x-protobuf");
  api::v1::TokenizeResponse out;
  ASSERT_TRUE(out.ParseFromString(r.body));
  EXPECT_EQ(out.items(0).type(), "email");
}

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
  Provision();
  std::vector<std::string> values;
  for (int i = 0; i < 200; ++i) {
    std::string v = "+86139" + std::to_string(20000000 + i);
    values.push_back(v);
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/s-" + std::to_string(i),
                   R"({"fields": {"m": {"type": "phone", "value": ")" + v + R"("}, "n": {"type": "generic", "value": "note-)" +
                       std::to_string(i) + R"(-quietly"}}})",
                   tokenizer_key_).status, 200);
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
      HttpResult r = c->Request("POST", "/v1/tenants/acme/tokenize",
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
    for (const std::string& a : std::vector<std::string>{"--tls-cert", dir_.Sub("cert.pem"), "--tls-key",
                                                         dir_.Sub("key.pem")}) {
      args.push_back(a);
    }
  }
  server_ = std::make_unique<VaultdProcess>(args);
  ASSERT_GT(server_->port(), 0);
  client_ = NewClient();
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/reader",
                 R"({"actions": ["detokenize"], "types": ["generic"], "max_reveal": "plain"})", root_key_).status, 200);
  HttpResult reader = Call("POST", "/v1/tenants/acme/principals", R"({"name": "reader", "roles": ["reader"]})", root_key_);
  const std::string key = Parse<api::v1::PrincipalResponse>(reader.body).api_key();
  std::string body = R"({"reveal": "plain", "tokens": [)";
  for (int i = 0; i < kConnections; ++i) body += (i ? ",\"" : "\"") + tokens[static_cast<size_t>(i)] + "\"";
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
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/dpo",
                 R"({"actions": ["erase", "hold", "keys"], "types": ["*"], "max_reveal": "token_only"})",
                 root_key_).status, 200);
  HttpResult p = Call("POST", "/v1/tenants/acme/principals", R"({"name": "dpo", "roles": ["dpo"]})", root_key_);
  const std::string dpo = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-1",
                 R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138000"}}})", tokenizer_key_).status, 200);
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-2",
                 R"({"fields": {"mobile": {"type": "phone", "value": "+8613900139000"}}})", tokenizer_key_).status, 200);
  HttpResult t = Call("POST", "/v1/tenants/acme/tokenize",
                      R"({"items": [{"type": "phone", "value": "+8613800138000", "subject": "u-1"}]})", tokenizer_key_);
  const std::string token = Parse<api::v1::TokenizeResponse>(t.body).items(0).token();

  // A hold blocks erasure (409), releasing it allows it.
  HttpResult hold = Call("PUT", "/v1/tenants/acme/subjects/u-1/holds/dispute-42", R"({"reason": "dispute 42"})", dpo);
  ASSERT_EQ(hold.status, 200) << hold.body;
  HttpResult blocked = Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo);
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
  EXPECT_EQ(Parse<api::v1::ErasureResponse>(Call("GET", "/v1/tenants/acme/erasures/" + pe.erasure_id(), "", dpo).body).state(),
            "cancelled");
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/subjects/u-2/erasure", "", dpo).status, 409);
  // Immediate erasure with a signed receipt.
  HttpResult now = Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", dpo);
  ASSERT_EQ(now.status, 200) << now.body;
  auto done = Parse<api::v1::ErasureResponse>(now.body);
  EXPECT_EQ(done.state(), "done");
  EXPECT_EQ(done.receipt().subject(), "u-1");
  EXPECT_EQ(done.receipt().public_key(),
            Parse<api::v1::ReceiptKeyResponse>(Call("GET", "/v1/sys/receipt-key").body).public_key());
  // After erasure: reads 410, tokens per-item GONE, search finds nothing.
  HttpResult read = Call("GET", "/v1/tenants/acme/subjects/u-1", "", support_key_, "support");
  EXPECT_EQ(read.status, 410);
  EXPECT_EQ(ErrorCode(read), "GONE");
  HttpResult d = Call("POST", "/v1/tenants/acme/detokenize", R"({"tokens": [")" + token + R"("]})",
                      support_key_, "support");
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(d.body).items(0).error().code(), "GONE");
  HttpResult search = Call("POST", "/v1/tenants/acme/subjects:search",
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

TEST_P(VaultdHttpTest, ExportForASubjectAccessRequest) {
  Provision();
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/dpo",
                 R"({"actions": ["export"], "types": ["*"], "max_reveal": "plain", "purposes": ["subject_request"]})",
                 root_key_).status, 200);
  HttpResult p = Call("POST", "/v1/tenants/acme/principals", R"({"name": "dpo", "roles": ["dpo"]})", root_key_);
  const std::string dpo = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-1",
                 R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138000"}}})", tokenizer_key_).status, 200);
  HttpResult ex = Call("GET", "/v1/tenants/acme/subjects/u-1/export", "", dpo);
  ASSERT_EQ(ex.status, 200) << ex.body;
  auto out = Parse<api::v1::ExportResponse>(ex.body);
  EXPECT_EQ(out.fields().at("mobile").value(), "+8613800138000");
  EXPECT_EQ(out.fields().at("mobile").reveal(), "plain");
  EXPECT_GE(out.access_report_size(), 1);
}

INSTANTIATE_TEST_SUITE_P(Transports, VaultdHttpTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "tls" : "plain";
                         });

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
  ASSERT_EQ(std::system((openssl + "-keyout " + dir.Sub("key.pem") + " -out " + dir.Sub("cert.pem")).c_str()), 0);
  ASSERT_EQ(std::system((openssl + "-keyout " + dir.Sub("ckey.pem") + " -out " + dir.Sub("ccert.pem")).c_str()), 0);
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
