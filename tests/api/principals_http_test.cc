// Issue #18 (console): GET /v1/tenants/{t}/principals through the real
// vaultd: ordered by name, never a key or key hash, admin only.
#include <string>

#include "tests/api/vaultd_http_fixture.h"

namespace vault::testing {
namespace {

namespace v1 = api::v1;

TEST_P(VaultdHttpTest, PrincipalsAreListedByNameWithoutKeysForAdminsOnly) {
  Provision();
  HttpResult created = Call("POST", "/v1/tenants/acme/principals",
                            R"({"name": "auditor", "roles": ["support", "tokenizer"]})", root_key_);
  ASSERT_EQ(created.status, 201) << created.body;
  const v1::PrincipalResponse auditor = Parse<v1::PrincipalResponse>(created.body);

  HttpResult listed = Call("GET", "/v1/tenants/acme/principals", "", root_key_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto list = Parse<v1::PrincipalList>(listed.body);  // unknown fields would fail
  ASSERT_EQ(list.principals_size(), 3);
  EXPECT_EQ(list.principals(0).name(), "auditor");
  EXPECT_EQ(list.principals(0).id(), auditor.id());
  ASSERT_EQ(list.principals(0).roles_size(), 2);
  EXPECT_EQ(list.principals(0).roles(0), "support");
  EXPECT_EQ(list.principals(0).created_at().size(), 24u) << list.principals(0).created_at();
  EXPECT_EQ(list.principals(1).name(), "billing-svc");
  EXPECT_EQ(list.principals(2).name(), "helpdesk");
  // Neither the key nor anything about it is in the answer.
  EXPECT_EQ(listed.body.find(auditor.api_key()), std::string::npos);
  EXPECT_EQ(listed.body.find(auditor.api_key().substr(7, 12)), std::string::npos);
  EXPECT_EQ(listed.body.find("key"), std::string::npos) << listed.body;
  EXPECT_EQ(listed.body.find("hash"), std::string::npos) << listed.body;

  // A deleted principal is gone from the list at once.
  ASSERT_EQ(Call("DELETE", "/v1/tenants/acme/principals/" + auditor.id(), "", root_key_).status,
            204);
  EXPECT_EQ(Parse<v1::PrincipalList>(Call("GET", "/v1/tenants/acme/principals", "", root_key_).body)
                .principals_size(),
            2);

  // Without admin: 403, logged as a denied admin entry.
  HttpResult refused = Call("GET", "/v1/tenants/acme/principals", "", support_key_);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(ErrorCode(refused), "PERMISSION_DENIED");
  HttpResult audit = Call("GET", "/v1/tenants/acme/audit?limit=1000", "", root_key_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  const auto entries = Parse<v1::AuditQueryResponse>(audit.body);
  bool denied = false;
  for (const v1::AuditEntryView& e : entries.entries()) {
    denied |= e.action() == "admin" && e.outcome() == "denied";
  }
  EXPECT_TRUE(denied) << audit.body;
  EXPECT_EQ(Call("GET", "/v1/tenants/initech/principals", "", root_key_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/principals", "", "vaultd_wrong").status, 401);
}

}  // namespace
}  // namespace vault::testing
