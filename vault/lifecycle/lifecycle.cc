// SubjectLifecycle implementation.
#include "vault/lifecycle/lifecycle.h"

#include <set>

#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "vault/model/record_keys.h"
#include "base/status.h"
#include "base/strings.h"

namespace vault {
namespace {

const std::string_view kSep("\0", 1);

absl::Status ValidateHoldId(std::string_view id) {
  if (id.empty() || id.size() > 64) return absl::InvalidArgumentError("hold id must be 1-64 characters");
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.')) {
      return absl::InvalidArgumentError("hold id must be of A-Z a-z 0-9 . _ -");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ReceiptMessage(const records::ErasureReceipt& r) {
  return Cat("vaultd-erasure-receipt-v1\n", r.erasure_id(), "\n", r.tenant(), "\n", r.subject(),
             "\n", r.requested_at(), "\n", r.shredded_at(), "\n", r.destroyed_key_id());
}

absl::Status VerifyReceipt(const records::ErasureReceipt& receipt, std::string_view public_key) {
  return crypto::VerifySignature(public_key, ReceiptMessage(receipt), receipt.signature());
}

absl::Status AddSubjectShredDeletes(storage::KvStore& kv, std::string_view tenant,
                                    std::string_view subject, storage::WriteBatch* batch,
                                    std::vector<RetainedRow>* retained) {
  batch->Delete(storage::Table::kSubjectKeys, SubjectKey(tenant, subject));
  const std::string prefix = SubjectPrefix(tenant, subject);
  return kv.ScanPrefix(
      storage::Table::kFields, prefix, [&](std::string_view key, std::string_view value) {
        batch->Delete(storage::Table::kFields, key);
        records::FieldRecord field;
        if (!field.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
        if (!field.retention().empty() && retained != nullptr) {
          retained->push_back({std::string(key.substr(prefix.size())), field.retention(),
                               std::string(value)});
        }
        if (!field.blind_index().empty()) {
          batch->Delete(storage::Table::kBlindIndex,
                        BlindIndexKey(tenant, field.blind_index(), subject,
                                      key.substr(prefix.size())));
        }
        return true;
      });
}

void AddShredLedgerWrites(const records::ErasureRecord& erasure, int64_t shredded_at_ms,
                          std::string_view dek_id, storage::WriteBatch* batch) {
  records::ShredRecord shred;
  shred.set_erasure_id(erasure.erasure_id());
  shred.set_shredded_at_unix_ms(shredded_at_ms);
  shred.set_dek_id(std::string(dek_id));
  batch->Put(storage::Table::kLedger, ShreddedKey(erasure.tenant(), erasure.subject()),
             shred.SerializeAsString());
  batch->Put(storage::Table::kLedger, ErasureKey(erasure.erasure_id()), erasure.SerializeAsString());
  batch->Delete(storage::Table::kLedger,
                PendingKey(erasure.due_at_unix_ms(), erasure.erasure_id()));
  batch->Delete(storage::Table::kLedger, SubjectErasureKey(erasure.tenant(), erasure.subject()));
}

absl::Status DeleteTenantRecords(storage::KvStore& kv, std::string_view tenant) {
  const std::string prefix = TenantPrefix(tenant);
  constexpr storage::Table kTables[] = {storage::Table::kSubjectKeys, storage::Table::kFields,
                                        storage::Table::kTokens, storage::Table::kBlindIndex};
  for (storage::Table table : kTables) {
    storage::WriteBatch batch;
    absl::Status s = kv.ScanPrefix(table, prefix, [&](std::string_view key, std::string_view) {
      batch.Delete(table, key);
      return true;
    });
    if (!s.ok()) return s;
    if (!batch.empty()) {
      if (absl::Status w = kv.Write(batch); !w.ok()) return w;
    }
  }
  if (absl::Status s = kv.Flush(); !s.ok()) return s;
  for (storage::Table table : kTables) {
    if (absl::Status s = kv.CompactRange(table, prefix, storage::PrefixSuccessor(prefix)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<records::ErasureRecord>> ListDoneErasures(storage::KvStore& kv) {
  std::vector<records::ErasureRecord> out;
  const std::string prefix = ErasureKey("");
  absl::Status corrupt;
  absl::Status s = kv.ScanPrefix(storage::Table::kLedger, prefix,
                                 [&](std::string_view, std::string_view value) {
                                   records::ErasureRecord e;
                                   if (!e.ParseFromArray(value.data(),
                                                         static_cast<int>(value.size()))) {
                                     corrupt = absl::DataLossError("erasure record is corrupt");
                                     return false;
                                   }
                                   if (e.state() == "done") out.push_back(std::move(e));
                                   return true;
                                 });
  if (!s.ok()) return s;
  if (!corrupt.ok()) return corrupt;
  return out;
}

absl::StatusOr<bool> ReplayErasureReceipt(storage::KvStore& kv,
                                          const records::ErasureReceipt& receipt) {
  if (absl::Status s = ValidateTenantId(receipt.tenant()); !s.ok()) return s;
  if (!receipt.subject().empty()) {
    if (absl::Status s = ValidateSubjectId(receipt.subject()); !s.ok()) return s;
  }
  absl::StatusOr<std::string> known = kv.Get(storage::Table::kLedger, ErasureKey(receipt.erasure_id()));
  records::ErasureRecord erasure;
  if (known.ok()) {
    if (!erasure.ParseFromString(*known)) return absl::DataLossError("erasure record is corrupt");
    if (erasure.state() == "done") return false;
  } else if (!absl::IsNotFound(known.status())) {
    return known.status();
  }
  absl::Time requested, shredded;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, receipt.requested_at(), &requested, &error) ||
      !absl::ParseTime(absl::RFC3339_full, receipt.shredded_at(), &shredded, &error)) {
    return absl::InvalidArgumentError("receipt times are not RFC 3339");
  }
  erasure.set_erasure_id(receipt.erasure_id());
  erasure.set_tenant(receipt.tenant());
  erasure.set_subject(receipt.subject());
  erasure.set_state("done");
  erasure.set_requested_at_unix_ms(absl::ToUnixMillis(requested));
  *erasure.mutable_receipt() = receipt;
  constexpr std::string_view kRetention = "retention:";
  if (receipt.destroyed_key_id().rfind(kRetention, 0) == 0) {
    // A retention class expired: its key and retained fields go.
    std::string_view rest = std::string_view(receipt.destroyed_key_id()).substr(kRetention.size());
    const std::string cls(rest.substr(0, rest.find(':')));
    const std::string holder = RetentionHolder(receipt.subject(), cls);
    storage::WriteBatch batch;
    batch.Delete(storage::Table::kSubjectKeys, SubjectKey(receipt.tenant(), holder));
    if (absl::Status s = kv.ScanPrefix(storage::Table::kFields, SubjectPrefix(receipt.tenant(), holder),
                                       [&](std::string_view key, std::string_view) {
                                         batch.Delete(storage::Table::kFields, key);
                                         return true;
                                       });
        !s.ok()) {
      return s;
    }
    if (absl::StatusOr<std::string> stored =
            kv.Get(storage::Table::kLedger, RetainedKey(receipt.tenant(), receipt.subject(), cls));
        stored.ok()) {
      records::RetainedRecord retained;
      if (retained.ParseFromString(*stored)) {
        batch.Delete(storage::Table::kLedger,
                     RetentionDueKey(retained.expires_at_unix_ms(), receipt.tenant(),
                                     receipt.subject(), cls));
        retained.set_state("expired");
        retained.set_expiry_erasure_id(receipt.erasure_id());
        batch.Put(storage::Table::kLedger, RetainedKey(receipt.tenant(), receipt.subject(), cls),
                  retained.SerializeAsString());
      }
    }
    batch.Put(storage::Table::kLedger, ErasureKey(receipt.erasure_id()), erasure.SerializeAsString());
    if (absl::Status s = kv.Write(batch); !s.ok()) return s;
    return true;
  }
  *erasure.mutable_receipt() = receipt;
  if (receipt.subject().empty()) {
    if (absl::Status s = DeleteTenantRecords(kv, receipt.tenant()); !s.ok()) return s;
    storage::WriteBatch batch;
    batch.Put(storage::Table::kLedger, ErasureKey(receipt.erasure_id()), erasure.SerializeAsString());
    if (absl::Status s = kv.Write(batch); !s.ok()) return s;
    return true;
  }
  absl::StatusOr<std::string> shredded_before =
      kv.Get(storage::Table::kLedger, ShreddedKey(receipt.tenant(), receipt.subject()));
  if (shredded_before.ok()) return false;
  if (!absl::IsNotFound(shredded_before.status())) return shredded_before.status();
  std::string dek_id;
  if (absl::StatusOr<std::string> stored =
          kv.Get(storage::Table::kSubjectKeys, SubjectKey(receipt.tenant(), receipt.subject()));
      stored.ok()) {
    records::WrappedDek dek;
    if (dek.ParseFromString(*stored)) dek_id = dek.dek_id();
  }
  // A pending erasure of the subject in the copy (this one, or an earlier
  // request) leaves the scheduler's queue.
  storage::WriteBatch batch;
  if (absl::StatusOr<std::string> pending_id =
          kv.Get(storage::Table::kLedger, SubjectErasureKey(receipt.tenant(), receipt.subject()));
      pending_id.ok() && *pending_id != receipt.erasure_id()) {
    if (absl::StatusOr<std::string> other = kv.Get(storage::Table::kLedger, ErasureKey(*pending_id));
        other.ok()) {
      records::ErasureRecord earlier;
      if (earlier.ParseFromString(*other)) {
        batch.Delete(storage::Table::kLedger, PendingKey(earlier.due_at_unix_ms(), *pending_id));
        earlier.set_state("cancelled");
        batch.Put(storage::Table::kLedger, ErasureKey(*pending_id), earlier.SerializeAsString());
      }
    }
  }
  // Retained copies cannot be made offline (no keys): the subject's
  // retained fields go with it (see docs/threat-model.md).
  if (absl::Status s =
          AddSubjectShredDeletes(kv, receipt.tenant(), receipt.subject(), &batch, nullptr);
      !s.ok()) {
    return s;
  }
  AddShredLedgerWrites(erasure, absl::ToUnixMillis(shredded), dek_id, &batch);
  if (absl::Status s = kv.Write(batch); !s.ok()) return s;
  return true;
}

absl::Status SubjectLifecycle::CheckTenantAndSubject(std::string_view tenant,
                                                     std::string_view subject) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = ValidateSubjectId(subject); !s.ok()) return s;
  if (options_.keys->sealed()) return SealedError();
  return options_.keys->GetTenant(tenant).status();
}

absl::StatusOr<bool> SubjectLifecycle::HasHold(std::string_view tenant, std::string_view subject) {
  bool any = false;
  absl::Status s = options_.kv->ScanPrefix(storage::Table::kLedger, HoldPrefix(tenant, subject),
                                           [&](std::string_view, std::string_view) {
                                             any = true;
                                             return false;
                                           });
  if (!s.ok()) return s;
  return any;
}

absl::StatusOr<records::HoldRecord> SubjectLifecycle::PutHold(std::string_view tenant,
                                                              std::string_view subject,
                                                              std::string_view hold_id,
                                                              std::string_view reason,
                                                              const std::vector<AuditEvent>& audit) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
  if (absl::Status s = ValidateHoldId(hold_id); !s.ok()) return s;
  if (reason.size() > 1024) return absl::InvalidArgumentError("reason is too long");
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (IsGone(dek.status())) {
    // An erased subject can still be held while fields of it are retained
    // (the hold then keeps them past their class's expiry).
    absl::StatusOr<std::vector<records::RetainedRecord>> retained = ListRetained(tenant, subject);
    if (!retained.ok()) return retained.status();
    bool any = false;
    for (const records::RetainedRecord& r : *retained) any = any || r.state() == "retained";
    if (any) dek = DataKeyHandle();
  }
  if (!dek.ok()) return dek.status();  // unknown: NOT_FOUND; erased: GONE
  records::HoldRecord hold;
  hold.set_hold_id(std::string(hold_id));
  hold.set_reason(std::string(reason));
  hold.set_created_at_unix_ms(absl::ToUnixMillis(options_.clock->Now()));
  hold.set_principal(audit.empty() ? "" : audit.front().principal);
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, HoldKey(tenant, subject, hold_id), hold.SerializeAsString());
  if (absl::Status s = options_.committer->Commit(batch, &audit); !s.ok()) return s;
  return hold;
}

absl::Status SubjectLifecycle::ReleaseHold(std::string_view tenant, std::string_view subject,
                                           std::string_view hold_id,
                                           const std::vector<AuditEvent>& audit) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
  if (absl::Status s = ValidateHoldId(hold_id); !s.ok()) return s;
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  absl::StatusOr<std::string> existing =
      options_.kv->Get(storage::Table::kLedger, HoldKey(tenant, subject, hold_id));
  if (!existing.ok()) {
    if (absl::IsNotFound(existing.status())) return absl::NotFoundError("unknown hold");
    return existing.status();
  }
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kLedger, HoldKey(tenant, subject, hold_id));
  return options_.committer->Commit(batch, &audit);
}

