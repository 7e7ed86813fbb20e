// SubjectStore implementation.
#include "vault/subjects/subject_store.h"

#include <optional>
#include <set>

#include "absl/time/civil_time.h"
#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/aead.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"
#include "vault/tokens/token_codec.h"
#include "vault/tokens/token_table.h"

namespace vault {
std::string FieldAd(std::string_view tenant, std::string_view subject, std::string_view field,
                    std::string_view type, std::string_view dek_id, std::string_view retention) {
  return AssociatedData("field", {tenant, subject, field, type, dek_id, retention});
}

namespace {

absl::Status ValidateRetention(std::string_view retention) {
  if (retention.size() > 32) return absl::InvalidArgumentError("retention class is too long");
  for (char c : retention) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return absl::InvalidArgumentError("retention class must be of a-z 0-9 _");
    }
  }
  return absl::OkStatus();
}

absl::Status Prefixed(std::string_view where, const absl::Status& s) {
  return absl::Status(s.code(), Cat(where, ": ", s.message()));
}

ValidationContext ContextAt(const Clock& clock) {
  return ValidationContext{absl::ToCivilDay(clock.Now(), absl::UTCTimeZone())};
}

// A validated, normalised field.
struct PreparedField {
  const std::string* name;
  DataType type;
  std::string normalized;
  const std::string* retention;
};

absl::StatusOr<std::vector<PreparedField>> PrepareFields(
    const std::map<std::string, FieldInput>& fields, const ValidationContext& ctx) {
  std::vector<PreparedField> prepared;
  for (const auto& [name, input] : fields) {
    std::string where = Cat("fields.", name);
    if (absl::Status s = ValidateFieldName(name); !s.ok()) return Prefixed("fields", s);
    absl::StatusOr<DataType> type = ParseDataType(input.type);
    if (!type.ok()) return Prefixed(where, type.status());
    if (absl::Status s = ValidateRetention(input.retention); !s.ok()) return Prefixed(where, s);
    absl::StatusOr<std::string> normalized = Normalize(*type, input.value, ctx);
    if (!normalized.ok()) return Prefixed(where, normalized.status());
    prepared.push_back({&name, *type, std::move(*normalized), &input.retention});
  }
  return prepared;
}

// One field being written: where, what, under which key, when.
struct FieldWrite {
  std::string_view tenant;
  std::string_view subject;
  const PreparedField& field;
  const DataKey& dek;
  int64_t now_ms;
  crypto::RandomSource& random;
};

// The field tokens of the fields being written and their fingerprints.
struct FieldTokens {
  std::vector<std::string> tokens;
  std::vector<std::string> fingerprints;
};

absl::StatusOr<FieldTokens> FieldTokensOf(const crypto::SecretBytes& token_key,
                                          std::string_view subject, std::string_view dek_id,
                                          const std::vector<PreparedField>& prepared) {
  FieldTokens out;
  for (const PreparedField& p : prepared) {
    absl::StatusOr<std::string> token = FieldToken(token_key, subject, *p.name, dek_id);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::string> fingerprint = TokenFingerprint(token_key, *token);
    if (!fingerprint.ok()) return fingerprint.status();
    out.tokens.push_back(std::move(*token));
    out.fingerprints.push_back(std::move(*fingerprint));
  }
  return out;
}

// The stored rows the write replaces (nullopt when new) and what they are;
// FAILED_PRECONDITION when one under a retention class would change type.
absl::Status ReadReplaced(storage::KvStore& kv, std::string_view tenant, std::string_view subject,
                          const std::vector<PreparedField>& prepared,
                          std::vector<std::optional<records::FieldRecord>>* previous,
                          std::vector<StoredField>* replaced) {
  std::vector<std::string> field_keys;
  for (const PreparedField& p : prepared) field_keys.push_back(FieldKey(tenant, subject, *p.name));
  std::vector<absl::StatusOr<std::string>> old = kv.MultiGet(storage::Table::kFields, field_keys);
  for (size_t i = 0; i < prepared.size(); ++i) {
    previous->emplace_back();
    if (!old[i].ok()) {
      if (absl::IsNotFound(old[i].status())) continue;
      return old[i].status();
    }
    records::FieldRecord& record = previous->back().emplace();
    if (!record.ParseFromString(*old[i])) return absl::DataLossError("field record is corrupt");
    absl::StatusOr<DataType> previous_type = ParseDataType(record.type());
    if (!previous_type.ok()) return absl::DataLossError("field record has an unknown type");
    if (!record.retention().empty() && *previous_type != prepared[i].type) {
      return absl::FailedPreconditionError(Cat("fields.", *prepared[i].name,
                                               ": a field under a retention class cannot change "
                                               "its type"));
    }
    replaced->push_back({*prepared[i].name, *previous_type, record.retention()});
  }
  return absl::OkStatus();
}

