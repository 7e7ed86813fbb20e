// Table-driven tests for the one authorization function: every action,
// reveal level, purpose rule, wildcard and cross-tenant attempt.
#include "vault/access/access_policy.h"

#include <gtest/gtest.h>

namespace vault {
namespace {

Role MakeRole(std::set<Action> actions, std::set<DataType> types, RevealLevel max_reveal,
              std::set<std::string> purposes = {}, bool require_purpose = false,
              bool all_types = false) {
  Role r;
  r.name = "r";
  r.actions = std::move(actions);
  r.types = std::move(types);
  r.all_types = all_types;
  r.max_reveal = max_reveal;
  r.purposes = std::move(purposes);
  r.require_purpose = require_purpose;
  return r;
}

Principal TenantPrincipal(std::vector<Role> roles, std::string tenant = "acme") {
  return Principal{"p_1", std::move(tenant), "svc", false, std::move(roles)};
}

TEST(AuthorizeTest, EveryActionNeedsItsOwnGrant) {
  for (Action granted : kAllActions) {
    Principal p = TenantPrincipal({MakeRole({granted}, {}, RevealLevel::kPlain, {}, false, true)});
    for (Action asked : kAllActions) {
      Decision d = Authorize(p, {"acme", asked, std::nullopt, RevealLevel::kTokenOnly, ""});
      EXPECT_EQ(d.allowed, granted == asked) << ActionName(granted) << " vs " << ActionName(asked);
      if (!d.allowed) {
        EXPECT_FALSE(d.reason.empty());
      }
    }
  }
}

TEST(AuthorizeTest, NoRolesMeansNothing) {
  Principal p = TenantPrincipal({});
  for (Action a : kAllActions) {
    EXPECT_FALSE(Authorize(p, {"acme", a, std::nullopt, RevealLevel::kTokenOnly, ""}).allowed);
  }
}

TEST(AuthorizeTest, RevealLevelsUpToTheMaximumOnly) {
  const RevealLevel levels[] = {RevealLevel::kTokenOnly, RevealLevel::kHashed, RevealLevel::kMasked,
                                RevealLevel::kPlain};
  for (Action action : {Action::kDetokenize, Action::kRead, Action::kExport}) {
    for (RevealLevel max : levels) {
      Principal p = TenantPrincipal({MakeRole({action}, {}, max, {}, false, true)});
      for (RevealLevel asked : levels) {
        Decision d = Authorize(p, {"acme", action, DataType::kPhone, asked, ""});
        EXPECT_EQ(d.allowed, asked <= max) << ActionName(action) << " max " << RevealLevelName(max)
                                           << " asked " << RevealLevelName(asked);
      }
    }
  }
  // Non-revealing actions ignore reveal.
  Principal p = TenantPrincipal(
      {MakeRole({Action::kTokenize}, {}, RevealLevel::kTokenOnly, {}, false, true)});
  EXPECT_TRUE(
      Authorize(p, {"acme", Action::kTokenize, DataType::kPhone, RevealLevel::kPlain, ""}).allowed);
}

TEST(AuthorizeTest, TypesAndWildcard) {
  Principal some = TenantPrincipal({MakeRole(
      {Action::kDetokenize}, {DataType::kPhone, DataType::kBankCard}, RevealLevel::kPlain)});
  Principal all = TenantPrincipal(
      {MakeRole({Action::kDetokenize}, {}, RevealLevel::kPlain, {}, false, /*all_types=*/true)});
  for (DataType t : AllDataTypes()) {
    const bool listed = t == DataType::kPhone || t == DataType::kBankCard;
    EXPECT_EQ(Authorize(some, {"acme", Action::kDetokenize, t, RevealLevel::kMasked, ""}).allowed,
              listed)
        << DataTypeName(t);
    EXPECT_TRUE(Authorize(all, {"acme", Action::kDetokenize, t, RevealLevel::kMasked, ""}).allowed);
  }
  // A call-level check without a type passes on the action alone.
  EXPECT_TRUE(Authorize(some, {"acme", Action::kDetokenize, std::nullopt, RevealLevel::kMasked, ""})
                  .allowed);
}

struct PurposeCase {
  std::set<std::string> purposes;
  bool require;
  std::string stated;
  bool allowed;
};

TEST(AuthorizeTest, PurposeRules) {
  const std::vector<PurposeCase> cases = {
      {{"support"}, false, "", true},          // none stated, none required
      {{"support"}, false, "support", true},   // stated and allowed
      {{"support"}, false, "billing", false},  // stated, not allowed
      {{"support"}, true, "", false},          // required, missing
      {{"support"}, true, "support", true},    // required, present
      {{}, false, "support", false},           // role allows no purpose at all
      {{}, false, "", true},
  };
  for (Action action : kAllActions) {
    for (const PurposeCase& c : cases) {
      Principal p = TenantPrincipal(
          {MakeRole({action}, {}, RevealLevel::kPlain, c.purposes, c.require, true)});
      Decision d = Authorize(p, {"acme", action, DataType::kPhone, RevealLevel::kMasked, c.stated});
      // Purposes bind detokenize, read, search and export only.
      EXPECT_EQ(d.allowed, IsPurposeBound(action) ? c.allowed : true)
          << ActionName(action) << " stated '" << c.stated << "'";
    }
  }
}

TEST(AuthorizeTest, OtherTenantIsAlwaysDenied) {
  Principal p = TenantPrincipal({MakeRole({kAllActions, kAllActions + 11}, {}, RevealLevel::kPlain,
                                          {"support"}, false, true)});
  for (Action a : kAllActions) {
    Decision d = Authorize(p, {"globex", a, DataType::kPhone, RevealLevel::kTokenOnly, ""});
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.reason, "principal belongs to another tenant");
  }
}

TEST(AuthorizeTest, OneRoleMustAllowTheWholeRequest) {
  // Role A: plain phones for support; role B: masked cards for billing.
  Principal p = TenantPrincipal(
      {MakeRole({Action::kDetokenize}, {DataType::kPhone}, RevealLevel::kPlain, {"support"}),
       MakeRole({Action::kDetokenize}, {DataType::kBankCard}, RevealLevel::kMasked, {"billing"})});
  auto ask = [&](DataType t, RevealLevel r, std::string_view purpose) {
    return Authorize(p, {"acme", Action::kDetokenize, t, r, purpose}).allowed;
  };
  EXPECT_TRUE(ask(DataType::kPhone, RevealLevel::kPlain, "support"));
  EXPECT_TRUE(ask(DataType::kBankCard, RevealLevel::kMasked, "billing"));
  EXPECT_FALSE(ask(DataType::kBankCard, RevealLevel::kPlain, "billing"));  // no mixing of roles
  EXPECT_FALSE(ask(DataType::kBankCard, RevealLevel::kMasked, "support"));
  EXPECT_FALSE(ask(DataType::kEmail, RevealLevel::kMasked, "support"));
}

TEST(AuthorizeTest, OperatorsManageButReadNothing) {
  Principal root{"root", "", "root", true, {}};
  for (Action a : kAllActions) {
    const bool allowed = a == Action::kAdmin || a == Action::kKeys || a == Action::kAudit;
    for (std::string tenant : {"acme", "globex"}) {
      EXPECT_EQ(Authorize(root, {tenant, a, DataType::kPhone, RevealLevel::kTokenOnly, ""}).allowed,
                allowed)
          << ActionName(a);
    }
  }
}

TEST(AuthorizeTest, HashedViewsAreRefusedToWhoeverCanChooseInputsOfTheType) {
  // The README's billing-svc: tokenize everything, detokenize phones masked.
  const Role tokenizer =
      MakeRole({Action::kTokenize}, {}, RevealLevel::kTokenOnly, {}, false, true);
  const Role support = MakeRole({Action::kDetokenize, Action::kRead}, {DataType::kPhone},
                                RevealLevel::kMasked, {"support"});
  const Principal billing = TenantPrincipal({tokenizer, support});
  for (Action action : {Action::kDetokenize, Action::kRead}) {
    Decision hashed =
        Authorize(billing, {"acme", action, DataType::kPhone, RevealLevel::kHashed, "support"});
    EXPECT_FALSE(hashed.allowed) << ActionName(action);
    EXPECT_NE(std::string(hashed.reason).find("hashed"), std::string::npos);
    // Masked shows only what the mask shows whatever the caller tokenizes.
    EXPECT_TRUE(
        Authorize(billing, {"acme", action, DataType::kPhone, RevealLevel::kMasked, "support"})
            .allowed);
  }
  // The same read role without an input-choosing role keeps hashed views.
  EXPECT_TRUE(Authorize(TenantPrincipal({support}), {"acme", Action::kDetokenize, DataType::kPhone,
                                                     RevealLevel::kHashed, "support"})
                  .allowed);
  // A writer of the type is an input chooser too.
  const Role writer = MakeRole({Action::kWrite}, {DataType::kPhone}, RevealLevel::kTokenOnly);
  EXPECT_FALSE(Authorize(TenantPrincipal({writer, support}),
                         {"acme", Action::kRead, DataType::kPhone, RevealLevel::kHashed, "support"})
                   .allowed);
  // Choosing inputs of another type does not matter.
  const Role card_writer =
      MakeRole({Action::kWrite}, {DataType::kBankCard}, RevealLevel::kTokenOnly);
  EXPECT_TRUE(Authorize(TenantPrincipal({card_writer, support}),
                        {"acme", Action::kRead, DataType::kPhone, RevealLevel::kHashed, "support"})
                  .allowed);
  // Whoever may see the plain value learns nothing more from its hash.
  const Role plain =
      MakeRole({Action::kDetokenize}, {DataType::kPhone}, RevealLevel::kPlain, {"support"});
  EXPECT_TRUE(
      Authorize(TenantPrincipal({tokenizer, plain}),
                {"acme", Action::kDetokenize, DataType::kPhone, RevealLevel::kHashed, "support"})
          .allowed);
}

TEST(AuthorizeTest, DeterministicTokensOfLowEntropyTypesNeedAnOptIn) {
  Role tokenizer = MakeRole({Action::kTokenize}, {}, RevealLevel::kTokenOnly, {}, false, true);
  AccessRequest request{"acme",
                        Action::kTokenize,
                        DataType::kPhone,
                        RevealLevel::kTokenOnly,
                        "",
                        /*deterministic=*/true};
  Decision d = Authorize(TenantPrincipal({tokenizer}), request);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(std::string(d.reason).find("allow_deterministic"), std::string::npos);
  request.deterministic = false;
  EXPECT_TRUE(Authorize(TenantPrincipal({tokenizer}), request).allowed);
  for (DataType type : AllDataTypes()) {
    AccessRequest det{"acme", Action::kTokenize, type, RevealLevel::kTokenOnly, "", true};
    EXPECT_EQ(Authorize(TenantPrincipal({tokenizer}), det).allowed, !IsLowEntropy(type))
        << DataTypeName(type);
  }
  tokenizer.allow_deterministic = true;
  request.deterministic = true;
  EXPECT_TRUE(Authorize(TenantPrincipal({tokenizer}), request).allowed);
}

TEST(RoleFromRecordTest, RejectsBadRoles) {
  auto make = [](std::vector<std::string> actions, std::vector<std::string> types,
                 std::string reveal, std::vector<std::string> purposes, bool require) {
    records::RoleRecord r;
    r.set_name("tokenizer");
    for (auto& a : actions) r.add_actions(a);
    for (auto& t : types) r.add_types(t);
    r.set_max_reveal(reveal);
    for (auto& p : purposes) r.add_purposes(p);
    r.set_require_purpose(require);
    return r;
  };
  EXPECT_TRUE(RoleFromRecord(make({"tokenize"}, {"phone"}, "masked", {"support"}, true)).ok());
  EXPECT_TRUE(RoleFromRecord(make({"detokenize"}, {"*"}, "", {}, false)).ok());
  EXPECT_EQ(RoleFromRecord(make({"read"}, {"*"}, "", {}, false))->max_reveal, RevealLevel::kMasked);
  for (const records::RoleRecord& bad : {make({"fly"}, {"phone"}, "masked", {}, false),
                                         make({"read"}, {"shoe"}, "masked", {}, false),
                                         make({"read"}, {"*", "phone"}, "masked", {}, false),
                                         make({"read"}, {"phone"}, "everything", {}, false),
                                         make({"read"}, {"phone"}, "masked", {"Support"}, false),
                                         make({"read"}, {"phone"}, "masked", {}, true)}) {
    EXPECT_TRUE(absl::IsInvalidArgument(RoleFromRecord(bad).status()));
  }
  records::RoleRecord bad_name = make({"read"}, {"phone"}, "masked", {}, false);
  bad_name.set_name("Bad Name");
  EXPECT_TRUE(absl::IsInvalidArgument(RoleFromRecord(bad_name).status()));
}

}  // namespace
}  // namespace vault
