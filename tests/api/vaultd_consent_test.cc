// Integration tests of the real vaultd binary for issue #17: consent per
// subject (a withdrawn purpose refused and audited on every read path while
// other purposes read; minors readable only for legal and subject_request
// until a guardian consents; consent dies with the subject) and residency (a
// node started with --region refuses the tenants of another region).
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/api/vaultd_http_fixture.h"

namespace vault::testing {
namespace {

// Plain HTTP only: the transport is covered by VaultdHttpTest.
class VaultdConsentTest : public VaultdHttpTest {
 protected:
  // After Provision: a reader (detokenize, read, search, export of every
  // type, masked, purposes support, marketing, legal and subject_request,
  // no purpose required), a consent keeper (write) and an auditor; subject
  // u-1 with a phone and a token of it (token_).
  void ProvisionConsent() {
    Provision();
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/reader",
                   R"({"actions": ["detokenize", "read", "search", "export"], "types": ["*"],
                       "max_reveal": "plain",
                       "purposes": ["support", "marketing", "legal", "subject_request"]})",
                   root_key_)
                  .status,
              200);
    ASSERT_EQ(
        Call("PUT", "/v1/tenants/acme/roles/keeper",
             R"({"actions": ["write"], "types": ["*"], "max_reveal": "token_only"})", root_key_)
            .status,
        200);
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/roles/auditor",
                   R"({"actions": ["audit", "erase"], "types": ["*"], "max_reveal": "token_only"})",
                   root_key_)
                  .status,
              200);
    reader_ = NewPrincipal("reader");
    keeper_ = NewPrincipal("keeper");
    auditor_ = NewPrincipal("auditor");
    ASSERT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-1",
                   R"({"fields": {"mobile": {"type": "phone", "value": "+8613800138000"}}})",
                   tokenizer_key_)
                  .status,
              200);
    HttpResult t =
        Call("POST", "/v1/tenants/acme/tokenize",
             R"({"items": [{"type": "phone", "value": "+8613800138000", "subject": "u-1"}]})",
             tokenizer_key_);
    ASSERT_EQ(t.status, 200) << t.body;
    token_ = Parse<api::v1::TokenizeResponse>(t.body).items(0).token();
  }
  std::string NewPrincipal(const std::string& role) {
    HttpResult p = Call("POST", "/v1/tenants/acme/principals",
                        R"({"name": ")" + role + R"(", "roles": [")" + role + R"("]})", root_key_);
    EXPECT_EQ(p.status, 201) << p.body;
    return Parse<api::v1::PrincipalResponse>(p.body).api_key();
  }
  HttpResult PutConsent(const std::string& body) {
    return Call("PUT", "/v1/tenants/acme/subjects/u-1/consent", body, keeper_);
  }
  // The item's error code, "" when it was revealed.
  std::string DetokenizeCode(const std::string& purpose) {
    HttpResult r =
        Call("POST", "/v1/tenants/acme/detokenize",
             R"({"tokens": [")" + token_ + R"("], "reveal": "masked"})", reader_, purpose);
    EXPECT_EQ(r.status, 200) << r.body;
    auto items = Parse<api::v1::DetokenizeResponse>(r.body);
    if (items.items(0).has_value()) {
      EXPECT_EQ(items.items(0).value(), "+86 138****8000");
      return "";
    }
    return items.items(0).error().code();
  }
  int ReadStatus(const std::string& purpose) {
    return Call("GET", "/v1/tenants/acme/subjects/u-1", "", reader_, purpose).status;
  }
  std::vector<std::string> SearchHits(const std::string& purpose) {
    HttpResult r = Call("POST", "/v1/tenants/acme/subjects:search",
                        R"({"type": "phone", "value": "+8613800138000"})", reader_, purpose);
    EXPECT_EQ(r.status, 200) << r.body;
    auto found = Parse<api::v1::SearchResponse>(r.body);
    return {found.subjects().begin(), found.subjects().end()};
  }
  // "action/outcome/reason" of u-1's audit entries with this purpose.
  std::vector<std::string> AuditOf(const std::string& purpose) {
    HttpResult r = Call("GET", "/v1/tenants/acme/audit?subject=u-1&limit=1000", "", auditor_);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const auto page = Parse<api::v1::AuditQueryResponse>(r.body);
    for (const auto& e : page.entries()) {
      if (e.purpose() == purpose) out.push_back(e.action() + "/" + e.outcome() + "/" + e.reason());
    }
    return out;
  }

  std::string reader_, keeper_, auditor_, token_;
};

