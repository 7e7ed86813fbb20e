// DataAccess: a tenant's processors (parties told of its erasures), action
// admin; every change is committed with its audit entry.
#include "base/status_macros.h"
#include "vault/data_access.h"
#include "vault/model/record_keys.h"

namespace vault {

absl::StatusOr<ProcessorStatus> DataAccess::PutProcessor(const RequestContext& ctx,
                                                         std::string_view tenant,
                                                         std::string_view name,
                                                         std::string_view url,
                                                         const std::vector<std::string>& events) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.processors->Put(tenant, name, url, events,
                                  Allowed(ctx, tenant, Action::kAdmin, "", "processor saved"));
}

absl::StatusOr<ProcessorStatus> DataAccess::GetProcessor(const RequestContext& ctx,
                                                         std::string_view tenant,
                                                         std::string_view name) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.processors->Get(tenant, name);
}

absl::StatusOr<std::vector<ProcessorStatus>> DataAccess::ListProcessors(const RequestContext& ctx,
                                                                        std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.processors->List(tenant);
}

absl::Status DataAccess::DeleteProcessor(const RequestContext& ctx, std::string_view tenant,
                                         std::string_view name) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(Check(ctx, tenant, Action::kAdmin));
  return options_.processors->Delete(tenant, name,
                                     Allowed(ctx, tenant, Action::kAdmin, "", "processor deleted"));
}

}  // namespace vault
