// The holes an outside review found, tried again as that attacker would:
// through the real vaultd over HTTP with an ordinary tenant API key. Each
// test runs the attack and shows it no longer works (docs/threat-model.md,
// "Hardening").
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "api/api.pb.h"
#include "ops/http_client.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"

namespace vault::testing {
namespace {

using ops::HttpClient;
using ops::HttpResult;
namespace pb = google::protobuf;

template <class M>
M Parse(const std::string& json) {
  M m;
  EXPECT_TRUE(pb::util::JsonStringToMessage(json, &m).ok()) << json;
  return m;
}

class HardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.Sub("data");
    server_ =
        std::make_unique<VaultdProcess>(std::vector<std::string>{"--dev", "--data-dir", data_});
    ASSERT_GT(server_->port(), 0) << "vaultd did not start";
    root_ = ReadFirstLine(data_ + "/root-api-key");
    client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port(), nullptr);
    ASSERT_EQ(Call("POST", "/v1/tenants", R"({"id": "acme"})", root_).status, 201);
    // The README's roles.
    PutRole("tokenizer",
            R"({"actions": ["tokenize"], "types": ["*"], "max_reveal": "token_only"})");
    PutRole("support", R"({"actions": ["detokenize"], "types": ["phone"], "max_reveal": "masked",
                           "purposes": ["support"], "require_purpose": true})");
  }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& body,
                  const std::string& key, const std::string& purpose = "") {
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    if (!purpose.empty()) headers["X-Purpose"] = purpose;
    return client_->Request(method, target, body, headers);
  }
  void PutRole(const std::string& name, const std::string& body) {
    HttpResult r = Call("PUT", "/v1/tenants/acme/roles/" + name, body, root_);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string NewPrincipal(const std::string& name, const std::string& roles) {
    HttpResult r = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": ")" + name + R"(", "roles": )" + roles + "}", root_);
    EXPECT_EQ(r.status, 201) << r.body;
    return Parse<api::v1::PrincipalResponse>(r.body).api_key();
  }
  std::vector<std::string> Tokenize(const std::string& key, const std::vector<std::string>& values,
                                    const std::string& extra = "") {
    std::string body = R"({"items": [)";
    for (size_t i = 0; i < values.size(); ++i) {
      body += (i ? "," : "") + std::string(R"({"type": "phone", "value": ")") + values[i] + "\"" +
              extra + "}";
    }
    body += "]}";
    HttpResult r = Call("POST", "/v1/tenants/acme/tokenize", body, key);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const api::v1::TokenizeResponse parsed = Parse<api::v1::TokenizeResponse>(r.body);
    for (const auto& item : parsed.items()) out.push_back(item.token());
    return out;
  }
  api::v1::DetokenizeResponse Detokenize(const std::string& key,
                                         const std::vector<std::string>& tokens,
                                         const std::string& reveal) {
    std::string body = R"({"tokens": [)";
    for (size_t i = 0; i < tokens.size(); ++i) body += (i ? ",\"" : "\"") + tokens[i] + "\"";
    body += R"(], "reveal": ")" + reveal + "\"}";
    HttpResult r = Call("POST", "/v1/tenants/acme/detokenize", body, key, "support");
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse<api::v1::DetokenizeResponse>(r.body);
  }
  std::string Verify() { return Call("GET", "/v1/sys/audit/verify", "", root_).body; }

  TempDir dir_;
  std::string data_, root_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

// Finding 1: the attacker holds the README's billing-svc roles (tokenize
// every type, detokenize phones up to masked). It sees the victim's masked
// number, tokenizes candidates for the four hidden digits and compares
// keyed (hashed) views. Before the fix the hashed views matched on the
// victim's digits; now no hashed view of a phone is given to it at all.
TEST_F(HardeningTest, HashedViewsNoLongerRecoverAMaskedPhoneNumber) {
  const std::string app = NewPrincipal("crm", R"(["tokenizer"])");
  const std::string victim = Tokenize(app, {"+86 138 0013 8000"}).at(0);
  const std::string billing = NewPrincipal("billing-svc", R"(["tokenizer", "support"])");

  api::v1::DetokenizeResponse masked = Detokenize(billing, {victim}, "masked");
  ASSERT_EQ(masked.items(0).value(), "+86 138****8000");
  // Candidates for the hidden digits (a slice holding the right one: the
  // full 10,000 take 100 calls and change nothing in what is shown).
  std::vector<std::string> candidates;
  for (int i = 0; i < 200; ++i) {
    char digits[5];
    std::snprintf(digits, sizeof digits, "%04d", i);
    candidates.push_back(std::string("+86138") + digits + "8000");
  }
  std::vector<std::string> mine = Tokenize(billing, {candidates.begin(), candidates.begin() + 100});
  for (const std::string& t : Tokenize(billing, {candidates.begin() + 100, candidates.end()})) {
    mine.push_back(t);
  }
  std::vector<std::string> asked = mine;
  asked.push_back(victim);
  api::v1::DetokenizeResponse hashed = Detokenize(billing, asked, "hashed");
  ASSERT_EQ(hashed.items_size(), 201);
  std::map<std::string, std::string> by_hash;
  for (int i = 0; i < 200; ++i) {
    if (!hashed.items(i).value().empty()) by_hash[hashed.items(i).value()] = candidates[i];
  }
  const std::string victim_hash = hashed.items(200).value();
  const std::string recovered = by_hash.count(victim_hash) ? by_hash[victim_hash] : "";
  EXPECT_EQ(recovered, "") << "the attack recovered the number";
  EXPECT_TRUE(victim_hash.empty());
  EXPECT_EQ(hashed.items(200).error().code(), "PERMISSION_DENIED");
  EXPECT_EQ(hashed.items(0).error().code(), "PERMISSION_DENIED");
  // A reader that cannot choose inputs still gets hashed views (joins).
  const std::string analyst = NewPrincipal("analyst", R"(["support"])");
  EXPECT_EQ(Detokenize(analyst, {victim}, "hashed").items(0).value().size(), 64u);
}