TEST_P(VaultdConsentTest, WithdrawnPurposeIsRefusedAndAuditedWhileOtherPurposesRead) {
  ProvisionConsent();
  HttpResult put = PutConsent(R"({"withdrawn_purposes": ["marketing"]})");
  ASSERT_EQ(put.status, 200) << put.body;
  auto stored = Parse<api::v1::Consent>(put.body);
  EXPECT_EQ(stored.withdrawn_purposes_size(), 1);
  EXPECT_FALSE(stored.updated_at().empty());

  EXPECT_EQ(DetokenizeCode("marketing"), "PERMISSION_DENIED");
  EXPECT_EQ(ReadStatus("marketing"), 403);
  EXPECT_TRUE(SearchHits("marketing").empty());
  HttpResult ex = Call("GET", "/v1/tenants/acme/subjects/u-1/export", "", reader_, "marketing");
  EXPECT_EQ(ex.status, 403);
  EXPECT_EQ(ErrorCode(ex), "PERMISSION_DENIED");
  // Every refusal is in the subject's audit report, denied, with the reason.
  std::vector<std::string> refused = AuditOf("marketing");
  for (const char* action : {"detokenize", "read", "search", "export"}) {
    EXPECT_NE(std::find(refused.begin(), refused.end(),
                        std::string(action) + "/denied/consent_withdrawn"),
              refused.end())
        << action;
  }
  EXPECT_EQ(refused.size(), 4u);

  // Other purposes still read, and are logged as allowed.
  EXPECT_EQ(DetokenizeCode("support"), "");
  EXPECT_EQ(ReadStatus("support"), 200);
  EXPECT_EQ(SearchHits("support"), std::vector<std::string>{"u-1"});
  EXPECT_EQ(AuditOf("support").front(), "detokenize/allowed/");
  // Without a stated purpose the read could be a marketing one: refused.
  EXPECT_EQ(DetokenizeCode(""), "PERMISSION_DENIED");
  // The change itself is logged as a write.
  const std::vector<std::string> unstated = AuditOf("");
  EXPECT_NE(std::find(unstated.begin(), unstated.end(), "write/allowed/consent changed"),
            unstated.end());
}

TEST_P(VaultdConsentTest, MinorWithoutGuardianConsentReadableOnlyForLegalAndSubjectRequest) {
  ProvisionConsent();
  ASSERT_EQ(PutConsent(R"({"minor": true, "guardian_consent": false})").status, 200);
  EXPECT_EQ(DetokenizeCode("support"), "PERMISSION_DENIED");
  EXPECT_EQ(DetokenizeCode(""), "PERMISSION_DENIED");
  EXPECT_EQ(ReadStatus("support"), 403);
  EXPECT_TRUE(SearchHits("support").empty());
  EXPECT_EQ(DetokenizeCode("legal"), "");
  EXPECT_EQ(DetokenizeCode("subject_request"), "");
  EXPECT_EQ(ReadStatus("legal"), 200);
  EXPECT_EQ(ReadStatus("subject_request"), 200);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-1/export", "", reader_).status, 200);
  std::vector<std::string> refused = AuditOf("support");
  ASSERT_FALSE(refused.empty());
  for (const std::string& e : refused) {
    EXPECT_EQ(e.substr(e.find('/')), "/denied/minor_without_guardian_consent") << e;
  }

  // A guardian consents: readable again for any granted purpose.
  ASSERT_EQ(PutConsent(R"({"minor": true, "guardian_consent": true})").status, 200);
  EXPECT_EQ(DetokenizeCode("support"), "");
  EXPECT_EQ(ReadStatus("support"), 200);
  EXPECT_EQ(SearchHits("support"), std::vector<std::string>{"u-1"});
}

TEST_P(VaultdConsentTest, ConsentAndItsHistoryAreExportedAndErasedWithTheSubject) {
  ProvisionConsent();
  // A subject without a consent record answers the default.
  HttpResult none = Call("GET", "/v1/tenants/acme/subjects/u-1/consent", "", reader_, "support");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(Parse<api::v1::Consent>(none.body).updated_at(), "");
  ASSERT_EQ(PutConsent(R"({"withdrawn_purposes": ["zebra_newsletter"]})").status, 200);
  ASSERT_EQ(PutConsent(R"({"withdrawn_purposes": ["zebra_newsletter", "analytics"]})").status, 200);
  HttpResult got = Call("GET", "/v1/tenants/acme/subjects/u-1/consent", "", reader_, "support");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Parse<api::v1::Consent>(got.body).withdrawn_purposes_size(), 2);

  HttpResult ex = Call("GET", "/v1/tenants/acme/subjects/u-1/export", "", reader_);
  ASSERT_EQ(ex.status, 200) << ex.body;
  auto exported = Parse<api::v1::ExportResponse>(ex.body);
  EXPECT_EQ(exported.consent().withdrawn_purposes_size(), 2);
  ASSERT_EQ(exported.consent_history_size(), 2);
  EXPECT_EQ(exported.consent_history(0).withdrawn_purposes_size(), 1);
  EXPECT_FALSE(exported.consent_history(0).principal().empty());
  EXPECT_EQ(exported.residency(), "cn");

  HttpResult erased =
      Call("POST", "/v1/tenants/acme/subjects/u-1/erasure", R"({"grace_seconds": 0})", auditor_);
  ASSERT_EQ(erased.status, 200) << erased.body;
  EXPECT_EQ(Parse<api::v1::ErasureResponse>(erased.body).receipt().residency(), "cn");
  HttpResult gone = Call("GET", "/v1/tenants/acme/subjects/u-1/consent", "", reader_, "support");
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(ErrorCode(gone), "GONE");
  EXPECT_EQ(PutConsent("{}").status, 410);
  // The withdrawn purpose was never stated in a request: if it is anywhere
  // on disk, it is the consent record in plaintext.
  ASSERT_EQ(server_->Stop(), 0);
  EXPECT_TRUE(FindInFiles(data_, {"zebra_newsletter"}).empty());
}

