// vaultctl tenants create|get|erase, roles list|put, principals list|create|delete.
// Thread-safety: single-threaded. A new principal's API key is printed once
// (it is the answer) and never written anywhere else.
#include "absl/strings/str_cat.h"
#include "ops/cli.h"

namespace vault::ops {
namespace {

struct Flags {
  std::string tenant, residency, role_name, actions, types, max_reveal, purposes;
  std::string principal_name, principal_roles, principal_id;
  bool yes = false, require_purpose = false, allow_deterministic = false;
};

std::string RoleLines(const v1::RoleList& roles) {
  std::string text;
  for (const v1::Role& r : roles.roles()) {
    absl::StrAppend(&text, text.empty() ? "" : "\n", r.name(), ": actions=", Join(r.actions()),
                    " types=", Join(r.types()), " max_reveal=", r.max_reveal(),
                    " purposes=", Join(r.purposes()),
                    r.require_purpose() ? " (purpose required)" : "",
                    r.allow_deterministic() ? " (deterministic allowed)" : "");
  }
  return text;
}

// One line per principal: id, name, roles, creation time (no key: the
// vault keeps only its hash).
std::string PrincipalLines(const v1::PrincipalList& list) {
  std::string text;
  for (const v1::PrincipalSummary& p : list.principals()) {
    absl::StrAppend(&text, text.empty() ? "" : "\n", p.id(), " ", p.name(),
                    ": roles=", Join(p.roles()), " created ", p.created_at());
  }
  return text.empty() ? "no principals" : text;
}

void AddTenants(CLI::App& app, Globals& g, std::shared_ptr<Flags> f) {
  auto* tenants = app.add_subcommand("tenants", "tenants");
  tenants->require_subcommand(1);
  auto* create = tenants->add_subcommand("create", "create a tenant");
  create->add_option("tenant", f->tenant, "tenant id")->required();
  create->add_option("--residency", f->residency, "residency tag");
  OnRun(create, g, [&g, f] {
    return CallAndPrint<v1::Tenant>(
        g, [f](VaultClient& c) { return c.CreateTenant(f->tenant, f->residency); },
        [f](const v1::Tenant&) { return absl::StrCat("tenant ", f->tenant, " created"); });
  });
  auto* get = tenants->add_subcommand("get", "show a tenant");
  get->add_option("tenant", f->tenant, "tenant id")->required();
  OnRun(get, g, [&g, f] {
    return CallAndPrint<v1::Tenant>(
        g, [f](VaultClient& c) { return c.GetTenant(f->tenant); },
        [](const v1::Tenant& t) {
          return absl::StrCat("tenant ", t.id(), " residency '", t.residency(), "' created ",
                              t.created_at());
        });
  });
  auto* erase = tenants->add_subcommand("erase", "crypto-shred a whole tenant (irreversible)");
  erase->add_option("tenant", f->tenant, "tenant id")->required();
  erase->add_flag("--yes", f->yes, "confirm: every key and record of the tenant is destroyed");
  OnRun(erase, g, [&g, f] {
    if (!f->yes) return Usage("tenant erasure destroys every key of the tenant; add --yes");
    return CallAndPrint<v1::Receipt>(
        g, [f](VaultClient& c) { return c.EraseTenant(f->tenant); },
        [f](const v1::Receipt&) {
          return absl::StrCat("tenant ", f->tenant, " erased (receipt: use --json)");
        });
  });
}

void AddRoles(CLI::App& app, Globals& g, std::shared_ptr<Flags> f) {
  auto* roles = app.add_subcommand("roles", "roles of a tenant");
  roles->require_subcommand(1);
  auto* list = roles->add_subcommand("list", "list roles");
  list->add_option("--tenant", f->tenant, "tenant id")->required();
  OnRun(list, g, [&g, f] {
    return CallAndPrint<v1::RoleList>(
        g, [f](VaultClient& c) { return c.ListRoles(f->tenant); }, RoleLines);
  });
  auto* put = roles->add_subcommand("put", "create or replace a role");
  put->add_option("--tenant", f->tenant, "tenant id")->required();
  put->add_option("name", f->role_name, "role name")->required();
  put->add_option("--actions", f->actions, "comma-separated actions")->required();
  put->add_option("--types", f->types, "comma-separated data types (* = all)");
  put->add_option("--max-reveal", f->max_reveal,
                  "token_only|masked|plain (default: the server's default, masked)");
  put->add_option("--purposes", f->purposes, "comma-separated purposes");
  put->add_flag("--require-purpose", f->require_purpose, "calls must state a purpose");
  put->add_flag("--allow-deterministic", f->allow_deterministic,
                "may make deterministic tokens of low-entropy types");
  OnRun(put, g, [&g, f] {
    v1::Role role;
    for (const std::string& a : SplitList(f->actions)) role.add_actions(a);
    for (const std::string& t : SplitList(f->types)) role.add_types(t);
    for (const std::string& p : SplitList(f->purposes)) role.add_purposes(p);
    role.set_max_reveal(f->max_reveal);  // empty: not sent, the server's default applies
    role.set_require_purpose(f->require_purpose);
    role.set_allow_deterministic(f->allow_deterministic);
    return CallAndPrint<v1::Role>(
        g, [f, &role](VaultClient& c) { return c.PutRole(f->tenant, f->role_name, role); },
        [f](const v1::Role&) { return absl::StrCat("role ", f->role_name, " saved"); });
  });
}

void AddPrincipals(CLI::App& app, Globals& g, std::shared_ptr<Flags> f) {
  auto* principals = app.add_subcommand("principals", "API principals of a tenant");
  principals->require_subcommand(1);
  auto* list = principals->add_subcommand("list", "list principals (ids, names, roles)");
  list->add_option("--tenant", f->tenant, "tenant id")->required();
  OnRun(list, g, [&g, f] {
    return CallAndPrint<v1::PrincipalList>(
        g, [f](VaultClient& c) { return c.ListPrincipals(f->tenant); }, PrincipalLines);
  });
  auto* create =
      principals->add_subcommand("create", "create a principal (prints its API key once)");
  create->add_option("--tenant", f->tenant, "tenant id")->required();
  create->add_option("--name", f->principal_name, "name")->required();
  create->add_option("--roles", f->principal_roles, "comma-separated roles")->required();
  OnRun(create, g, [&g, f] {
    v1::CreatePrincipalRequest in;
    in.set_name(f->principal_name);
    for (const std::string& r : SplitList(f->principal_roles)) in.add_roles(r);
    return CallAndPrint<v1::PrincipalResponse>(
        g, [f, &in](VaultClient& c) { return c.CreatePrincipal(f->tenant, in); },
        [](const v1::PrincipalResponse& out) {
          return absl::StrCat("principal ", out.id(), " (", out.name(),
                              ")\napi key (shown once): ", out.api_key());
        });
  });
  auto* del = principals->add_subcommand(
      "delete", "delete a principal: its API key stops working at once (a leaked key)");
  del->add_option("--tenant", f->tenant, "tenant id")->required();
  del->add_option("id", f->principal_id, "principal id")->required();
  OnRun(del, g, [&g, f] {
    return CallAndPrint<v1::Empty>(
        g, [f](VaultClient& c) { return c.DeletePrincipal(f->tenant, f->principal_id); },
        [f](const v1::Empty&) { return absl::StrCat("principal ", f->principal_id, " deleted"); });
  });
}

}  // namespace

void AddAdminCommands(CLI::App& app, Globals& g) {
  auto flags = std::make_shared<Flags>();
  AddTenants(app, g, flags);
  AddRoles(app, g, flags);
  AddPrincipals(app, g, flags);
}

}  // namespace vault::ops