// Finding 1, deterministic variant: a tokenize-only principal that knows the
// victim's subject and deterministic token tokenizes guesses with that
// subject until one matches. Deterministic tokens of a low-entropy type now
// need a role that opts in.
TEST_F(HardeningTest, DeterministicLowEntropyTokensNeedAnOptIn) {
  PutRole("joiner", R"({"actions": ["tokenize"], "types": ["phone"], "max_reveal": "token_only",
                        "allow_deterministic": true})");
  const std::string joiner = NewPrincipal("joiner", R"(["joiner"])");
  const std::string victim =
      Tokenize(joiner, {"+8613800138000"}, R"(, "subject": "u-1", "format": "deterministic")")
          .at(0);
  const std::string attacker = NewPrincipal("attacker", R"(["tokenizer"])");
  HttpResult guess = Call("POST", "/v1/tenants/acme/tokenize",
                          R"({"items": [{"type": "phone", "value": "+8613800138000",
                                         "subject": "u-1", "format": "deterministic"}]})",
                          attacker);
  EXPECT_EQ(guess.status, 403) << guess.body;
  EXPECT_EQ(Parse<api::v1::ErrorResponse>(guess.body).error().code(), "PERMISSION_DENIED");
  EXPECT_EQ(guess.body.find(victim), std::string::npos);
  // Free-text types are not enumerable and keep deterministic tokens.
  EXPECT_EQ(
      Call("POST", "/v1/tenants/acme/tokenize",
           R"({"items": [{"type": "email", "value": "a@example.com", "format": "deterministic"}]})",
           attacker)
          .status,
      200);
  // The role shows its opt-in.
  EXPECT_NE(
      Call("GET", "/v1/tenants/acme/roles", "", root_).body.find(R"("allow_deterministic":true)"),
      std::string::npos);
}

// Finding 2: a writer allowed only phones overwrote a bank card by sending
// a phone under the card's field name; holds did not protect fields.
TEST_F(HardeningTest, FieldWritesRespectTheStoredTypeHoldsAndRetention) {
  PutRole("writer", R"({"actions": ["write"], "types": ["*"], "max_reveal": "token_only"})");
  PutRole("phone-writer",
          R"({"actions": ["write"], "types": ["phone"], "max_reveal": "token_only"})");
  PutRole("legal", R"({"actions": ["hold"], "types": [], "max_reveal": "token_only"})");
  const std::string writer = NewPrincipal("hr", R"(["writer"])");
  const std::string phones = NewPrincipal("sms", R"(["phone-writer"])");
  const std::string legal = NewPrincipal("legal", R"(["legal"])");
  const std::string subject = "/v1/tenants/acme/subjects/u-1";
  ASSERT_EQ(Call("PUT", subject, R"({"fields": {
                   "card": {"type": "bank_card", "value": "4111111111111111"},
                   "salary": {"type": "bank_card", "value": "5555555555554444", "retention": "financial_5y"},
                   "mobile": {"type": "phone", "value": "+8613800138000"}}})",
                 writer)
                .status,
            200);
  HttpResult over =
      Call("PUT", subject, R"({"fields": {"card": {"type": "phone", "value": "+8613800138001"}}})",
           phones);
  EXPECT_EQ(over.status, 403) << over.body;
  EXPECT_EQ(Call("DELETE", subject + "/fields/card", "", phones).status, 403);
  HttpResult retyped =
      Call("PUT", subject,
           R"({"fields": {"salary": {"type": "phone", "value": "+8613800138001"}}})", writer);
  EXPECT_EQ(retyped.status, 409) << retyped.body;
  EXPECT_EQ(Parse<api::v1::ErrorResponse>(retyped.body).error().code(), "FAILED_PRECONDITION");

  ASSERT_EQ(Call("PUT", subject + "/holds/case-7", R"({"reason": "dispute"})", legal).status, 200);
  HttpResult held =
      Call("PUT", subject,
           R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138001"}}})", phones);
  EXPECT_EQ(held.status, 409) << held.body;
  EXPECT_EQ(Parse<api::v1::ErrorResponse>(held.body).error().code(), "FAILED_PRECONDITION");
  EXPECT_EQ(Call("DELETE", subject + "/fields/mobile", "", phones).status, 409);
  ASSERT_EQ(Call("DELETE", subject + "/holds/case-7", "", legal).status, 204);
  EXPECT_EQ(Call("PUT", subject,
                 R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138001"}}})", phones)
                .status,
            200);
  EXPECT_EQ(Call("DELETE", subject + "/fields/mobile", "", phones).status, 204);
}

