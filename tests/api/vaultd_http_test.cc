// Integration tests: the real vaultd binary on a free port, driven over real
// sockets (plain HTTP and TLS with a certificate made at test time), through
// the endpoints of ../shared/API.md that exist so far, with the documented
// status and error codes for bad input.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/api/vaultd_http_fixture.h"

namespace vault::testing {
namespace {

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
  HttpResult t =
      Call("POST", "/v1/tenants/acme/tokenize",
           R"({"items": [{"type": "bank_card", "value": "4111 1111 1111 1111", "subject": "u-123"},
                                    {"type": "phone", "value": "+86 138 0013 8000", "format": "deterministic"}]})",
           tokenizer_key_);
  ASSERT_EQ(t.status, 200) << t.body;
  auto tokens = Parse<api::v1::TokenizeResponse>(t.body);
  ASSERT_EQ(tokens.items_size(), 2);
  EXPECT_EQ(tokens.items(0).type(), "bank_card");
  const std::string card = tokens.items(0).token(), phone = tokens.items(1).token();
  HttpResult d =
      Call("POST", "/v1/tenants/acme/detokenize",
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
  HttpResult plain =
      Call("POST", "/v1/tenants/acme/detokenize",
           R"({"tokens": [")" + card + R"("], "reveal": "plain"})", support_key_, "support");
  EXPECT_EQ(plain.status, 403);
  // Revoke, then NOT_FOUND.
  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/tokens/" + card, "", tokenizer_key_).status, 204);
  HttpResult after = Call("POST", "/v1/tenants/acme/detokenize",
                          R"({"tokens": [")" + card + R"("]})", support_key_, "support");
  EXPECT_EQ(Parse<api::v1::DetokenizeResponse>(after.body).items(0).error().code(), "NOT_FOUND");
}

TEST_P(VaultdHttpTest, RetainedFieldsOutliveErasureForLegalReadersOnly) {
  Provision();
  ASSERT_EQ(
      Call("PUT", "/v1/tenants/acme/roles/legal",
           R"({"actions": ["read"], "types": ["*"], "max_reveal": "plain", "purposes": ["legal"]})",
           root_key_)
          .status,
      200);
  ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/eraser",
                 R"({"actions": ["erase"], "types": ["*"], "max_reveal": "token_only"})", root_key_)
                .status,
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
                 tokenizer_key_)
                .status,
            200);
  HttpResult erased =
      Call("POST", "/v1/tenants/acme/subjects/u-9/erasure", R"({"grace_seconds": 0})", eraser);
  ASSERT_EQ(erased.status, 200) << erased.body;
  auto answer = Parse<api::v1::ErasureResponse>(erased.body);
  ASSERT_EQ(answer.retained_size(), 1) << erased.body;
  EXPECT_EQ(answer.retained(0).retention(), "financial_5y");
  EXPECT_EQ(answer.retained(0).fields(0), "card");
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-9?reveal=masked", "", support_key_, "support")
                .status,
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
  HttpResult get = Call("GET", "/v1/tenants/acme/subjects/u-123?fields=mobile,name&reveal=masked",
                        "", support_key_, "support");
  ASSERT_EQ(get.status, 200) << get.body;
  auto view = Parse<api::v1::SubjectResponse>(get.body);
  EXPECT_EQ(view.fields().at("mobile").value(), "+86 138****8000");
  ASSERT_EQ(view.withheld_size(), 1);
  EXPECT_EQ(view.withheld(0), "name");
  HttpResult search =
      Call("POST", "/v1/tenants/acme/subjects:search",
           R"({"type": "phone", "value": "+8613800138000"})", support_key_, "support");
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_EQ(Parse<api::v1::SearchResponse>(search.body).subjects(0), "u-123");
  EXPECT_EQ(
      Call("DELETE", "/v1/tenants/acme/subjects/u-123/fields/mobile", "", tokenizer_key_).status,
      204);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-404", "", support_key_, "support").status,
            404);

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
  EXPECT_NE(metrics.body.find("vaultd_http_requests_total{method=\"PUT\",route=\"/v1/tenants/"
                              "{tenant}/subjects/{subject}\",status=\"200\"} 1"),
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
  const std::string long_body =
      R"({"items": [{"type": "generic", "value": ")" + std::string(70000, 'x') + R"("}]})";
  std::vector<Case> cases = {
      {"POST", "/v1/tenants/acme/tokenize", "{not json", tokenizer_key_, 400, "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"itemz": []})", tokenizer_key_, 400,
       "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"items": "nope"})", tokenizer_key_, 400,
       "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize",
       R"({"items": [{"type": "bank_card", "value": "4111111111111112"}]})", tokenizer_key_, 400,
       "INVALID_ARGUMENT"},
      {"POST", "/v1/tenants/acme/tokenize", long_body, tokenizer_key_, 413, "PAYLOAD_TOO_LARGE"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"items": []})", "", 401, "UNAUTHENTICATED"},
      {"POST", "/v1/tenants/acme/tokenize", R"({"items": []})", "vaultd_" + std::string(43, 'A'),
       401, "UNAUTHENTICATED"},
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
  HttpResult big =
      client_->Request("GET", "/v1/sys/health", "", {{"X-Junk", std::string(20000, 'j')}});
  EXPECT_EQ(big.status, 431);
  // A client that trickles its request one byte at a time is disconnected
  // at the read deadline (800 ms in this test's config).
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request =
      "GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
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
  HttpResult r = client_->Request(
      "POST", "/v1/tenants/acme/tokenize", req.SerializeAsString(),
      {{"Authorization", "Bearer " + tokenizer_key_}, {"Content-Type", "application/x-protobuf"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/x-protobuf");
  api::v1::TokenizeResponse out;
  ASSERT_TRUE(out.ParseFromString(r.body));
  EXPECT_EQ(out.items(0).type(), "email");
}

INSTANTIATE_TEST_SUITE_P(Transports, VaultdHttpTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "tls" : "plain";
                         });

}  // namespace
}  // namespace vault::testing
