// SubjectPseudonyms implementation.
#include "vault/audit/subject_pseudonyms.h"

#include <map>
#include <utility>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

constexpr size_t kRefBytes = 16;

}  // namespace

bool SubjectPseudonyms::Shredded(std::string_view tenant, std::string_view subject,
                                 absl::Status* error) {
  absl::StatusOr<std::string> marker =
      kv_->Get(storage::Table::kLedger, ShreddedKey(tenant, subject));
  if (marker.ok()) return true;
  if (!absl::IsNotFound(marker.status())) *error = marker.status();
  return false;
}

absl::StatusOr<std::optional<std::string>> SubjectPseudonyms::Lookup(std::string_view tenant,
                                                                     std::string_view subject) {
  absl::StatusOr<DataKeyHandle> key = subject_keys_->Get(tenant, AuditKeyHolder(subject));
  if (!key.ok()) {
    if (IsMissing(key.status())) return std::optional<std::string>();
    return key.status();
  }
  absl::StatusOr<std::string> mac = crypto::Blake2bMac(
      (*key)->key, AssociatedData("audit-subject-ref", {tenant, subject}), kRefBytes);
  if (!mac.ok()) return mac.status();
  return std::optional<std::string>(Cat("sp_", crypto::HexEncode(*mac)));
}

absl::StatusOr<std::optional<std::string>> SubjectPseudonyms::Find(std::string_view tenant,
                                                                   std::string_view subject) {
  return Lookup(tenant, subject);
}

absl::Status SubjectPseudonyms::Create(
    const std::vector<std::pair<std::string, std::string>>& missing) {
  std::lock_guard<std::mutex> lock(create_mu_);
  storage::WriteBatch batch;
  std::vector<std::pair<std::string, std::string>> created;
  for (const auto& [tenant, subject] : missing) {
    absl::StatusOr<std::optional<std::string>> again = Lookup(tenant, subject);
    if (!again.ok()) return again.status();
    if (again->has_value()) continue;  // another caller made it
    absl::Status error;
    if (Shredded(tenant, subject, &error)) continue;
    RETURN_IF_ERROR(error);
    absl::StatusOr<DataKeyHandle> key =
        subject_keys_->GetOrCreate(tenant, AuditKeyHolder(subject), &batch);
    // No tenant keys (an unknown or erased tenant): the caller names the
    // subject as unlinked.
    if (!key.ok() && IsMissing(key.status())) continue;
    if (!key.ok()) return key.status();
    created.emplace_back(tenant, subject);
  }
  if (batch.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(kv_->Write(batch));
  // A shred that committed between our check and our write must not leave
  // a fresh key behind (it would link later entries to the id again).
  storage::WriteBatch undo;
  for (const auto& [tenant, subject] : created) {
    absl::Status error;
    if (Shredded(tenant, subject, &error)) {
      undo.Delete(storage::Table::kSubjectKeys, SubjectKey(tenant, AuditKeyHolder(subject)));
    }
    RETURN_IF_ERROR(error);
  }
  if (!undo.empty()) RETURN_IF_ERROR(kv_->Write(undo));
  for (const auto& [tenant, subject] : created)
    subject_keys_->Evict(tenant, AuditKeyHolder(subject));
  return absl::OkStatus();
}

absl::Status SubjectPseudonyms::Apply(std::vector<AuditEvent>* events) {
  using Name = std::pair<std::string, std::string>;
  std::map<Name, std::optional<std::string>> refs;
  std::vector<Name> missing;
  for (const AuditEvent& e : *events) {
    if (e.subject.empty() || e.subject == kUnsafeAuditText) continue;
    Name name(e.tenant, e.subject);
    if (refs.count(name) != 0) continue;
    absl::StatusOr<std::optional<std::string>> ref = Lookup(e.tenant, e.subject);
    if (!ref.ok()) return ref.status();
    if (!ref->has_value()) {
      absl::Status error;
      const bool shredded = Shredded(e.tenant, e.subject, &error);
      RETURN_IF_ERROR(error);
      if (shredded) {
        ref->emplace(kErasedSubjectRef);
      } else {
        missing.push_back(name);
      }
    }
    refs[name] = std::move(*ref);
  }
  if (!missing.empty()) {
    RETURN_IF_ERROR(Create(missing));
    for (const Name& name : missing) {
      absl::StatusOr<std::optional<std::string>> ref = Lookup(name.first, name.second);
      if (!ref.ok()) return ref.status();
      if (ref->has_value()) {
        refs[name] = std::move(*ref);
        continue;
      }
      absl::Status error;
      const bool shredded = Shredded(name.first, name.second, &error);
      RETURN_IF_ERROR(error);
      refs[name] = std::string(shredded ? kErasedSubjectRef : kUnlinkedSubjectRef);
    }
  }
  for (AuditEvent& e : *events) {
    if (e.subject.empty() || e.subject == kUnsafeAuditText) continue;
    auto it = refs.find(Name(e.tenant, e.subject));
    if (it == refs.end() || !it->second.has_value()) continue;  // not reached
    e.subject_ref = *it->second;
    e.subject.clear();
  }
  return absl::OkStatus();
}

}  // namespace vault