absl::StatusOr<std::vector<records::HoldRecord>> SubjectLifecycle::ListHolds(
    std::string_view tenant, std::string_view subject) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
  std::vector<records::HoldRecord> out;
  absl::Status s = options_.kv->ScanPrefix(
      storage::Table::kLedger, HoldPrefix(tenant, subject),
      [&](std::string_view, std::string_view value) {
        records::HoldRecord h;
        if (h.ParseFromArray(value.data(), static_cast<int>(value.size()))) out.push_back(h);
        return true;
      });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::RequestErasure(
    std::string_view tenant, std::string_view subject, absl::Duration grace,
    std::string_view principal, const std::vector<AuditEvent>& audit) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
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
  erasure.set_erasure_id(Cat("er_", crypto::HexEncode(options_.random->Bytes(10))));
  erasure.set_tenant(std::string(tenant));
  erasure.set_subject(std::string(subject));
  erasure.set_requested_at_unix_ms(absl::ToUnixMillis(now));
  erasure.set_due_at_unix_ms(absl::ToUnixMillis(now + grace));
  erasure.set_principal(std::string(principal));
  if (grace == absl::ZeroDuration()) return ShredLocked(std::move(erasure), audit);

  erasure.set_state("pending");
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, ErasureKey(erasure.erasure_id()), erasure.SerializeAsString());
  batch.Put(storage::Table::kLedger, PendingKey(erasure.due_at_unix_ms(), erasure.erasure_id()), "");
  batch.Put(storage::Table::kLedger, SubjectErasureKey(tenant, subject), erasure.erasure_id());
  if (absl::Status s = options_.committer->Commit(batch, &audit); !s.ok()) return s;
  return erasure;
}

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::CancelErasure(
    std::string_view tenant, std::string_view subject, const std::vector<AuditEvent>& audit) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
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
  if (absl::Status s = options_.committer->Commit(batch, &audit); !s.ok()) return s;
  return erasure;
}

