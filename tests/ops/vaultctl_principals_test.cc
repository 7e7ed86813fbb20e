// Issue #18 (console): vaultctl principals list against a real vaultd: ids,
// names and roles, never a key; deleted principals drop out; refused
// without admin.
#include "tests/ops/vaultctl_fixture.h"

namespace vault::testing {
namespace {

TEST_F(VaultctlTest, PrincipalsListShowsIdsNamesAndRolesButNoKey) {
  Unseal({1, 2, 3});
  const std::string app_key = SetUpTenant();
  CtlResult made = Root({"--json", "principals", "create", "--tenant", "acme", "--name",
                         "backup-svc", "--roles", "app"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto backup = Parse<v1::PrincipalResponse>(made.out);

  CtlResult text = Root({"principals", "list", "--tenant", "acme"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(Lines(text.out), 2) << text.out;
  EXPECT_NE(text.out.find(backup.id() + " backup-svc: roles=app created 20"), std::string::npos)
      << text.out;
  EXPECT_LT(text.out.find("app: roles=app"), text.out.find("backup-svc"));  // by name
  EXPECT_EQ(text.out.find(backup.api_key()), std::string::npos);
  EXPECT_EQ(text.out.find(app_key), std::string::npos);

  CtlResult json = Root({"--json", "principals", "list", "--tenant", "acme"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto list = Parse<v1::PrincipalList>(json.out);
  ASSERT_EQ(list.principals_size(), 2);
  EXPECT_EQ(list.principals(1).id(), backup.id());
  EXPECT_EQ(json.out.find("vaultd_"), std::string::npos) << json.out;

  ASSERT_EQ(Root({"principals", "delete", "--tenant", "acme", backup.id()}).exit_code, 0);
  EXPECT_EQ(Lines(Root({"principals", "list", "--tenant", "acme"}).out), 1);

  // The app principal has no admin action: refused, exit code 1.
  CtlResult refused = Ctl({"principals", "list", "--tenant", "acme"}, "", app_key);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("PERMISSION_DENIED"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace vault::testing