TEST_P(VaultdConsentTest, ConsentRequestsAreValidatedAndAuthorized) {
  ProvisionConsent();
  EXPECT_EQ(PutConsent(R"({"withdrawn_purposes": ["marketing"], "colour": "red"})").status, 400);
  EXPECT_EQ(PutConsent(R"({"withdrawn_purposes": ["Marketing"]})").status, 400);
  EXPECT_EQ(PutConsent(R"({"withdrawn_purposes": ["legal"]})").status, 400);
  EXPECT_EQ(PutConsent(R"({"updated_at": "2020-01-01T00:00:00Z"})").status, 400);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/nobody/consent", "", reader_, "support").status,
            404);
  // write is needed to change it, read or export to see it.
  EXPECT_EQ(Call("PUT", "/v1/tenants/acme/subjects/u-1/consent", "{}", reader_).status, 403);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-1/consent", "", keeper_).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Http, VaultdConsentTest, ::testing::Values(false));

// A node of region eu over a data folder that also holds a tenant of region
// cn (made before the node was given a region).
class VaultdRegionTest : public VaultdHttpTest {};

TEST_P(VaultdRegionTest, NodeOfAnotherRegionRefusesTheTenant) {
  Provision();  // acme, residency cn, with a tokenizer and a support principal
  ASSERT_EQ(Call("POST", "/v1/tenants", R"({"id": "eu-co", "residency": "eu"})", root_key_).status,
            201);
  ASSERT_EQ(
      Call("PUT", "/v1/tenants/eu-co/roles/tokenizer",
           R"({"actions": ["tokenize"], "types": ["*"], "max_reveal": "token_only"})", root_key_)
          .status,
      200);
  ASSERT_EQ(server_->Stop(), 0);
  server_ = std::make_unique<VaultdProcess>(
      std::vector<std::string>{"--dev", "--data-dir", data_, "--region", "eu"});
  ASSERT_GT(server_->port(), 0);
  client_ = NewClient();

  // acme (cn): every tenant-scoped call is 403, with a clear message.
  HttpResult t =
      Call("POST", "/v1/tenants/acme/tokenize",
           R"({"items": [{"type": "phone", "value": "+8613800138000"}]})", tokenizer_key_);
  EXPECT_EQ(t.status, 403);
  EXPECT_EQ(ErrorCode(t), "PERMISSION_DENIED");
  EXPECT_EQ(Parse<api::v1::ErrorResponse>(t.body).error().message(),
            "tenant acme's data resides in region cn; this node serves region eu");
  EXPECT_EQ(Call("GET", "/v1/tenants/acme", "", root_key_).status, 403);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/keys", "", root_key_).status, 403);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/u-1", "", support_key_, "support").status, 403);
  // Its keys stay wrapped: even a root rotation refuses to unwrap them here.
  EXPECT_EQ(Call("POST", "/v1/sys/rotate-root", "", root_key_).status, 409);
  // No tenant of another region is created here; one without residency gets eu.
  EXPECT_EQ(Call("POST", "/v1/tenants", R"({"id": "cn-2", "residency": "cn"})", root_key_).status,
            403);
  HttpResult plain = Call("POST", "/v1/tenants", R"({"id": "plain"})", root_key_);
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_EQ(Parse<api::v1::Tenant>(plain.body).residency(), "eu");

  // eu-co (eu) is served.
  HttpResult p = Call("POST", "/v1/tenants/eu-co/principals",
                      R"({"name": "svc", "roles": ["tokenizer"]})", root_key_);
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string eu_key = Parse<api::v1::PrincipalResponse>(p.body).api_key();
  HttpResult eu = Call("POST", "/v1/tenants/eu-co/tokenize",
                       R"({"items": [{"type": "phone", "value": "+4915112345678"}]})", eu_key);
  EXPECT_EQ(eu.status, 200) << eu.body;
}

INSTANTIATE_TEST_SUITE_P(Http, VaultdRegionTest, ::testing::Values(false));

}  // namespace
}  // namespace vault::testing
