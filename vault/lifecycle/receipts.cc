// Erasure records and receipts: the receipt message and its check, the
// deletions and ledger records of a shred, a tenant's record deletion, and
// the offline replay of a receipt into a restored copy.
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/signing.h"
#include "vault/lifecycle/internal/epoch_markers.h"
#include "vault/lifecycle/internal/shred_steps.h"
#include "vault/lifecycle/lifecycle.h"
#include "vault/model/record_keys.h"
#include "vault/tokens/token_table.h"

namespace vault {
namespace lifecycle_internal {

std::string NewErasureId(crypto::RandomSource& random) {
  return Cat("er_", crypto::HexEncode(random.Bytes(10)));
}

absl::Status AddHolderDeletes(storage::KvStore& kv, std::string_view tenant,
                              std::string_view holder, storage::WriteBatch* batch) {
  batch->Delete(storage::Table::kSubjectKeys, SubjectKey(tenant, holder));
  return kv.ScanPrefix(storage::Table::kFields, SubjectPrefix(tenant, holder),
                       [&](std::string_view key, std::string_view) {
                         batch->Delete(storage::Table::kFields, key);
                         return true;
                       });
}

}  // namespace lifecycle_internal

namespace {

// Deletes every row of `table` under `prefix` in one write.
absl::Status DeleteRows(storage::KvStore& kv, storage::Table table, std::string_view prefix) {
  storage::WriteBatch batch;
  absl::Status s = kv.ScanPrefix(table, prefix, [&](std::string_view key, std::string_view) {
    batch.Delete(table, key);
    return true;
  });
  if (!s.ok()) return s;
  if (batch.empty()) return absl::OkStatus();
  return kv.Write(batch);
}

// A retention class expired: its key and retained fields go, and the
// retained record says so.
absl::StatusOr<bool> ReplayRetentionExpiry(storage::KvStore& kv,
                                           const records::ErasureReceipt& receipt,
                                           const records::ErasureRecord& erasure,
                                           int64_t shredded_at_ms) {
  constexpr std::string_view kRetention = "retention:";
  std::string_view rest = std::string_view(receipt.destroyed_key_id()).substr(kRetention.size());
  const std::string cls(rest.substr(0, rest.find(':')));
  const std::string holder = RetentionHolder(receipt.subject(), cls);
  storage::WriteBatch batch;
  RETURN_IF_ERROR(lifecycle_internal::AddHolderDeletes(kv, receipt.tenant(), holder, &batch));
  const std::string retained_key = RetainedKey(receipt.tenant(), receipt.subject(), cls);
  if (absl::StatusOr<std::string> stored = kv.Get(storage::Table::kLedger, retained_key);
      stored.ok()) {
    records::RetainedRecord retained;
    if (retained.ParseFromString(*stored)) {
      batch.Delete(
          storage::Table::kLedger,
          RetentionDueKey(retained.expires_at_unix_ms(), receipt.tenant(), receipt.subject(), cls));
      retained.set_state("expired");
      retained.set_expiry_erasure_id(receipt.erasure_id());
      batch.Put(storage::Table::kLedger, retained_key, retained.SerializeAsString());
    }
  }
  batch.Put(storage::Table::kLedger, ErasureKey(receipt.erasure_id()), erasure.SerializeAsString());
  lifecycle_internal::AddEpochDueMarker(receipt.tenant(), receipt.erasure_id(), shredded_at_ms,
                                        &batch);
  RETURN_IF_ERROR(kv.Write(batch));
  return true;
}

absl::StatusOr<bool> ReplayTenantErasure(storage::KvStore& kv,
                                         const records::ErasureReceipt& receipt,
                                         const records::ErasureRecord& erasure) {
  RETURN_IF_ERROR(DeleteTenantRecords(kv, receipt.tenant()));
  storage::WriteBatch batch;
  batch.Put(storage::Table::kLedger, ErasureKey(receipt.erasure_id()), erasure.SerializeAsString());
  RETURN_IF_ERROR(kv.Write(batch));
  return true;
}

// A pending erasure of the subject in the copy (an earlier request than the
// receipt's) leaves the scheduler's queue, cancelled.
void AddEarlierPendingCancel(storage::KvStore& kv, const records::ErasureReceipt& receipt,
                             storage::WriteBatch* batch) {
  absl::StatusOr<std::string> pending_id =
      kv.Get(storage::Table::kLedger, SubjectErasureKey(receipt.tenant(), receipt.subject()));
  if (!pending_id.ok() || *pending_id == receipt.erasure_id()) return;
  absl::StatusOr<std::string> other = kv.Get(storage::Table::kLedger, ErasureKey(*pending_id));
  if (!other.ok()) return;
  records::ErasureRecord earlier;
  if (!earlier.ParseFromString(*other)) return;
  batch->Delete(storage::Table::kLedger, PendingKey(earlier.due_at_unix_ms(), *pending_id));
  earlier.set_state("cancelled");
  batch->Put(storage::Table::kLedger, ErasureKey(*pending_id), earlier.SerializeAsString());
}

absl::StatusOr<bool> ReplaySubjectErasure(storage::KvStore& kv,
                                          const records::ErasureReceipt& receipt,
                                          const records::ErasureRecord& erasure,
                                          int64_t shredded_at_ms) {
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
  storage::WriteBatch batch;
  AddEarlierPendingCancel(kv, receipt, &batch);
  // Retained copies cannot be made offline (no keys): the subject's
  // retained fields go with it (see docs/threat-model.md).
  if (absl::Status s =
          AddSubjectShredDeletes(kv, receipt.tenant(), receipt.subject(), &batch, nullptr);
      !s.ok()) {
    return s;
  }
  AddShredLedgerWrites(erasure, shredded_at_ms, dek_id, &batch);
  RETURN_IF_ERROR(kv.Write(batch));
  return true;
}

}  // namespace

std::string ReceiptMessage(const records::ErasureReceipt& r) {
  return Cat("vaultd-erasure-receipt-v1\n", r.erasure_id(), "\n", r.tenant(), "\n", r.subject(),
             "\n", r.requested_at(), "\n", r.shredded_at(), "\n", r.destroyed_key_id());
}

std::string ReceiptFinalMessage(const records::ErasureReceipt& r) {
  return Cat("vaultd-erasure-final-v1\n", r.erasure_id(), "\n", crypto::Base64Encode(r.signature()),
             "\n", r.final_at(), "\n", r.backups_unreadable_by());
}

absl::Status AddFinalAt(const KeyHierarchy& keys, records::ErasureReceipt* receipt) {
  if (!keys.token_root() || receipt->shredded_at().empty()) return absl::OkStatus();
  absl::Time shredded;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, receipt->shredded_at(), &shredded, &error)) {
    return absl::DataLossError("receipt has a malformed shredded_at");
  }
  std::optional<absl::Time> epoch = keys.FinalAt(receipt->tenant(), shredded);
  if (epoch.has_value()) receipt->set_final_at(Rfc3339Ms(absl::ToUnixMillis(*epoch)));
  std::optional<absl::Time> backups = keys.BackupsUnreadableBy(shredded, epoch);
  if (backups.has_value()) {
    receipt->set_backups_unreadable_by(Rfc3339Ms(absl::ToUnixMillis(*backups)));
  }
  ASSIGN_OR_RETURN(std::string signature, keys.Sign(ReceiptFinalMessage(*receipt)));
  receipt->set_final_signature(std::move(signature));
  return absl::OkStatus();
}

