// SubjectStore implementation.
#include "vault/subjects/subject_store.h"

#include <set>

#include "absl/time/civil_time.h"
#include "crypto/aead.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"
#include "base/status.h"
#include "base/strings.h"
#include "vault/tokens/token_codec.h"

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

}  // namespace

absl::Status SubjectStore::CheckTenantAndSubject(std::string_view tenant,
                                                 std::string_view subject) {
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (absl::Status s = ValidateSubjectId(subject); !s.ok()) return s;
  if (options_.keys->sealed()) return SealedError();
  return options_.keys->GetTenant(tenant).status();
}

absl::StatusOr<std::map<std::string, std::string>> SubjectStore::PutFields(
    std::string_view tenant, std::string_view subject,
    const std::map<std::string, FieldInput>& fields, const std::vector<AuditEvent>* audit,
    const ReplaceCheck& check) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
  if (fields.empty()) return absl::InvalidArgumentError("fields: at least one field is required");

  // Validate everything before touching storage.
  struct Prepared {
    const std::string* name;
    DataType type;
    std::string normalized;
    const std::string* retention;
  };
  std::vector<Prepared> prepared;
  const ValidationContext ctx = ContextAt(*options_.clock);
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

  // Old blind-index entries of replaced fields go in the same batch.
  std::vector<std::string> field_keys;
  for (const Prepared& p : prepared) field_keys.push_back(FieldKey(tenant, subject, *p.name));
  std::vector<absl::StatusOr<std::string>> old = options_.kv->MultiGet(storage::Table::kFields,
                                                                      field_keys);
  // What this write replaces, checked under the lock before anything is
  // written: a field under a retention class keeps its type, and the
  // caller's check (authorization on the stored type, holds) comes next.
  std::vector<StoredField> replaced;
  for (size_t i = 0; i < prepared.size(); ++i) {
    if (!old[i].ok()) {
      if (absl::IsNotFound(old[i].status())) continue;
      return old[i].status();
    }
    records::FieldRecord previous;
    if (!previous.ParseFromString(*old[i])) return absl::DataLossError("field record is corrupt");
    absl::StatusOr<DataType> previous_type = ParseDataType(previous.type());
    if (!previous_type.ok()) return absl::DataLossError("field record has an unknown type");
    if (!previous.retention().empty() && *previous_type != prepared[i].type) {
      return absl::FailedPreconditionError(
          Cat("fields.", *prepared[i].name, ": a field under a retention class cannot change "
              "its type"));
    }
    replaced.push_back({*prepared[i].name, *previous_type, previous.retention()});
  }
  if (check) {
    if (absl::Status s = check(replaced); !s.ok()) return s;
  }
  // Field token records: a revoked one stays revoked (a tombstone).
  std::vector<std::string> tokens_by_index, token_keys;
  for (const Prepared& p : prepared) {
    absl::StatusOr<std::string> token = FieldToken(**token_key, subject, *p.name, (*dek)->dek_id);
    if (!token.ok()) return token.status();
    absl::StatusOr<std::string> fingerprint = TokenFingerprint(**token_key, *token);
    if (!fingerprint.ok()) return fingerprint.status();
    tokens_by_index.push_back(std::move(*token));
    token_keys.push_back(TokenKey(tenant, *fingerprint));
  }
  std::vector<absl::StatusOr<std::string>> old_tokens =
      options_.kv->MultiGet(storage::Table::kTokens, token_keys);
  const int64_t now_ms = absl::ToUnixMillis(options_.clock->Now());
  std::map<std::string, std::string> tokens;
  for (size_t i = 0; i < prepared.size(); ++i) {
    const Prepared& p = prepared[i];
    if (old[i].ok()) {
      records::FieldRecord previous;
      if (!previous.ParseFromString(*old[i])) return absl::DataLossError("field record is corrupt");
      if (!previous.blind_index().empty()) {
        batch.Delete(storage::Table::kBlindIndex,
                     BlindIndexKey(tenant, previous.blind_index(), subject, *p.name));
      }
    } else if (!absl::IsNotFound(old[i].status())) {
      return old[i].status();
    }
    std::string type_name(DataTypeName(p.type));
    absl::StatusOr<std::string> ciphertext = crypto::XChaCha20Poly1305::Encrypt(
        (*dek)->key, p.normalized,
        FieldAd(tenant, subject, *p.name, type_name, (*dek)->dek_id, *p.retention),
        *options_.random);
    if (!ciphertext.ok()) return ciphertext.status();
    absl::StatusOr<std::string> index_hash = BlindIndexHash(**index_key, p.type, p.normalized);
    if (!index_hash.ok()) return index_hash.status();
    records::FieldRecord record;
    record.set_type(type_name);
    record.set_dek_id((*dek)->dek_id);
    record.set_ciphertext(std::move(*ciphertext));
    record.set_retention(*p.retention);
    record.set_updated_at_unix_ms(now_ms);
    record.set_blind_index(*index_hash);
    batch.Put(storage::Table::kFields, field_keys[i], record.SerializeAsString());
    batch.Put(storage::Table::kBlindIndex, BlindIndexKey(tenant, *index_hash, subject, *p.name),
              "");

    bool revoked = false;
    if (old_tokens[i].ok()) {
      records::TokenRecord existing;
      if (!existing.ParseFromString(*old_tokens[i])) {
        return absl::DataLossError("token record is corrupt");
      }
      revoked = existing.revoked();
    } else if (!absl::IsNotFound(old_tokens[i].status())) {
      return old_tokens[i].status();
    }
    if (!revoked) {
      const std::string fingerprint = token_keys[i].substr(TenantPrefix(tenant).size());
      const std::string format(TokenFormatName(TokenFormat::kField));
      // An empty plaintext: the tag authenticates what the record claims.
      absl::StatusOr<std::string> sealed = crypto::XChaCha20Poly1305::Encrypt(
          (*dek)->key, "",
          TokenRecordAd(tenant, fingerprint, subject, type_name, (*dek)->dek_id, format, *p.name,
                        0),
          *options_.random);
      if (!sealed.ok()) return sealed.status();
      records::TokenRecord token_record;
      token_record.set_type(type_name);
      token_record.set_format(format);
      token_record.set_subject(std::string(subject));
      token_record.set_field(*p.name);
      token_record.set_dek_id((*dek)->dek_id);
      token_record.set_ciphertext(std::move(*sealed));
      token_record.set_created_at_unix_ms(now_ms);
      batch.Put(storage::Table::kTokens, token_keys[i], token_record.SerializeAsString());
    }
    std::string* token = &tokens_by_index[i];
    tokens.emplace(*p.name, std::move(*token));
  }
  if (absl::Status s = options_.committer->Commit(batch, audit); !s.ok()) return s;
  return tokens;
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
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
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
      if (!type.ok()) return Prefixed(Cat("fields.", field), absl::DataLossError("field record is corrupt"));
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
                                       std::string_view field,
                                       const std::vector<AuditEvent>* audit,
                                       const ReplaceCheck& check) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
  if (absl::Status s = ValidateFieldName(field); !s.ok()) return s;
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
    if (absl::Status s = check({{std::string(field), *type, record.retention()}}); !s.ok()) {
      return s;
    }
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
  absl::StatusOr<std::string> token_record =
      options_.kv->Get(storage::Table::kTokens, TokenKey(tenant, *fingerprint));
  if (!token_record.ok() && !absl::IsNotFound(token_record.status())) {
    return token_record.status();  // never guess "no tombstone"
  }
  records::TokenRecord parsed;
  const bool tombstone =
      token_record.ok() && parsed.ParseFromString(*token_record) && parsed.revoked();
  if (!tombstone) batch.Delete(storage::Table::kTokens, TokenKey(tenant, *fingerprint));
  return options_.committer->Commit(batch, audit);
}

absl::StatusOr<DataType> SubjectStore::FieldType(std::string_view tenant,
                                                 std::string_view subject,
                                                 std::string_view field) {
  if (absl::Status s = CheckTenantAndSubject(tenant, subject); !s.ok()) return s;
  if (absl::Status s = ValidateFieldName(field); !s.ok()) return s;
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
  if (absl::Status s = ValidateTenantId(tenant); !s.ok()) return s;
  if (options_.keys->sealed()) return SealedError();
  if (absl::Status s = options_.keys->GetTenant(tenant).status(); !s.ok()) return s;
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
  absl::Status s = options_.kv->ScanPrefix(
      storage::Table::kBlindIndex, prefix, [&](std::string_view key, std::string_view) {
        std::string_view rest = key.substr(prefix.size());
        subjects.emplace(rest.substr(0, rest.find('\0')));
        return true;
      });
  if (!s.ok()) return s;
  return std::vector<std::string>(subjects.begin(), subjects.end());
}

}  // namespace vault
