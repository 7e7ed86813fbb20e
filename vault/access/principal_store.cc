// PrincipalStore implementation. Keys in Table::kMeta:
//   "role\0" tenant "\0" name        -> RoleRecord
//   "principal\0" id                  -> PrincipalRecord
//   "principal-name\0" tenant "\0" name -> id
//   "apikey\0" keyed hash             -> id
#include "vault/access/principal_store.h"

#include <memory>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "vault/keys/api_keys.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

const std::string_view kSep("\0", 1);

std::string RoleKey(std::string_view tenant, std::string_view name) {
  return Cat("role", kSep, tenant, kSep, name);
}
std::string RolePrefix(std::string_view tenant) { return Cat("role", kSep, tenant, kSep); }
std::string PrincipalKey(std::string_view id) { return Cat("principal", kSep, id); }
std::string PrincipalNameKey(std::string_view tenant, std::string_view name) {
  return Cat("principal-name", kSep, tenant, kSep, name);
}
std::string ApiKeyKey(std::string_view hash) { return Cat("apikey", kSep, hash); }

}  // namespace

absl::Status ValidatePrincipalName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError("name must be 1-64 characters");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return absl::InvalidArgumentError("name must be of a-z 0-9 - _");
    }
  }
  return absl::OkStatus();
}

absl::Status PrincipalStore::CheckTenant(std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  if (keys_->sealed()) return SealedError();
  return keys_->GetTenant(tenant).status();
}

absl::StatusOr<records::RoleRecord> PrincipalStore::PutRole(std::string_view tenant,
                                                            records::RoleRecord role,
                                                            const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  role.set_tenant(std::string(tenant));
  absl::StatusOr<Role> parsed = RoleFromRecord(role);
  if (!parsed.ok()) return parsed.status();
  if (role.max_reveal().empty()) role.set_max_reveal("masked");
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, RoleKey(tenant, role.name()), role.SerializeAsString());
  batch.MarkInvalidatesCaches();  // other nodes drop their cached principals
  absl::Status committed = committer_->Commit(batch, &audit);
  ++generation_;  // even on failure: the write may have landed
  if (!committed.ok()) return committed;
  return role;
}

absl::StatusOr<std::vector<records::RoleRecord>> PrincipalStore::ListRoles(
    std::string_view tenant) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  std::vector<records::RoleRecord> out;
  bool corrupt = false;
  absl::Status s = kv_->ScanPrefix(
      storage::Table::kMeta, RolePrefix(tenant), [&](std::string_view, std::string_view value) {
        records::RoleRecord r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          corrupt = true;
          return false;
        }
        out.push_back(std::move(r));
        return true;
      });
  if (!s.ok()) return s;
  if (corrupt) return absl::DataLossError("role record is corrupt");
  return out;
}

absl::StatusOr<IssuedPrincipal> PrincipalStore::CreatePrincipal(
    std::string_view tenant, std::string_view name, const std::vector<std::string>& roles,
    const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  RETURN_IF_ERROR(ValidatePrincipalName(name));
  for (const std::string& role : roles) {
    RETURN_IF_ERROR(ValidateRoleName(role));
  }
  absl::StatusOr<KeyCache::Key> hash_key = keys_->GetSystemSubkey(SystemSubkey::kApiKeyHash);
  if (!hash_key.ok()) return hash_key.status();

  std::lock_guard<std::mutex> lock(admin_mu_);
  for (const std::string& role : roles) {
    absl::StatusOr<std::string> r = kv_->Get(storage::Table::kMeta, RoleKey(tenant, role));
    if (!r.ok()) {
      if (absl::IsNotFound(r.status())) return absl::NotFoundError("unknown role");
      return r.status();
    }
  }
  absl::StatusOr<std::string> existing =
      kv_->Get(storage::Table::kMeta, PrincipalNameKey(tenant, name));
  if (existing.ok()) return absl::AlreadyExistsError("a principal with this name exists");
  if (!absl::IsNotFound(existing.status())) return existing.status();

  IssuedPrincipal issued;
  issued.id = Cat("p_", crypto::HexEncode(random_->Bytes(8)));
  issued.name = std::string(name);
  issued.api_key = NewApiKey(*random_);
  absl::StatusOr<std::string> hash = ApiKeyHash(**hash_key, issued.api_key);
  if (!hash.ok()) return hash.status();
  records::PrincipalRecord record;
  record.set_id(issued.id);
  record.set_tenant(std::string(tenant));
  record.set_name(std::string(name));
  for (const std::string& role : roles) record.add_roles(role);
  record.set_api_key_hash(*hash);
  record.set_created_at_unix_ms(absl::ToUnixMillis(clock_->Now()));
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, PrincipalKey(issued.id), record.SerializeAsString());
  batch.Put(storage::Table::kMeta, PrincipalNameKey(tenant, name), issued.id);
  batch.Put(storage::Table::kMeta, ApiKeyKey(*hash), issued.id);
  batch.MarkInvalidatesCaches();
  absl::Status committed = committer_->Commit(batch, &audit);
  ++generation_;
  if (absl::Status s = committed; !s.ok()) {
    crypto::SecureWipe(issued.api_key);
    return s;
  }
  return issued;
}