// Residency (#17 item 5): an unsigned annotation next to the signed lines.
void AddResidency(const KeyHierarchy& keys, records::ErasureReceipt* receipt) {
  absl::StatusOr<std::string> residency = keys.Residency(receipt->tenant());
  if (residency.ok()) receipt->set_residency(*residency);
}

absl::Status VerifyReceipt(const records::ErasureReceipt& receipt, std::string_view public_key) {
  RETURN_IF_ERROR(
      crypto::VerifySignature(public_key, ReceiptMessage(receipt), receipt.signature()));
  if (receipt.final_at().empty() && receipt.backups_unreadable_by().empty() &&
      receipt.final_signature().empty()) {
    return absl::OkStatus();
  }
  return crypto::VerifySignature(public_key, ReceiptFinalMessage(receipt),
                                 receipt.final_signature());
}

absl::Status AddSubjectShredDeletes(storage::KvStore& kv, std::string_view tenant,
                                    std::string_view subject, storage::WriteBatch* batch,
                                    std::vector<RetainedRow>* retained) {
  batch->Delete(storage::Table::kSubjectKeys, SubjectKey(tenant, subject));
  // The audit key goes with the data key: from then on no entry links to
  // the subject id (subject_pseudonyms.h).
  batch->Delete(storage::Table::kSubjectKeys, SubjectKey(tenant, AuditKeyHolder(subject)));
  // The consent rows (ciphertext under the DEK, but their keys name the
  // subject) go too.
  RETURN_IF_ERROR(kv.ScanPrefix(storage::Table::kLedger, ConsentPrefix(tenant, subject),
                                [&](std::string_view key, std::string_view) {
                                  batch->Delete(storage::Table::kLedger, key);
                                  return true;
                                }));
  const std::string prefix = SubjectPrefix(tenant, subject);
  return kv.ScanPrefix(
      storage::Table::kFields, prefix, [&](std::string_view key, std::string_view value) {
        batch->Delete(storage::Table::kFields, key);
        records::FieldRecord field;
        if (!field.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
        if (!field.retention().empty() && retained != nullptr) {
          retained->push_back(
              {std::string(key.substr(prefix.size())), field.retention(), std::string(value)});
        }
        if (!field.blind_index().empty()) {
          batch->Delete(
              storage::Table::kBlindIndex,
              BlindIndexKey(tenant, field.blind_index(), subject, key.substr(prefix.size())));
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
  batch->Put(storage::Table::kLedger, ErasureKey(erasure.erasure_id()),
             erasure.SerializeAsString());
  batch->Delete(storage::Table::kLedger,
                PendingKey(erasure.due_at_unix_ms(), erasure.erasure_id()));
  batch->Delete(storage::Table::kLedger, SubjectErasureKey(erasure.tenant(), erasure.subject()));
  // The next shred epoch of the tenant makes this erasure final.
  lifecycle_internal::AddEpochDueMarker(erasure.tenant(), erasure.erasure_id(), shredded_at_ms,
                                        batch);
}

absl::Status DeleteTenantRecords(storage::KvStore& kv, std::string_view tenant) {
  const std::string prefix = TenantPrefix(tenant);
  TokenTable tokens(&kv);  // the token table's rows go through its owner
  RETURN_IF_ERROR(DeleteRows(kv, storage::Table::kSubjectKeys, prefix));
  RETURN_IF_ERROR(DeleteRows(kv, storage::Table::kFields, prefix));
  RETURN_IF_ERROR(tokens.DeleteTenant(tenant));
  RETURN_IF_ERROR(DeleteRows(kv, storage::Table::kBlindIndex, prefix));
  RETURN_IF_ERROR(DeleteRows(kv, storage::Table::kLedger, ConsentTenantPrefix(tenant)));
  RETURN_IF_ERROR(kv.Flush());
  const std::string end = storage::PrefixSuccessor(prefix);
  RETURN_IF_ERROR(kv.CompactRange(storage::Table::kSubjectKeys, prefix, end));
  RETURN_IF_ERROR(kv.CompactRange(storage::Table::kFields, prefix, end));
  RETURN_IF_ERROR(tokens.CompactTenant(tenant));
  return kv.CompactRange(storage::Table::kBlindIndex, prefix, end);
}

absl::StatusOr<std::vector<records::ErasureRecord>> ListDoneErasures(storage::KvStore& kv) {
  std::vector<records::ErasureRecord> out;
  const std::string prefix = ErasureKey("");
  absl::Status corrupt;
  absl::Status s =
      kv.ScanPrefix(storage::Table::kLedger, prefix, [&](std::string_view, std::string_view value) {
        records::ErasureRecord e;
        if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
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
  RETURN_IF_ERROR(ValidateTenantId(receipt.tenant()));
  if (!receipt.subject().empty()) {
    RETURN_IF_ERROR(ValidateSubjectId(receipt.subject()));
  }
  absl::StatusOr<std::string> known =
      kv.Get(storage::Table::kLedger, ErasureKey(receipt.erasure_id()));
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
  if (receipt.destroyed_key_id().rfind("retention:", 0) == 0) {
    return ReplayRetentionExpiry(kv, receipt, erasure, absl::ToUnixMillis(shredded));
  }
  if (receipt.subject().empty()) return ReplayTenantErasure(kv, receipt, erasure);
  return ReplaySubjectErasure(kv, receipt, erasure, absl::ToUnixMillis(shredded));
}

}  // namespace vault
