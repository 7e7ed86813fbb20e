// Retention classes: at a subject's erasure, fields tagged with a retention
// class are re-encrypted under a retention key of their own (one per class
// and subject, wrapped under the tenant KEK like a data key, stored under
// RetentionHolder(subject, class) so shred epochs rewrap it too); everything
// else dies with the subject's DEK. Retained fields are readable only with
// purpose `legal` (DataAccess checks the role), and when the class expires
// the retention key and the fields are destroyed, with a signed receipt.
#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "vault/lifecycle/internal/epoch_markers.h"
#include "vault/lifecycle/internal/shred_steps.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

struct BuiltInClass {
  const char* name;
  int64_t days;
};
// The privacy policy's five-year retention of transaction records.
constexpr BuiltInClass kBuiltIn[] = {{"financial_5y", 1826}};
constexpr int64_t kMaxDays = 36500;

absl::Status ValidateClassName(std::string_view name) {
  if (name.empty() || name.size() > 32) {
    return absl::InvalidArgumentError("retention class must be 1-32 characters");
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return absl::InvalidArgumentError("retention class must be of a-z 0-9 _");
    }
  }
  return absl::OkStatus();
}

// A retained class whose time has come: its queue key and what it names.
struct DueRetention {
  std::string key, tenant, subject, cls;
};

// The retention-due queue up to `now_ms`, in due order.
absl::StatusOr<std::vector<DueRetention>> ScanDueRetention(storage::KvStore& kv, int64_t now_ms) {
  const std::string start = Cat("retention-due", std::string_view("\0", 1));
  std::vector<DueRetention> due;
  absl::Status s = kv.ScanRange(
      storage::Table::kLedger, start, Cat(start, EncodeU64(static_cast<uint64_t>(now_ms) + 1)),
      [&](std::string_view key, std::string_view) {
        std::string_view rest = key.substr(start.size() + 8);
        const size_t a = rest.find('\0');
        const size_t b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
        if (b != std::string_view::npos) {
          due.push_back({std::string(key), std::string(rest.substr(0, a)),
                         std::string(rest.substr(a + 1, b - a - 1)),
                         std::string(rest.substr(b + 1))});
        }
        return true;
      });
  if (!s.ok()) return s;
  return due;
}

// The done erasure that records a retention expiry.
records::ErasureRecord RetentionErasure(const records::ErasureReceipt& receipt,
                                        int64_t expired_at_ms) {
  records::ErasureRecord erasure;
  erasure.set_erasure_id(receipt.erasure_id());
  erasure.set_tenant(receipt.tenant());
  erasure.set_subject(receipt.subject());
  erasure.set_state("done");
  erasure.set_requested_at_unix_ms(expired_at_ms);
  erasure.set_principal("scheduler");
  *erasure.mutable_receipt() = receipt;
  return erasure;
}

AuditEvent RetentionExpiredEvent(std::string_view tenant, std::string_view subject) {
  AuditEvent event;
  event.principal = "scheduler";
  event.tenant = std::string(tenant);
  event.action = "erase";
  event.subject = std::string(subject);
  event.reason = "retention expired";
  return event;
}

}  // namespace

absl::StatusOr<records::RetentionClassRecord> SubjectLifecycle::PutRetentionClass(
    std::string_view tenant, std::string_view name, int64_t days,
    const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(ValidateClassName(name));
  if (days < 1 || days > kMaxDays) {
    return absl::InvalidArgumentError("duration_days must be 1-36500");
  }
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  records::RetentionClassRecord record;
  record.set_name(std::string(name));
  record.set_duration_days(days);
  record.set_updated_at_unix_ms(absl::ToUnixMillis(options_.clock->Now()));
  storage::WriteBatch batch;
  batch.Put(storage::Table::kMeta, RetentionClassKey(tenant, name), record.SerializeAsString());
  RETURN_IF_ERROR(options_.committer->Commit(batch, &audit));
  return record;
}

absl::StatusOr<std::vector<records::RetentionClassRecord>> SubjectLifecycle::ListRetentionClasses(
    std::string_view tenant) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  std::map<std::string, records::RetentionClassRecord> classes;
  for (const BuiltInClass& b : kBuiltIn) {
    records::RetentionClassRecord r;
    r.set_name(b.name);
    r.set_duration_days(b.days);
    classes[b.name] = r;
  }
  const std::string prefix = RetentionClassPrefix(tenant);
  absl::Status s = options_.kv->ScanPrefix(
      storage::Table::kMeta, prefix, [&](std::string_view key, std::string_view value) {
        records::RetentionClassRecord r;
        if (r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          classes[std::string(key.substr(prefix.size()))] = r;
        }
        return true;
      });
  if (!s.ok()) return s;
  std::vector<records::RetentionClassRecord> out;
  for (auto& [name, r] : classes) out.push_back(std::move(r));
  return out;
}

