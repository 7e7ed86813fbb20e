// DataAccess: tenants, keys, roles, principals and the operator-only calls.
#include <set>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "vault/data_access.h"
#include "vault/model/record_keys.h"

namespace vault {

absl::StatusOr<TenantInfo> DataAccess::GetTenant(const RequestContext& ctx,
                                                 std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.keys->GetTenant(tenant);
}

absl::StatusOr<std::vector<KekInfo>> DataAccess::ListKeys(const RequestContext& ctx,
                                                          std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kKeys));
  return options_.keys->ListKeks(tenant);
}

absl::StatusOr<uint32_t> DataAccess::RotateKey(const RequestContext& ctx, std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kKeys));
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  // The keyring is outside the store: the entry (the intent) goes first.
  RETURN_IF_ERROR(Log(ctx, tenant, Action::kKeys, "", "tenant key rotation requested"));
  return options_.lifecycle->RotateKey(tenant);
}

absl::StatusOr<TenantInfo> DataAccess::CreateTenant(const RequestContext& ctx,
                                                    std::string_view tenant,
                                                    std::string_view residency) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  if (absl::Status here = options_.keys->CheckResidency(tenant, residency); !here.ok()) {
    return Deny(ctx, tenant, Action::kAdmin, "", {}, std::string(here.message()));
  }
  if (options_.keys->GetTenant(tenant).ok())
    return absl::AlreadyExistsError("tenant already exists");
  // The keyring lives outside the store, so the entry is written first (the
  // intent), then the tenant.
  RETURN_IF_ERROR(Log(ctx, tenant, Action::kAdmin, "", "tenant creation requested"));
  RETURN_IF_ERROR(options_.keys->CreateTenant(tenant, residency));
  return options_.keys->GetTenant(tenant);
}

absl::StatusOr<records::RoleRecord> DataAccess::PutRole(const RequestContext& ctx,
                                                        std::string_view tenant,
                                                        records::RoleRecord role) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.principals->PutRole(tenant, std::move(role),
                                      Allowed(ctx, tenant, Action::kAdmin, "", "role written"));
}

absl::StatusOr<std::vector<records::RoleRecord>> DataAccess::ListRoles(const RequestContext& ctx,
                                                                       std::string_view tenant) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.principals->ListRoles(tenant);
}

absl::StatusOr<IssuedPrincipal> DataAccess::CreatePrincipal(const RequestContext& ctx,
                                                            std::string_view tenant,
                                                            std::string_view name,
                                                            const std::vector<std::string>& roles) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.principals->CreatePrincipal(
      tenant, name, roles, Allowed(ctx, tenant, Action::kAdmin, "", "principal created"));
}

absl::Status DataAccess::DeletePrincipal(const RequestContext& ctx, std::string_view tenant,
                                         std::string_view id) {
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.principals->DeletePrincipal(
      tenant, id, Allowed(ctx, tenant, Action::kAdmin, "", "principal deleted"));
}

absl::StatusOr<std::vector<PrincipalInfo>> DataAccess::ListPrincipals(const RequestContext& ctx,
                                                                      std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.principals->ListPrincipals(tenant);
}

absl::StatusOr<uint32_t> DataAccess::RotateRoot(const RequestContext& ctx) {
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAdmin, "rotate the root key"));
  RETURN_IF_ERROR(Log(ctx, "", Action::kAdmin, "", "root key rotation"));
  return options_.keys->RotateRoot();
}

absl::StatusOr<BackupSummary> DataAccess::CreateBackup(const RequestContext& ctx,
                                                       const std::string& backup_root,
                                                       std::string_view name,
                                                       absl::Duration expires_in) {
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAdmin, "take backups"));
  RETURN_IF_ERROR(ValidateBackupName(name));
  if (backup_root.empty()) {
    return absl::FailedPreconditionError("no backup folder is configured (vaultd --backup-dir)");
  }
  const std::string dir = Cat(backup_root, "/", name);
  RETURN_IF_ERROR(Log(ctx, "", Action::kAdmin, "", "backup"));
  return vault::CreateBackup(*options_.keys, *options_.kv, dir, expires_in);
}

absl::StatusOr<DataAccess::LedgerExport> DataAccess::ShredLedger(const RequestContext& ctx) {
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAdmin, "read the shred ledger"));
  RETURN_IF_ERROR(Log(ctx, "", Action::kAdmin, "", "shred ledger export"));
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
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAudit, "export the audit log"));
  if (after_seq == 0) {
    RETURN_IF_ERROR(Log(ctx, "", Action::kAudit, "", "audit export"));
  }
  return options_.audit->Export(after_seq, limit);
}

absl::Status DataAccess::Seal(const RequestContext& ctx) {
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAdmin, "seal the vault"));
  // Sealing is the safe direction: it is logged when the chain can be
  // written, and happens even when it cannot (or is already sealed).
  if (!options_.keys->sealed()) (void)Log(ctx, "", Action::kAdmin, "", "vault sealed");
  // An operator's seal holds: a PKCS#11 root is not unsealed again by the
  // scheduler's token check, only by a restart of vaultd.
  options_.keys->SealAndHold();
  return absl::OkStatus();
}

absl::StatusOr<AuditVerification> DataAccess::VerifyAudit(const RequestContext& ctx) {
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAudit, "verify the audit log"));
  // Verification reads no personal data and must keep working when the
  // chain is broken (that is what it reports), so the entry is best effort.
  if (!options_.keys->sealed()) (void)Log(ctx, "", Action::kAudit, "", "audit verified");
  return options_.audit->Verify();
}

absl::StatusOr<std::string> DataAccess::RotateRootApiKey(const RequestContext& ctx) {
  RETURN_IF_ERROR(CheckOperator(ctx, "", Action::kAdmin, "rotate the root API key"));
  RETURN_IF_ERROR(Log(ctx, "", Action::kAdmin, "", "root API key rotation"));
  return options_.keys->RotateRootApiKey();
}

}  // namespace vault
