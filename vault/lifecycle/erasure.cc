// SubjectLifecycle: erasure requests, the crypto-shred of a subject, the
// scheduler's due erasures, compaction after shredding, and the erasure of a
// whole tenant.
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "vault/lifecycle/internal/shred_steps.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

const std::string_view kSep("\0", 1);

}  // namespace

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::RequestErasure(
    std::string_view tenant, std::string_view subject, absl::Duration grace,
    std::string_view principal, const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  if (grace < absl::ZeroDuration() || grace > absl::Hours(24 * 366)) {
    return absl::InvalidArgumentError("grace_seconds must be 0 to one year");
  }
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (!dek.ok()) return dek.status();  // NOT_FOUND or GONE
  absl::StatusOr<bool> held = HasHold(tenant, subject);
  if (!held.ok()) return held.status();
  if (*held) return absl::FailedPreconditionError("a legal hold blocks erasure of this subject");
  absl::StatusOr<std::string> pending =
      options_.kv->Get(storage::Table::kLedger, SubjectErasureKey(tenant, subject));
  if (pending.ok()) return absl::FailedPreconditionError("an erasure is already pending");
  if (!absl::IsNotFound(pending.status())) return pending.status();

  const absl::Time now = options_.clock->Now();
  records::ErasureRecord erasure;
  erasure.set_erasure_id(lifecycle_internal::NewErasureId(*options_.random));
  erasure.set_tenant(std::string(tenant));
  erasure.set_subject(std::string(subject));
  erasure.set_requested_at_unix_ms(absl::ToUnixMillis(now));
  erasure.set_due_at_unix_ms(absl::ToUnixMillis(now + grace));
  erasure.set_principal(std::string(principal));
  if (grace == absl::ZeroDuration()) return ShredLocked(std::move(erasure), audit);

  erasure.set_state("pending");
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, ErasureKey(erasure.erasure_id()), erasure.SerializeAsString());
  batch.Put(storage::Table::kLedger, PendingKey(erasure.due_at_unix_ms(), erasure.erasure_id()),
            "");
  batch.Put(storage::Table::kLedger, SubjectErasureKey(tenant, subject), erasure.erasure_id());
  RETURN_IF_ERROR(options_.committer->Commit(batch, &audit));
  return erasure;
}

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::CancelErasure(
    std::string_view tenant, std::string_view subject, const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  absl::StatusOr<std::string> id =
      options_.kv->Get(storage::Table::kLedger, SubjectErasureKey(tenant, subject));
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) {
      return absl::FailedPreconditionError("no erasure is pending for this subject");
    }
    return id.status();
  }
  absl::StatusOr<std::string> stored = options_.kv->Get(storage::Table::kLedger, ErasureKey(*id));
  if (!stored.ok()) return stored.status();
  records::ErasureRecord erasure;
  if (!erasure.ParseFromString(*stored)) return absl::DataLossError("erasure record is corrupt");
  erasure.set_state("cancelled");
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, ErasureKey(*id), erasure.SerializeAsString());
  batch.Delete(storage::Table::kLedger, PendingKey(erasure.due_at_unix_ms(), *id));
  batch.Delete(storage::Table::kLedger, SubjectErasureKey(tenant, subject));
  RETURN_IF_ERROR(options_.committer->Commit(batch, &audit));
  return erasure;
}

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::GetErasure(std::string_view tenant,
                                                                    std::string_view erasure_id) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kLedger, ErasureKey(erasure_id));
  if (!stored.ok()) {
    if (absl::IsNotFound(stored.status())) return absl::NotFoundError("unknown erasure");
    return stored.status();
  }
  records::ErasureRecord erasure;
  if (!erasure.ParseFromString(*stored)) return absl::DataLossError("erasure record is corrupt");
  if (erasure.tenant() != tenant) return absl::NotFoundError("unknown erasure");
  return erasure;
}

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::ShredLocked(
    records::ErasureRecord erasure, const std::vector<AuditEvent>& audit) {
  const std::string& tenant = erasure.tenant();
  const std::string& subject = erasure.subject();
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (!dek.ok()) return dek.status();
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());

  storage::WriteBatch batch;
  std::vector<RetainedRow> retained;
  RETURN_IF_ERROR(AddSubjectShredDeletes(*options_.kv, tenant, subject, &batch, &retained));
  // Fields under a retention class move to a retention key of their own,
  // in the same batch; everything else dies with the DEK.
  if (!retained.empty()) {
    RETURN_IF_ERROR(AddRetainedCopies(erasure, **dek, retained, now_ms, &batch));
  }

  records::ErasureReceipt* receipt = erasure.mutable_receipt();
  receipt->set_erasure_id(erasure.erasure_id());
  receipt->set_tenant(tenant);
  receipt->set_subject(subject);
  receipt->set_requested_at(Rfc3339Ms(erasure.requested_at_unix_ms()));
  receipt->set_shredded_at(Rfc3339Ms(now_ms));
  receipt->set_destroyed_key_id(Cat("dek:", crypto::HexEncode((*dek)->dek_id)));
  AddResidency(*options_.keys, receipt);
  absl::StatusOr<std::string> signature = options_.keys->Sign(ReceiptMessage(*receipt));
  if (!signature.ok()) return signature.status();
  receipt->set_signature(*signature);
  absl::StatusOr<std::string> public_key = options_.keys->SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  receipt->set_public_key(*public_key);
  erasure.set_state("done");

  AddShredLedgerWrites(erasure, now_ms, (*dek)->dek_id, &batch);
  // Notices to the tenant's processors become durable with the erasure.
  if (options_.on_erasure_done) RETURN_IF_ERROR(options_.on_erasure_done(erasure, &batch));
  options_.subject_keys->Evict(tenant, subject);
  absl::Status committed = options_.committer->Commit(batch, &audit);
  options_.subject_keys->Evict(tenant, subject);  // whatever happened, drop it from memory
  if (!committed.ok()) return committed;
  if (options_.after_erasure_done) options_.after_erasure_done();

  // The deletions reach the table files at the next CompactShredded (the
  // scheduler runs it within seconds); compacting here would cost every
  // erasure a rewrite of the tables.
  compaction_pending_ = true;
  return erasure;
}

