// Route handlers for /v1/tenants and a tenant's roles, principals, retention
// classes and keys. Thread-safety: stateless; see api/internal/routes.h.
// Never logs; a new principal's API key only passes through to the reply.
#include <string>
#include <utility>
#include <vector>

#include "api/internal/routes.h"
#include "api/views.h"
#include "api/wire.h"

namespace vault::api::internal {

HttpResponse HandleCreateTenant(Call& call) {
  v1::Tenant in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  if (!in.created_at().empty()) {
    return call.Error(absl::InvalidArgumentError("created_at is set by the vault"));
  }
  absl::StatusOr<TenantInfo> info = call.access().CreateTenant(*call.ctx, in.id(), in.residency());
  if (!info.ok()) return call.Error(info.status());
  return call.Reply(TenantView(*info), 201);
}

HttpResponse HandleEraseTenant(Call& call) {
  absl::StatusOr<records::ErasureReceipt> r =
      call.access().EraseTenant(*call.ctx, call.Param("tenant"));
  if (!r.ok()) return call.Error(r.status());
  v1::Receipt out = ReceiptView(*r);
  if (call.metrics != nullptr) call.metrics->Add("shreds");
  return call.Reply(out);
}

HttpResponse HandleGetTenant(Call& call) {
  absl::StatusOr<TenantInfo> info = call.access().GetTenant(*call.ctx, call.Param("tenant"));
  if (!info.ok()) return call.Error(info.status());
  return call.Reply(TenantView(*info));
}

HttpResponse HandleListRoles(Call& call) {
  absl::StatusOr<std::vector<records::RoleRecord>> roles =
      call.access().ListRoles(*call.ctx, call.Param("tenant"));
  if (!roles.ok()) return call.Error(roles.status());
  return call.Reply(RoleListOf(*roles));
}

HttpResponse HandlePutRole(Call& call) {
  const std::string& name = call.Param("role");
  v1::Role in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  if (!in.name().empty() && in.name() != name) {
    return call.Error(absl::InvalidArgumentError("name differs from the path"));
  }
  absl::StatusOr<records::RoleRecord> stored =
      call.access().PutRole(*call.ctx, call.Param("tenant"), RoleRecordOf(name, in));
  if (!stored.ok()) return call.Error(stored.status());
  in.set_name(stored->name());
  in.set_max_reveal(stored->max_reveal());
  return call.Reply(in);
}

HttpResponse HandleCreatePrincipal(Call& call) {
  v1::CreatePrincipalRequest in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  std::vector<std::string> roles(in.roles().begin(), in.roles().end());
  absl::StatusOr<IssuedPrincipal> issued =
      call.access().CreatePrincipal(*call.ctx, call.Param("tenant"), in.name(), roles);
  if (!issued.ok()) return call.Error(issued.status());
  v1::PrincipalResponse out;
  out.set_id(issued->id);
  out.set_name(issued->name);
  out.set_api_key(std::move(issued->api_key));
  for (const std::string& r : roles) out.add_roles(r);
  return call.Reply(out, 201);
}

HttpResponse HandleDeletePrincipal(Call& call) {
  if (absl::Status st =
          call.access().DeletePrincipal(*call.ctx, call.Param("tenant"), call.Param("id"));
      !st.ok()) {
    return call.Error(st);
  }
  return call.NoContent();
}

// Console/#18: id, name, roles and creation time of each principal; the
// key hash stays in the store.
HttpResponse HandleListPrincipals(Call& call) {
  absl::StatusOr<std::vector<PrincipalInfo>> principals =
      call.access().ListPrincipals(*call.ctx, call.Param("tenant"));
  if (!principals.ok()) return call.Error(principals.status());
  v1::PrincipalList out;
  for (const PrincipalInfo& p : *principals) {
    v1::PrincipalSummary* s = out.add_principals();
    s->set_id(p.id);
    s->set_name(p.name);
    for (const std::string& r : p.roles) s->add_roles(r);
    s->set_created_at(Rfc3339FromUnixMillis(p.created_at_unix_ms));
  }
  return call.Reply(out);
}

HttpResponse HandleListRetentionClasses(Call& call) {
  absl::StatusOr<std::vector<records::RetentionClassRecord>> classes =
      call.access().ListRetentionClasses(*call.ctx, call.Param("tenant"));
  if (!classes.ok()) return call.Error(classes.status());
  v1::RetentionClassList out;
  for (const records::RetentionClassRecord& r : *classes) {
    *out.add_classes() = RetentionClassView(r);
  }
  return call.Reply(out);
}

HttpResponse HandlePutRetentionClass(Call& call) {
  const std::string& name = call.Param("class");
  v1::RetentionClass in;
  if (absl::Status st = call.Parse(&in); !st.ok()) return call.Error(st);
  if (!in.name().empty() && in.name() != name) {
    return call.Error(absl::InvalidArgumentError("name in the body differs from the path"));
  }
  absl::StatusOr<records::RetentionClassRecord> saved =
      call.access().PutRetentionClass(*call.ctx, call.Param("tenant"), name, in.duration_days());
  if (!saved.ok()) return call.Error(saved.status());
  return call.Reply(RetentionClassView(*saved));
}

HttpResponse HandleListKeys(Call& call) {
  absl::StatusOr<std::vector<KekInfo>> keys =
      call.access().ListKeys(*call.ctx, call.Param("tenant"));
  if (!keys.ok()) return call.Error(keys.status());
  return call.Reply(KeyListOf(*keys));
}

HttpResponse HandleRotateKey(Call& call) {
  const std::string& tenant = call.Param("tenant");
  absl::StatusOr<uint32_t> version = call.access().RotateKey(*call.ctx, tenant);
  if (!version.ok()) return call.Error(version.status());
  absl::StatusOr<std::vector<KekInfo>> keys = call.access().ListKeys(*call.ctx, tenant);
  if (!keys.ok()) return call.Error(keys.status());
  return call.Reply(KeyListOf(*keys));
}

HttpResponse HandleRewrapKeys(Call& call) {
  absl::StatusOr<records::RewrapJob> job =
      call.access().StartRewrap(*call.ctx, call.Param("tenant"));
  if (!job.ok()) return call.Error(job.status());
  return call.Reply(JobView(*job), 202);
}

}  // namespace vault::api::internal