// Seals the field and stages its row and blind-index entry (dropping the
// replaced field's entry).
absl::Status StageField(const FieldWrite& w, const crypto::SecretBytes& index_key,
                        const std::optional<records::FieldRecord>& previous,
                        storage::WriteBatch* batch) {
  const PreparedField& p = w.field;
  // The replaced field's blind-index entry goes in the same batch.
  if (previous.has_value() && !previous->blind_index().empty()) {
    batch->Delete(storage::Table::kBlindIndex,
                  BlindIndexKey(w.tenant, previous->blind_index(), w.subject, *p.name));
  }
  const std::string type_name(DataTypeName(p.type));
  absl::StatusOr<std::string> ciphertext = crypto::XChaCha20Poly1305::Encrypt(
      w.dek.key, p.normalized,
      FieldAd(w.tenant, w.subject, *p.name, type_name, w.dek.dek_id, *p.retention), w.random);
  if (!ciphertext.ok()) return ciphertext.status();
  absl::StatusOr<std::string> index_hash = BlindIndexHash(index_key, p.type, p.normalized);
  if (!index_hash.ok()) return index_hash.status();
  records::FieldRecord record;
  record.set_type(type_name);
  record.set_dek_id(w.dek.dek_id);
  record.set_ciphertext(std::move(*ciphertext));
  record.set_retention(*p.retention);
  record.set_updated_at_unix_ms(w.now_ms);
  record.set_blind_index(*index_hash);
  batch->Put(storage::Table::kFields, FieldKey(w.tenant, w.subject, *p.name),
             record.SerializeAsString());
  batch->Put(storage::Table::kBlindIndex, BlindIndexKey(w.tenant, *index_hash, w.subject, *p.name),
             "");
  return absl::OkStatus();
}

// Stages the field's token record (through the token table).
absl::Status StageFieldToken(const FieldWrite& w, std::string_view fingerprint,
                             storage::WriteBatch* batch) {
  TokenClaims claims;
  claims.tenant = w.tenant;
  claims.fingerprint = fingerprint;
  claims.subject = w.subject;
  claims.type = DataTypeName(w.field.type);
  claims.format = TokenFormatName(TokenFormat::kField);
  claims.field = *w.field.name;
  // An empty plaintext: the tag authenticates what the record claims.
  return TokenTable::StagePut(claims, TokenSealKey{w.dek.key, w.dek.dek_id}, "", w.now_ms, w.random,
                              batch);
}

}  // namespace

absl::Status SubjectStore::CheckTenantAndSubject(std::string_view tenant,
                                                 std::string_view subject) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  RETURN_IF_ERROR(ValidateSubjectId(subject));
  if (options_.keys->sealed()) return SealedError();
  return options_.keys->GetTenant(tenant).status();
}

absl::StatusOr<std::map<std::string, std::string>> SubjectStore::PutFields(
    std::string_view tenant, std::string_view subject,
    const std::map<std::string, FieldInput>& fields, const std::vector<AuditEvent>* audit,
    const ReplaceCheck& check) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  if (fields.empty()) return absl::InvalidArgumentError("fields: at least one field is required");
  // Validate everything before touching storage.
  absl::StatusOr<std::vector<PreparedField>> prepared =
      PrepareFields(fields, ContextAt(*options_.clock));
  if (!prepared.ok()) return prepared.status();
  absl::StatusOr<KeyCache::Key> token_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kToken);
  if (!token_key.ok()) return token_key.status();
  absl::StatusOr<KeyCache::Key> index_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kBlindIndex);
  if (!index_key.ok()) return index_key.status();

  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  storage::WriteBatch batch;
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->GetOrCreate(tenant, subject, &batch);
  if (!dek.ok()) return dek.status();

  // What this write replaces, checked under the lock before anything is
  // written: a field under a retention class keeps its type, and the
  // caller's check (authorization on the stored type, holds) comes next.
  std::vector<std::optional<records::FieldRecord>> previous;
  std::vector<StoredField> replaced;
  RETURN_IF_ERROR(ReadReplaced(*options_.kv, tenant, subject, *prepared, &previous, &replaced));
  if (check) {
    RETURN_IF_ERROR(check(replaced));
  }
  // Field token records: a revoked one stays revoked (a tombstone).
  absl::StatusOr<FieldTokens> tokens =
      FieldTokensOf(**token_key, subject, (*dek)->dek_id, *prepared);
  if (!tokens.ok()) return tokens.status();
  absl::StatusOr<std::vector<bool>> revoked =
      TokenTable(options_.kv).Revoked(tenant, tokens->fingerprints);
  if (!revoked.ok()) return revoked.status();
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < prepared->size(); ++i) {
    const PreparedField& p = (*prepared)[i];
    const FieldWrite write{tenant, subject, p, **dek, now_ms, *options_.random};
    RETURN_IF_ERROR(StageField(write, **index_key, previous[i], &batch));
    if (!(*revoked)[i]) {
      RETURN_IF_ERROR(StageFieldToken(write, tokens->fingerprints[i], &batch));
    }
    out.emplace(*p.name, std::move(tokens->tokens[i]));
  }
  RETURN_IF_ERROR(options_.committer->Commit(batch, audit));
  return out;
}