absl::Status SubjectLifecycle::CompactShredded() {
  if (!compaction_pending_.exchange(false)) return absl::OkStatus();
  absl::Status s = options_.kv->Flush();
  for (storage::Table table :
       {storage::Table::kSubjectKeys, storage::Table::kFields, storage::Table::kBlindIndex}) {
    if (s.ok()) s = options_.kv->CompactRange(table, "", "");
  }
  if (!s.ok()) compaction_pending_ = true;  // try again next time
  return s;
}

absl::StatusOr<int> SubjectLifecycle::RunDue() {
  if (options_.keys->sealed()) return SealedError();
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  std::vector<std::string> due;
  const std::string start = Cat("pending", kSep);
  absl::Status s = options_.kv->ScanRange(storage::Table::kLedger, start,
                                          Cat(start, EncodeU64(static_cast<uint64_t>(now_ms) + 1)),
                                          [&](std::string_view key, std::string_view) {
                                            due.emplace_back(key.substr(start.size() + 8));
                                            return true;
                                          });
  if (!s.ok()) return s;
  int executed = 0;
  for (const std::string& id : due) {
    absl::StatusOr<std::string> stored = options_.kv->Get(storage::Table::kLedger, ErasureKey(id));
    if (!stored.ok()) continue;
    records::ErasureRecord erasure;
    if (!erasure.ParseFromString(*stored) || erasure.state() != "pending") continue;
    std::unique_lock<std::mutex> lock = options_.locks->Lock(erasure.tenant(), erasure.subject());
    // Look again under the lock: a cancel may have won the race.
    stored = options_.kv->Get(storage::Table::kLedger, ErasureKey(id));
    if (!stored.ok() || !erasure.ParseFromString(*stored) || erasure.state() != "pending") continue;
    absl::StatusOr<bool> held = HasHold(erasure.tenant(), erasure.subject());
    if (!held.ok() || *held) continue;  // a hold makes a due erasure wait
    AuditEvent event;
    event.principal = "scheduler";
    event.tenant = erasure.tenant();
    event.action = "erase";
    event.subject = erasure.subject();
    event.reason = "due erasure executed";
    absl::StatusOr<records::ErasureRecord> done = ShredLocked(std::move(erasure), {event});
    if (done.ok()) ++executed;
  }
  // A failing expiry does not hide the erasures run above; it is retried
  // at the next call.
  absl::StatusOr<int> expired = ExpireDueRetention();
  if (expired.ok()) executed += *expired;
  return executed;
}