absl::StatusOr<records::ErasureRecord> SubjectLifecycle::GetErasure(std::string_view tenant,
                                                                    std::string_view erasure_id) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
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
  if (absl::Status s = AddSubjectShredDeletes(*options_.kv, tenant, subject, &batch, &retained);
      !s.ok()) {
    return s;
  }
  // Fields under a retention class move to a retention key of their own,
  // in the same batch; everything else dies with the DEK.
  if (!retained.empty()) {
    if (absl::Status s = AddRetainedCopies(erasure, **dek, retained, now_ms, &batch); !s.ok()) {
      return s;
    }
  }

  records::ErasureReceipt* receipt = erasure.mutable_receipt();
  receipt->set_erasure_id(erasure.erasure_id());
  receipt->set_tenant(tenant);
  receipt->set_subject(subject);
  receipt->set_requested_at(Rfc3339Ms(erasure.requested_at_unix_ms()));
  receipt->set_shredded_at(Rfc3339Ms(now_ms));
  receipt->set_destroyed_key_id(Cat("dek:", crypto::HexEncode((*dek)->dek_id)));
  absl::StatusOr<std::string> signature = options_.keys->Sign(ReceiptMessage(*receipt));
  if (!signature.ok()) return signature.status();
  receipt->set_signature(*signature);
  absl::StatusOr<std::string> public_key = options_.keys->SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  receipt->set_public_key(*public_key);
  erasure.set_state("done");

  AddShredLedgerWrites(erasure, now_ms, (*dek)->dek_id, &batch);
  options_.subject_keys->Evict(tenant, subject);
  absl::Status committed = options_.committer->Commit(batch, &audit);
  options_.subject_keys->Evict(tenant, subject);  // whatever happened, drop it from memory
  if (!committed.ok()) return committed;

  // The deletions reach the table files at the next CompactShredded (the
  // scheduler runs it within seconds); compacting here would cost every
  // erasure a rewrite of the tables.
  compaction_pending_ = true;
  return erasure;
}