absl::StatusOr<RevealedField> SubjectStore::Open(std::string_view tenant, std::string_view subject,
                                                 std::string_view field, std::string_view stored,
                                                 const DataKey& dek, RevealLevel reveal) {
  records::FieldRecord record;
  if (!record.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError("field record is corrupt");
  }
  absl::StatusOr<DataType> type = ParseDataType(record.type());
  if (!type.ok()) return absl::DataLossError("field record has an unknown type");
  // The AD uses the DEK's own id, not the record's: a row written under
  // another key (another subject, an older incarnation) cannot authenticate.
  absl::StatusOr<std::string> plain = crypto::XChaCha20Poly1305::Decrypt(
      dek.key, record.ciphertext(),
      FieldAd(tenant, subject, field, record.type(), dek.dek_id, record.retention()));
  if (!plain.ok()) return absl::DataLossError("field failed authentication");
  RevealedField out{*type, "", reveal, record.retention()};
  if (reveal == RevealLevel::kTokenOnly) {
    return absl::InvalidArgumentError("reveal token_only is answered by the token service");
  }
  KeyCache::Key hash_key;
  if (reveal == RevealLevel::kHashed) {
    absl::StatusOr<KeyCache::Key> key = options_.keys->GetTenantSubkey(tenant, TenantSubkey::kHash);
    if (!key.ok()) return key.status();
    hash_key = std::move(*key);
  }
  absl::StatusOr<std::string> revealed = RevealValue(*type, *plain, reveal, hash_key.get());
  crypto::SecureWipe(*plain);
  if (!revealed.ok()) return revealed.status();
  out.value = std::move(*revealed);
  return out;
}

absl::StatusOr<std::map<std::string, RevealedField>> SubjectStore::ReadFields(
    std::string_view tenant, std::string_view subject, const std::vector<std::string>& names,
    RevealLevel reveal, const std::function<bool(DataType)>& visible,
    std::vector<std::string>* withheld) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  for (const std::string& name : names) {
    if (absl::Status s = ValidateFieldName(name); !s.ok()) return Prefixed("fields", s);
  }
  if (reveal == RevealLevel::kTokenOnly) {
    return absl::InvalidArgumentError("reveal token_only is answered by the token service");
  }
  return ReadStoredFields(tenant, subject, names, reveal, visible, withheld);
}

absl::StatusOr<std::map<std::string, RevealedField>> SubjectStore::ReadStoredFields(
    std::string_view tenant, std::string_view subject, const std::vector<std::string>& names,
    RevealLevel reveal, const std::function<bool(DataType)>& visible,
    std::vector<std::string>* withheld) {
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (!dek.ok()) return dek.status();

  std::vector<std::pair<std::string, std::string>> rows;
  if (names.empty()) {
    const std::string prefix = SubjectPrefix(tenant, subject);
    absl::Status s = options_.kv->ScanPrefix(
        storage::Table::kFields, prefix, [&](std::string_view key, std::string_view value) {
          rows.emplace_back(std::string(key.substr(prefix.size())), std::string(value));
          return true;
        });
    if (!s.ok()) return s;
  } else {
    std::vector<std::string> keys;
    keys.reserve(names.size());
    for (const std::string& name : names) keys.push_back(FieldKey(tenant, subject, name));
    std::vector<absl::StatusOr<std::string>> values =
        options_.kv->MultiGet(storage::Table::kFields, keys);
    for (size_t i = 0; i < names.size(); ++i) {
      if (values[i].ok()) {
        rows.emplace_back(names[i], std::move(*values[i]));
      } else if (!absl::IsNotFound(values[i].status())) {
        return values[i].status();
      }
    }
  }

  std::map<std::string, RevealedField> out;
  for (const auto& [field, stored] : rows) {
    if (visible) {
      records::FieldRecord peek;
      absl::StatusOr<DataType> type = absl::DataLossError("field record is corrupt");
      if (peek.ParseFromString(stored)) type = ParseDataType(peek.type());
      if (!type.ok())
        return Prefixed(Cat("fields.", field), absl::DataLossError("field record is corrupt"));
      if (!visible(*type)) {
        if (withheld != nullptr) withheld->push_back(field);
        continue;
      }
    }
    absl::StatusOr<RevealedField> opened = Open(tenant, subject, field, stored, **dek, reveal);
    if (!opened.ok()) return Prefixed(Cat("fields.", field), opened.status());
    out.emplace(field, std::move(*opened));
  }
  return out;
}

