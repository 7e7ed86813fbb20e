// DataAccess: tenants, keys, roles, principals and the operator-only calls.
#include <set>

#include "base/status.h"
#include "base/strings.h"
#include "vault/data_access.h"
#include "vault/model/record_keys.h"

namespace vault {

absl::StatusOr<TenantInfo> DataAccess::GetTenant(const RequestContext& ctx,
                                                 std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Check(ctx, tenant, Action::kAdmin); !s.ok()) return s;
  return options_.keys->GetTenant(tenant);
}

absl::StatusOr<std::vector<KekInfo>> DataAccess::ListKeys(const RequestContext& ctx,
                                                          std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Check(ctx, tenant, Action::kKeys); !s.ok()) return s;
  return options_.keys->ListKeks(tenant);
}

absl::StatusOr<uint32_t> DataAccess::RotateKey(const RequestContext& ctx, std::string_view tenant) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Check(ctx, tenant, Action::kKeys); !s.ok()) return s;
  if (absl::Status s = options_.keys->GetTenant(tenant).status(); !s.ok()) return s;
  // The keyring is outside the store: the entry (the intent) goes first.
  if (absl::Status s = Log(ctx, tenant, Action::kKeys, "", "tenant key rotation requested");
      !s.ok())
    return s;
  return options_.lifecycle->RotateKey(tenant);
}

absl::StatusOr<TenantInfo> DataAccess::CreateTenant(const RequestContext& ctx,
                                                    std::string_view tenant,
                                                    std::string_view residency) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = Check(ctx, tenant, Action::kAdmin); !s.ok()) return s;
  if (options_.keys->GetTenant(tenant).ok())
    return absl::AlreadyExistsError("tenant already exists");
  // The keyring lives outside the store, so the entry is written first (the
  // intent), then the tenant.
  if (absl::Status s = Log(ctx, tenant, Action::kAdmin, "", "tenant creation requested"); !s.ok())
    return s;
  if (absl::Status s = options_.keys->CreateTenant(tenant, residency); !s.ok()) return s;
  return options_.keys->GetTenant(tenant);
}

absl::StatusOr<records::RoleRecord> DataAccess::PutRole(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        records::RoleRecord role) {
  if (absl::Status s = Check(ctx, tenant, Action::kAdmin); !s.ok()) return s;
  return options_.principals->PutRole(tenant, std::move(role),
                                      Allowed(ctx, tenant, Action::kAdmin, "", "role written"));
}

absl::StatusOr<std::vector<records::RoleRecord>> DataAccess::ListRoles(const RequestContext& ctx,
                                                                       std::string_view tenant) {
  if (absl::Status s = Check(ctx, tenant, Action::kAdmin); !s.ok()) return s;
  return options_.principals->ListRoles(tenant);
}

absl::StatusOr<IssuedPrincipal> DataAccess::CreatePrincipal(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            std::string_view name,
                                                            const std::vector<std::string>& roles) {
  if (absl::Status s = Check(ctx, tenant, Action::kAdmin); !s.ok()) return s;
  return options_.principals->CreatePrincipal(
      tenant, name, roles, Allowed(ctx, tenant, Action::kAdmin, "", "principal created"));
}

absl::Status DataAccess::DeletePrincipal(const RequestContext& ctx, std::string_view tenant,
                                         std::string_view id) {
  if (absl::Status s = Check(ctx, tenant, Action::kAdmin); !s.ok()) return s;
  return options_.principals->DeletePrincipal(
      tenant, id, Allowed(ctx, tenant, Action::kAdmin, "", "principal deleted"));
}

absl::StatusOr<uint32_t> DataAccess::RotateRoot(const RequestContext& ctx) {
  if (absl::Status s = CheckOperator(ctx, "", Action::kAdmin, "rotate the root key"); !s.ok()) {
    return s;
  }
  if (absl::Status s = Log(ctx, "", Action::kAdmin, "", "root key rotation"); !s.ok()) return s;
  return options_.keys->RotateRoot();
}

absl::StatusOr<BackupSummary> DataAccess::CreateBackup(const RequestContext& ctx,
                                                       const std::string& backup_root,
                                                       std::string_view name) {
  if (absl::Status s = CheckOperator(ctx, "", Action::kAdmin, "take backups"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateBackupName(name); !s.ok()) return s;
  if (backup_root.empty()) {
    return absl::FailedPreconditionError("no backup folder is configured (vaultd --backup-dir)");
  }
  const std::string dir = Cat(backup_root, "/", name);
  if (absl::Status s = Log(ctx, "", Action::kAdmin, "", "backup"); !s.ok()) return s;
  return vault::CreateBackup(*options_.keys, *options_.kv, dir);
}

absl::StatusOr<DataAccess::LedgerExport> DataAccess::ShredLedger(const RequestContext& ctx) {
  if (absl::Status s = CheckOperator(ctx, "", Action::kAdmin, "read the shred ledger"); !s.ok()) {
    return s;
  }
  if (absl::Status s = Log(ctx, "", Action::kAdmin, "", "shred ledger export"); !s.ok()) return s;
  LedgerExport out;
  absl::StatusOr<std::vector<records::ErasureRecord>> done = ListDoneErasures(*options_.kv);
  if (!done.ok()) return done.status();
  out.done = std::move(*done);
  absl::StatusOr<records::LiveState> state =
      CaptureLiveState(*options_.keys, *options_.kv, absl::ToUnixMillis(options_.clock->Now()));
  if (!state.ok()) return state.status();
  out.state = std::move(*state);
  return out;
}

absl::StatusOr<AuditExportPage> DataAccess::ExportAudit(const RequestContext& ctx,
                                                        uint64_t after_seq, size_t limit) {
  if (absl::Status s = CheckOperator(ctx, "", Action::kAudit, "export the audit log"); !s.ok()) {
    return s;
  }
  if (after_seq == 0) {
    if (absl::Status s = Log(ctx, "", Action::kAudit, "", "audit export"); !s.ok()) return s;
  }
  return options_.audit->Export(after_seq, limit);
}

absl::Status DataAccess::Seal(const RequestContext& ctx) {
  if (absl::Status s = CheckOperator(ctx, "", Action::kAdmin, "seal the vault"); !s.ok()) return s;
  // Sealing is the safe direction: it is logged when the chain can be
  // written, and happens even when it cannot (or is already sealed).
  if (!options_.keys->sealed()) (void)Log(ctx, "", Action::kAdmin, "", "vault sealed");
  options_.keys->Seal();
  return absl::OkStatus();
}

absl::StatusOr<AuditVerification> DataAccess::VerifyAudit(const RequestContext& ctx) {
  if (absl::Status s = CheckOperator(ctx, "", Action::kAudit, "verify the audit log"); !s.ok()) {
    return s;
  }
  // Verification reads no personal data and must keep working when the
  // chain is broken (that is what it reports), so the entry is best effort.
  if (!options_.keys->sealed()) (void)Log(ctx, "", Action::kAudit, "", "audit verified");
  return options_.audit->Verify();
}

}  // namespace vault