absl::Status SubjectLifecycle::CompactShredded() {
  if (!compaction_pending_.exchange(false)) return absl::OkStatus();
  absl::Status s = options_.kv->Flush();
  for (storage::Table table : {storage::Table::kSubjectKeys, storage::Table::kFields,
                               storage::Table::kBlindIndex}) {
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
  absl::Status s = options_.kv->ScanRange(
      storage::Table::kLedger, start, Cat(start, EncodeU64(static_cast<uint64_t>(now_ms) + 1)),
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
    std::unique_lock<std::mutex> lock =
        options_.locks->Lock(erasure.tenant(), erasure.subject());
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
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (options_.keys->sealed()) return SealedError();
  if (absl::Status s = options_.keys->GetTenant(tenant).status(); !s.ok()) return s;
  // The entry first (the keyring lives outside the store).
  if (absl::Status s = options_.committer->Commit(storage::WriteBatch(), &audit); !s.ok()) {
    return s;
  }
  const absl::Time now = options_.clock->Now();
  absl::StatusOr<std::vector<uint32_t>> destroyed = options_.keys->EraseTenant(tenant);
  if (!destroyed.ok()) return destroyed.status();
  options_.subject_keys->EvictAll();

  // Everything under the tenant's prefix is now ciphertext under keys that
  // exist nowhere; delete it anyway and compact it out of the live files.
  if (absl::Status s = DeleteTenantRecords(*options_.kv, tenant); !s.ok()) return s;

  records::ErasureReceipt receipt;
  receipt.set_erasure_id(Cat("er_", crypto::HexEncode(options_.random->Bytes(10))));
  receipt.set_tenant(std::string(tenant));
  receipt.set_requested_at(Rfc3339Ms(absl::ToUnixMillis(now)));
  receipt.set_shredded_at(Rfc3339Ms(absl::ToUnixMillis(options_.clock->Now())));
  std::string versions;
  for (uint32_t v : *destroyed) versions += Cat(versions.empty() ? "" : ",", "v", v);
  receipt.set_destroyed_key_id(Cat("tenant-kek:", versions));
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
  if (absl::Status s = options_.kv->Write(batch); !s.ok()) return s;
  return receipt;
}

absl::StatusOr<uint64_t> SubjectLifecycle::CloseEpoch(std::string_view tenant) {
  EpochControl control;
  return CloseEpoch(tenant, control);
}

absl::StatusOr<uint64_t> SubjectLifecycle::CloseEpoch(std::string_view tenant,
                                                      EpochControl& control) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (control.chunk_size == 0) return absl::InvalidArgumentError("chunk size must be positive");
  std::lock_guard<std::mutex> epoch(epoch_mu_);
  if (control.target_version == 0) {
    absl::StatusOr<uint32_t> rotated = options_.keys->RotateKek(tenant);
    if (!rotated.ok()) return rotated.status();
    control.target_version = *rotated;
    if (control.on_rotated) {
      if (absl::Status s = control.on_rotated(*rotated); !s.ok()) return s;
    }
  }
  // Resuming: the job rotated before it was interrupted; everything moves
  // to the version active now (the job's, or a newer one).
  absl::StatusOr<ActiveKek> active = options_.keys->GetActiveKek(tenant);
  if (!active.ok()) return active.status();
  uint64_t done = control.done_before;

  uint64_t rewrapped = 0;
  std::vector<std::pair<std::string, records::WrappedDek>> chunk;
  auto flush_chunk = [&]() -> absl::Status {
    if (chunk.empty()) return absl::OkStatus();
    std::vector<std::string> subjects;
    for (const auto& [subject, record] : chunk) subjects.push_back(subject);
    std::vector<std::unique_lock<std::mutex>> locks = options_.locks->LockMany(tenant, subjects);
    storage::WriteBatch batch;
    for (auto& [subject, record] : chunk) {
      // Re-read under the lock: a shred may have removed it meanwhile.
      absl::StatusOr<std::string> current =
          options_.kv->Get(storage::Table::kSubjectKeys, SubjectKey(tenant, subject));
      if (!current.ok()) continue;
      records::WrappedDek now;
      if (!now.ParseFromString(*current)) return absl::DataLossError("subject key record is corrupt");
      if (now.kek_version() == active->version) continue;
      absl::StatusOr<KeyCache::Key> old_kek = options_.keys->GetKek(tenant, now.kek_version());
      if (!old_kek.ok()) return old_kek.status();
      const std::string old_ad = AssociatedData(
          "dek", {tenant, subject, now.dek_id(), EncodeU32(now.kek_version())});
      absl::StatusOr<crypto::SecretBytes> dek =
          crypto::XChaCha20Poly1305::DecryptSecret(**old_kek, now.ciphertext(), old_ad);
      if (!dek.ok()) return absl::DataLossError("subject key failed authentication");
      absl::StatusOr<std::string> wrapped = crypto::XChaCha20Poly1305::EncryptSecret(
          *active->key, *dek,
          AssociatedData("dek", {tenant, subject, now.dek_id(), EncodeU32(active->version)}),
          *options_.random);
      if (!wrapped.ok()) return wrapped.status();
      now.set_kek_version(active->version);
      now.set_ciphertext(*wrapped);
      batch.Put(storage::Table::kSubjectKeys, SubjectKey(tenant, subject), now.SerializeAsString());
      ++rewrapped;
    }
    done += chunk.size();
    chunk.clear();
    if (control.on_chunk) control.on_chunk(done, &batch);
    if (absl::Status s = options_.kv->Write(batch); !s.ok()) return s;
    if (control.between_chunks) return control.between_chunks();
    return absl::OkStatus();
  };

  // Collect in chunks (the scan itself holds no lock).
  std::vector<std::pair<std::string, records::WrappedDek>> all;
  const std::string prefix = TenantPrefix(tenant);
  absl::Status scanned = options_.kv->ScanPrefix(
      storage::Table::kSubjectKeys, prefix, [&](std::string_view key, std::string_view value) {
        records::WrappedDek record;
        if (record.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
            record.kek_version() != active->version) {
          all.emplace_back(std::string(key.substr(prefix.size())), std::move(record));
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  if (control.on_total) control.on_total(done + all.size());
  for (auto& entry : all) {
    chunk.push_back(std::move(entry));
    if (chunk.size() == control.chunk_size) {
      if (absl::Status s = flush_chunk(); !s.ok()) return s;
    }
  }
  if (absl::Status s = flush_chunk(); !s.ok()) return s;

  // Every DEK must be under the active version before anything is destroyed;
  // with every subject stripe held, no new DEK can be committed meanwhile.
  std::vector<std::unique_lock<std::mutex>> all_subjects = options_.locks->LockAll();
  bool stragglers = false;
  scanned = options_.kv->ScanPrefix(storage::Table::kSubjectKeys, prefix,
                                    [&](std::string_view, std::string_view value) {
                                      records::WrappedDek record;
                                      if (record.ParseFromArray(value.data(),
                                                                static_cast<int>(value.size())) &&
                                          record.kek_version() != active->version) {
                                        stragglers = true;
                                        return false;
                                      }
                                      return true;
                                    });
  if (!scanned.ok()) return scanned;
  if (stragglers) return absl::AbortedError("keys changed during the epoch; run it again");
  if (absl::Status s = options_.kv->Flush(); !s.ok()) return s;
  absl::StatusOr<std::vector<KekInfo>> keks = options_.keys->ListKeks(tenant);
  if (!keks.ok()) return keks.status();
  std::vector<uint32_t> older;
  for (const KekInfo& k : *keks) {
    if (k.version < active->version && k.state != records::KekVersion::DESTROYED) {
      older.push_back(k.version);
    }
  }
  if (absl::Status s = options_.keys->DestroyKekVersions(tenant, older).status(); !s.ok()) return s;
  return rewrapped;
}

absl::StatusOr<uint32_t> SubjectLifecycle::RotateKey(std::string_view tenant) {
  std::lock_guard<std::mutex> epoch(epoch_mu_);
  return options_.keys->RotateKek(tenant);
}

}  // namespace vault