absl::StatusOr<absl::Duration> SubjectLifecycle::RetentionPeriod(std::string_view tenant,
                                                                 std::string_view name) {
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kMeta, RetentionClassKey(tenant, name));
  if (stored.ok()) {
    records::RetentionClassRecord r;
    if (!r.ParseFromString(*stored)) return absl::DataLossError("retention class is corrupt");
    return absl::Hours(24 * r.duration_days());
  }
  if (!absl::IsNotFound(stored.status())) return stored.status();
  for (const BuiltInClass& b : kBuiltIn) {
    if (name == b.name) return absl::Hours(24 * b.days);
  }
  return absl::NotFoundError(Cat("unknown retention class ", name));
}

absl::Status SubjectLifecycle::AddRetainedCopies(const records::ErasureRecord& erasure,
                                                 const DataKey& dek,
                                                 const std::vector<RetainedRow>& rows,
                                                 int64_t now_ms, storage::WriteBatch* batch) {
  const std::string& tenant = erasure.tenant();
  const std::string& subject = erasure.subject();
  std::map<std::string, std::vector<const RetainedRow*>> by_class;
  for (const RetainedRow& row : rows) by_class[row.cls].push_back(&row);
  for (const auto& [cls, fields] : by_class) {
    absl::StatusOr<absl::Duration> period = RetentionPeriod(tenant, cls);
    if (!period.ok()) {
      return absl::FailedPreconditionError(
          Cat("a field is under retention class ", cls, ", which the tenant no longer has"));
    }
    const std::string holder = RetentionHolder(subject, cls);
    absl::StatusOr<DataKeyHandle> key = options_.subject_keys->GetOrCreate(tenant, holder, batch);
    if (!key.ok()) return key.status();
    records::RetainedRecord record;
    record.set_erasure_id(erasure.erasure_id());
    record.set_class_name(cls);
    record.set_retained_at_unix_ms(now_ms);
    record.set_expires_at_unix_ms(now_ms + absl::ToInt64Milliseconds(*period));
    record.set_state("retained");
    record.set_key_id((*key)->dek_id);
    for (const RetainedRow* row : fields) {
      absl::StatusOr<RevealedField> plain = options_.subjects->Open(
          tenant, subject, row->field, row->stored, dek, RevealLevel::kPlain);
      if (!plain.ok()) return plain.status();
      records::FieldRecord copy;
      if (!copy.ParseFromString(row->stored)) return absl::DataLossError("field record is corrupt");
      absl::StatusOr<std::string> sealed = crypto::XChaCha20Poly1305::Encrypt(
          (*key)->key, plain->value,
          FieldAd(tenant, holder, row->field, copy.type(), (*key)->dek_id, cls), *options_.random);
      crypto::SecureWipe(plain->value);
      if (!sealed.ok()) return sealed.status();
      copy.set_dek_id((*key)->dek_id);
      copy.set_ciphertext(*sealed);
      copy.clear_blind_index();  // retained fields are not searchable
      copy.set_updated_at_unix_ms(now_ms);
      batch->Put(storage::Table::kFields, FieldKey(tenant, holder, row->field),
                 copy.SerializeAsString());
      record.add_fields(row->field);
    }
    batch->Put(storage::Table::kLedger, RetainedKey(tenant, subject, cls),
               record.SerializeAsString());
    batch->Put(storage::Table::kLedger,
               RetentionDueKey(record.expires_at_unix_ms(), tenant, subject, cls), "");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<records::RetainedRecord>> SubjectLifecycle::ListRetained(
    std::string_view tenant, std::string_view subject) {
  std::vector<records::RetainedRecord> out;
  absl::Status corrupt;
  absl::Status s = options_.kv->ScanPrefix(
      storage::Table::kLedger, RetainedPrefix(tenant, subject),
      [&](std::string_view, std::string_view value) {
        records::RetainedRecord r;
        if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          corrupt = absl::DataLossError("retained record is corrupt");
          return false;
        }
        out.push_back(std::move(r));
        return true;
      });
  if (!s.ok()) return s;
  if (!corrupt.ok()) return corrupt;
  return out;
}

absl::StatusOr<std::map<std::string, RevealedField>> SubjectLifecycle::ReadRetained(
    std::string_view tenant, std::string_view subject, const std::vector<std::string>& names,
    RevealLevel reveal, const std::function<bool(DataType)>& visible,
    std::vector<std::string>* withheld) {
  absl::StatusOr<std::vector<records::RetainedRecord>> retained = ListRetained(tenant, subject);
  if (!retained.ok()) return retained.status();
  std::map<std::string, RevealedField> out;
  for (const records::RetainedRecord& r : *retained) {
    if (r.state() != "retained") continue;
    std::vector<std::string> wanted;
    for (const std::string& f : r.fields()) {
      if (names.empty() || std::find(names.begin(), names.end(), f) != names.end()) {
        wanted.push_back(f);
      }
    }
    if (wanted.empty()) continue;
    absl::StatusOr<std::map<std::string, RevealedField>> fields =
        options_.subjects->ReadStoredFields(tenant, RetentionHolder(subject, r.class_name()),
                                            wanted, reveal, visible, withheld);
    if (!fields.ok()) return fields.status();
    for (auto& [name, f] : *fields) out.emplace(name, std::move(f));
  }
  return out;
}

absl::StatusOr<records::ErasureReceipt> SubjectLifecycle::SignedReceipt(
    records::ErasureReceipt receipt) {
  AddResidency(*options_.keys, &receipt);
  absl::StatusOr<std::string> signature = options_.keys->Sign(ReceiptMessage(receipt));
  if (!signature.ok()) return signature.status();
  receipt.set_signature(*signature);
  absl::StatusOr<std::string> public_key = options_.keys->SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  receipt.set_public_key(*public_key);
  return receipt;
}

absl::StatusOr<int> SubjectLifecycle::ExpireDueRetention() {
  if (options_.keys->sealed()) return SealedError();
  absl::StatusOr<std::vector<DueRetention>> due =
      ScanDueRetention(*options_.kv, absl::ToUnixMillis(options_.clock->Now()));
  if (!due.ok()) return due.status();
  int expired = 0;
  for (const DueRetention& d : *due) {
    absl::StatusOr<bool> done = ExpireRetention(d.key, d.tenant, d.subject, d.cls);
    if (!done.ok()) return done.status();
    if (*done) ++expired;
  }
  return expired;
}

absl::StatusOr<bool> SubjectLifecycle::ExpireRetention(std::string_view due_key,
                                                       std::string_view tenant,
                                                       std::string_view subject,
                                                       std::string_view cls) {
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  if (IsGone(options_.keys->GetTenant(tenant).status())) {
    // The tenant was erased: its keys (this retention key too) are gone.
    storage::WriteBatch drop;
    drop.Delete(storage::Table::kLedger, due_key);
    if (absl::Status st = options_.kv->Write(drop); !st.ok()) return st;
    return false;
  }
  absl::StatusOr<bool> held = HasHold(tenant, subject);
  if (!held.ok() || *held) return false;  // a hold keeps the retained fields
  const std::string retained_key = RetainedKey(tenant, subject, cls);
  absl::StatusOr<std::string> stored = options_.kv->Get(storage::Table::kLedger, retained_key);
  records::RetainedRecord record;
  if (!stored.ok() || !record.ParseFromString(*stored) || record.state() != "retained") {
    return false;
  }
  const std::string holder = RetentionHolder(subject, cls);
  storage::WriteBatch batch;
  if (absl::Status st = lifecycle_internal::AddHolderDeletes(*options_.kv, tenant, holder, &batch);
      !st.ok()) {
    return st;
  }
  batch.Delete(storage::Table::kLedger, due_key);
  records::ErasureReceipt receipt;
  receipt.set_erasure_id(lifecycle_internal::NewErasureId(*options_.random));
  receipt.set_tenant(std::string(tenant));
  receipt.set_subject(std::string(subject));
  receipt.set_requested_at(Rfc3339Ms(record.expires_at_unix_ms()));
  const int64_t expired_ms = absl::ToUnixMillis(options_.clock->Now());
  receipt.set_shredded_at(Rfc3339Ms(expired_ms));
  receipt.set_destroyed_key_id(Cat("retention:", cls, ":", crypto::HexEncode(record.key_id())));
  absl::StatusOr<records::ErasureReceipt> signed_receipt = SignedReceipt(receipt);
  if (!signed_receipt.ok()) return signed_receipt.status();
  const records::ErasureRecord erasure =
      RetentionErasure(*signed_receipt, record.expires_at_unix_ms());
  batch.Put(storage::Table::kLedger, ErasureKey(erasure.erasure_id()), erasure.SerializeAsString());
  lifecycle_internal::AddEpochDueMarker(tenant, erasure.erasure_id(), expired_ms, &batch);
  record.set_state("expired");
  record.set_expiry_erasure_id(erasure.erasure_id());
  batch.Put(storage::Table::kLedger, retained_key, record.SerializeAsString());
  std::vector<AuditEvent> events{RetentionExpiredEvent(tenant, subject)};
  options_.subject_keys->Evict(tenant, holder);
  absl::Status committed = options_.committer->Commit(batch, &events);
  options_.subject_keys->Evict(tenant, holder);
  if (!committed.ok()) return committed;
  compaction_pending_ = true;
  return true;
}

}  // namespace vault