absl::StatusOr<std::vector<PrincipalInfo>> PrincipalStore::ListPrincipals(std::string_view tenant) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  // One snapshot, so a principal created or deleted meanwhile is either
  // wholly in the list or wholly out of it.
  const std::shared_ptr<const storage::Snapshot> snapshot = kv_->GetSnapshot();
  std::vector<std::string> ids;  // in name order: the index is keyed by name
  RETURN_IF_ERROR(kv_->ScanPrefix(
      storage::Table::kMeta, PrincipalNameKey(tenant, ""),
      [&](std::string_view, std::string_view id) {
        ids.emplace_back(id);
        return true;
      },
      snapshot.get()));
  std::vector<PrincipalInfo> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    absl::StatusOr<std::string> stored =
        kv_->Get(storage::Table::kMeta, PrincipalKey(id), snapshot.get());
    if (absl::IsNotFound(stored.status())) return absl::DataLossError("principal index is stale");
    if (!stored.ok()) return stored.status();
    records::PrincipalRecord record;
    if (!record.ParseFromString(*stored) || record.tenant() != tenant) {
      return absl::DataLossError("principal record is corrupt");
    }
    out.push_back(PrincipalInfo{record.id(),
                                record.name(),
                                {record.roles().begin(), record.roles().end()},
                                record.created_at_unix_ms()});
  }
  return out;
}

absl::Status PrincipalStore::DeletePrincipal(std::string_view tenant, std::string_view id,
                                             const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenant(tenant));
  std::lock_guard<std::mutex> lock(admin_mu_);
  absl::StatusOr<std::string> stored = kv_->Get(storage::Table::kMeta, PrincipalKey(id));
  if (!stored.ok()) {
    if (absl::IsNotFound(stored.status())) return absl::NotFoundError("unknown principal");
    return stored.status();
  }
  records::PrincipalRecord record;
  if (!record.ParseFromString(*stored)) return absl::DataLossError("principal record is corrupt");
  if (record.tenant() != tenant) return absl::NotFoundError("unknown principal");
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kMeta, PrincipalKey(id));
  batch.Delete(storage::Table::kMeta, PrincipalNameKey(tenant, record.name()));
  batch.Delete(storage::Table::kMeta, ApiKeyKey(record.api_key_hash()));
  batch.MarkInvalidatesCaches();
  ++generation_;  // before and after: no request may see the old entry again
  absl::Status committed = committer_->Commit(batch, &audit);
  ++generation_;
  return committed;
}

absl::StatusOr<Principal> PrincipalStore::Authenticate(std::string_view api_key) {
  if (keys_->sealed()) return SealedError();
  if (!LooksLikeApiKey(api_key)) return absl::UnauthenticatedError("missing or unknown API key");
  absl::StatusOr<KeyCache::Key> hash_key = keys_->GetSystemSubkey(SystemSubkey::kApiKeyHash);
  if (!hash_key.ok()) return hash_key.status();
  absl::StatusOr<std::string> hash = ApiKeyHash(**hash_key, api_key);
  if (!hash.ok()) return hash.status();
  absl::StatusOr<std::string> root_hash = keys_->RootApiKeyHash();
  if (!root_hash.ok()) return root_hash.status();
  if (crypto::ConstantTimeEquals(*hash, *root_hash)) {
    return Principal{std::string(kRootPrincipalId), "", "root", /*is_operator=*/true, {}};
  }
  const uint64_t generation = generation_.load();
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(*hash);
    if (it != cache_.end() && it->second.generation == generation) return it->second.principal;
  }
  absl::StatusOr<std::string> id = kv_->Get(storage::Table::kMeta, ApiKeyKey(*hash));
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) {
      return absl::UnauthenticatedError("missing or unknown API key");
    }
    return id.status();
  }
  absl::StatusOr<std::string> stored = kv_->Get(storage::Table::kMeta, PrincipalKey(*id));
  if (!stored.ok()) return absl::UnauthenticatedError("missing or unknown API key");
  records::PrincipalRecord record;
  if (!record.ParseFromString(*stored)) return absl::DataLossError("principal record is corrupt");
  // The index found it by hash; the record's own hash must agree.
  if (!crypto::ConstantTimeEquals(record.api_key_hash(), *hash)) {
    return absl::UnauthenticatedError("missing or unknown API key");
  }
  Principal principal{record.id(), record.tenant(), record.name(), false, {}};
  for (const std::string& role_name : record.roles()) {
    absl::StatusOr<std::string> r =
        kv_->Get(storage::Table::kMeta, RoleKey(record.tenant(), role_name));
    if (!r.ok()) {
      if (absl::IsNotFound(r.status())) continue;  // a role deleted since grants nothing
      return r.status();
    }
    records::RoleRecord role_record;
    if (!role_record.ParseFromString(*r)) return absl::DataLossError("role record is corrupt");
    absl::StatusOr<Role> role = RoleFromRecord(role_record);
    if (!role.ok()) return absl::DataLossError("stored role is invalid");
    principal.roles.push_back(std::move(*role));
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= 10000) cache_.clear();
    cache_[*hash] = Cached{generation, principal};
  }
  return principal;
}

}  // namespace vault