// Finding 3: any tokenizer could compute another service's deterministic
// token and revoke it; revoking now needs the `revoke` grant, and a revoked
// deterministic value gets its next token instead of 409 for ever.
TEST_F(HardeningTest, SharedDeterministicTokensNeedTheRevokeGrant) {
  PutRole("joiner", R"({"actions": ["tokenize", "detokenize"], "types": ["phone"],
                        "max_reveal": "masked", "purposes": ["support"], "allow_deterministic": true})");
  PutRole("revoker", R"({"actions": ["revoke"], "types": ["*"], "max_reveal": "token_only"})");
  const std::string a = NewPrincipal("svc-a", R"(["joiner"])");
  const std::string b = NewPrincipal("svc-b", R"(["joiner"])");
  const std::string revoker = NewPrincipal("revoker", R"(["revoker"])");
  const std::string det = R"(, "format": "deterministic")";
  const std::string token = Tokenize(a, {"+8613800138000"}, det).at(0);
  ASSERT_EQ(Tokenize(b, {"+8613800138000"}, det).at(0), token);  // shared
  HttpResult revoke = Call("DELETE", "/v1/tenants/acme/tokens/" + token, "", b);
  EXPECT_EQ(revoke.status, 403) << revoke.body;
  EXPECT_EQ(Detokenize(a, {token}, "masked").items(0).value(), "+86 138****8000");

  EXPECT_EQ(Call("DELETE", "/v1/tenants/acme/tokens/" + token, "", revoker).status, 204);
  EXPECT_EQ(Detokenize(a, {token}, "masked").items(0).error().code(), "NOT_FOUND");
  const std::string next = Tokenize(b, {"+8613800138000"}, det).at(0);  // not 409
  EXPECT_NE(next, token);
  EXPECT_EQ(Tokenize(a, {"+8613800138000"}, det).at(0), next);
  EXPECT_EQ(Detokenize(a, {next}, "masked").items(0).value(), "+86 138****8000");
}

// Finding 5: path segments went into the audit chain unvalidated; one with
// invalid UTF-8 made `audit verify` answer "entry is corrupt" for ever.
TEST_F(HardeningTest, HostilePathSegmentsNeitherPoisonNorBreakTheAuditChain) {
  PutRole("auditor", R"({"actions": ["audit"], "types": [], "max_reveal": "token_only"})");
  const std::string app = NewPrincipal("crm", R"(["tokenizer"])");
  const std::string auditor = NewPrincipal("dpo", R"(["auditor"])");
  const std::string big(16000, 'A');
  const std::vector<std::string> targets = {
      "/v1/tenants/acme/subjects/%FF%FE",         "/v1/tenants/%FF%FE/subjects/u-1",
      "/v1/tenants/acme/subjects/%C3%28/export",  "/v1/tenants/acme/subjects/" + big,
      "/v1/tenants/acme/subjects/a%00b/holds/h1", "/v1/tenants/acme/subjects/%E2%82/erasure"};
  for (const std::string& target : targets) {
    for (const char* method : {"GET", "PUT", "POST", "DELETE"}) {
      HttpResult r = Call(method, target, "{}", app);
      EXPECT_GE(r.status, 400) << method << " " << target.substr(0, 60);
      EXPECT_LT(r.status, 500) << method << " " << target.substr(0, 60) << r.body;
    }
  }
  std::string verified = Verify();
  EXPECT_NE(verified.find(R"("ok":true)"), std::string::npos) << verified;
  // Nothing of the hostile segments is in the log; refusals name a marker.
  HttpResult log = Call("GET", "/v1/tenants/acme/audit?limit=1000", "", auditor);
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.body.find("AAAAAAAA"), std::string::npos);
  EXPECT_NE(log.body.find("!invalid"), std::string::npos);
  // And it still verifies after a restart.
  ASSERT_EQ(server_->Stop(), 0);
  server_ = std::make_unique<VaultdProcess>(std::vector<std::string>{"--dev", "--data-dir", data_});
  ASSERT_GT(server_->port(), 0);
  client_ = std::make_unique<HttpClient>("127.0.0.1", server_->port(), nullptr);
  verified = Verify();
  EXPECT_NE(verified.find(R"("ok":true)"), std::string::npos) << verified;
}

}  // namespace
}  // namespace vault::testing