absl::Status SubjectStore::DeleteField(std::string_view tenant, std::string_view subject,
                                       std::string_view field, const std::vector<AuditEvent>* audit,
                                       const ReplaceCheck& check) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  RETURN_IF_ERROR(ValidateFieldName(field));
  absl::StatusOr<KeyCache::Key> token_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kToken);
  if (!token_key.ok()) return token_key.status();
  std::unique_lock<std::mutex> lock = options_.locks->Lock(tenant, subject);
  const std::string key = FieldKey(tenant, subject, field);
  absl::StatusOr<std::string> existing = options_.kv->Get(storage::Table::kFields, key);
  if (!existing.ok()) {
    if (absl::IsNotFound(existing.status())) return absl::NotFoundError("unknown field");
    return existing.status();
  }
  records::FieldRecord record;
  if (!record.ParseFromString(*existing)) return absl::DataLossError("field record is corrupt");
  if (check) {
    absl::StatusOr<DataType> type = ParseDataType(record.type());
    if (!type.ok()) return absl::DataLossError("field record has an unknown type");
    RETURN_IF_ERROR(check({{std::string(field), *type, record.retention()}}));
  }
  absl::StatusOr<DataKeyHandle> dek = options_.subject_keys->Get(tenant, subject);
  if (!dek.ok()) return dek.status();
  absl::StatusOr<std::string> token = FieldToken(**token_key, subject, field, (*dek)->dek_id);
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> fingerprint = TokenFingerprint(**token_key, *token);
  if (!fingerprint.ok()) return fingerprint.status();
  storage::WriteBatch batch;
  batch.Delete(storage::Table::kFields, key);
  if (!record.blind_index().empty()) {
    batch.Delete(storage::Table::kBlindIndex,
                 BlindIndexKey(tenant, record.blind_index(), subject, field));
  }
  // A revoked field token keeps its tombstone so it can never come back.
  if (absl::Status s =
          TokenTable(options_.kv).StageDeleteUnlessRevoked(tenant, *fingerprint, &batch);
      !s.ok()) {
    return s;
  }
  return options_.committer->Commit(batch, audit);
}

absl::StatusOr<DataType> SubjectStore::FieldType(std::string_view tenant, std::string_view subject,
                                                 std::string_view field) {
  RETURN_IF_ERROR(CheckTenantAndSubject(tenant, subject));
  RETURN_IF_ERROR(ValidateFieldName(field));
  absl::StatusOr<std::string> stored =
      options_.kv->Get(storage::Table::kFields, FieldKey(tenant, subject, field));
  if (!stored.ok()) {
    if (absl::IsNotFound(stored.status())) return absl::NotFoundError("unknown field");
    return stored.status();
  }
  records::FieldRecord record;
  if (!record.ParseFromString(*stored)) return absl::DataLossError("field record is corrupt");
  absl::StatusOr<DataType> type = ParseDataType(record.type());
  if (!type.ok()) return absl::DataLossError("field record has an unknown type");
  return type;
}

absl::StatusOr<std::vector<std::string>> SubjectStore::Search(std::string_view tenant,
                                                              std::string_view type,
                                                              std::string_view value) {
  RETURN_IF_ERROR(ValidateTenantId(tenant));
  if (options_.keys->sealed()) return SealedError();
  RETURN_IF_ERROR(options_.keys->GetTenant(tenant).status());
  absl::StatusOr<DataType> parsed = ParseDataType(type);
  if (!parsed.ok()) return Prefixed("type", parsed.status());
  absl::StatusOr<std::string> normalized = Normalize(*parsed, value, ContextAt(*options_.clock));
  if (!normalized.ok()) return Prefixed("value", normalized.status());
  absl::StatusOr<KeyCache::Key> index_key =
      options_.keys->GetTenantSubkey(tenant, TenantSubkey::kBlindIndex);
  if (!index_key.ok()) return index_key.status();
  absl::StatusOr<std::string> hash = BlindIndexHash(**index_key, *parsed, *normalized);
  if (!hash.ok()) return hash.status();
  const std::string prefix = BlindIndexPrefix(tenant, *hash);
  std::set<std::string> subjects;
  absl::Status s = options_.kv->ScanPrefix(storage::Table::kBlindIndex, prefix,
                                           [&](std::string_view key, std::string_view) {
                                             std::string_view rest = key.substr(prefix.size());
                                             subjects.emplace(rest.substr(0, rest.find('\0')));
                                             return true;
                                           });
  if (!s.ok()) return s;
  return std::vector<std::string>(subjects.begin(), subjects.end());
}

}  // namespace vault