absl::StatusOr<std::optional<records::ErasureRecord>> SubjectLifecycle::PendingErasure(
    std::string_view tenant, std::string_view subject) {
  absl::StatusOr<std::string> id =
      options_.kv->Get(storage::Table::kLedger, SubjectErasureKey(tenant, subject));
  if (!id.ok()) {
    if (absl::IsNotFound(id.status())) return std::optional<records::ErasureRecord>();
    return id.status();
  }
  absl::StatusOr<records::ErasureRecord> e = GetErasure(tenant, *id);
  if (!e.ok()) return e.status();
  return std::optional<records::ErasureRecord>(std::move(*e));
}

absl::StatusOr<records::ErasureReceipt> SubjectLifecycle::EraseTenant(
    std::string_view tenant, const std::vector<AuditEvent>& audit) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  if (options_.keys->sealed()) return SealedError();
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  // The entry first (the keyring lives outside the store).
  RETURN_IF_ERROR(options_.committer->Commit(storage::WriteBatch(), &audit));
  const absl::Time now = options_.clock->Now();
  absl::StatusOr<std::vector<uint32_t>> destroyed = options_.keys->EraseTenant(tenant);
  if (!destroyed.ok()) return destroyed.status();
  options_.subject_keys->EvictAll();

  // Everything under the tenant's prefix is now ciphertext under keys that
  // exist nowhere; delete it anyway and compact it out of the live files.
  RETURN_IF_ERROR(DeleteTenantRecords(*options_.kv, tenant));

  records::ErasureReceipt receipt;
  receipt.set_erasure_id(lifecycle_internal::NewErasureId(*options_.random));
  receipt.set_tenant(std::string(tenant));
  receipt.set_requested_at(Rfc3339Ms(absl::ToUnixMillis(now)));
  receipt.set_shredded_at(Rfc3339Ms(absl::ToUnixMillis(options_.clock->Now())));
  std::string versions;
  for (uint32_t v : *destroyed) versions += Cat(versions.empty() ? "" : ",", "v", v);
  receipt.set_destroyed_key_id(Cat("tenant-kek:", versions));
  AddResidency(*options_.keys, &receipt);
  absl::StatusOr<std::string> signature = options_.keys->Sign(ReceiptMessage(receipt));
  if (!signature.ok()) return signature.status();
  receipt.set_signature(*signature);
  absl::StatusOr<std::string> public_key = options_.keys->SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  receipt.set_public_key(*public_key);
  records::ErasureRecord record;
  record.set_erasure_id(receipt.erasure_id());
  record.set_tenant(std::string(tenant));
  record.set_state("done");
  record.set_requested_at_unix_ms(absl::ToUnixMillis(now));
  *record.mutable_receipt() = receipt;
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, ErasureKey(receipt.erasure_id()), record.SerializeAsString());
  if (options_.on_erasure_done) RETURN_IF_ERROR(options_.on_erasure_done(record, &batch));
  RETURN_IF_ERROR(options_.kv->Write(batch));
  if (options_.after_erasure_done) options_.after_erasure_done();
  return receipt;
}

}  // namespace vault
