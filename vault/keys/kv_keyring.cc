// KvKeyring: the keyring as one record of the vault's store.
#include <google/protobuf/util/message_differencer.h>

#include "base/strings.h"
#include "vault/keys/keyring_store.h"

namespace vault {

namespace {

// Whether `next` differs from the stored image in more than its generation
// and audit anchor. A new anchor (one per audit checkpoint) changes no key
// another node uses, so it does not make every node drop its caches.
bool ChangesKeys(const std::optional<std::string>& image, const records::Keyring& next) {
  if (!image.has_value()) return true;
  records::Keyring before;
  if (!before.ParseFromString(*image)) return true;
  records::Keyring after = next;
  for (records::Keyring* k : {&before, &after}) {
    k->clear_audit_anchor();
    k->clear_generation();
  }
  return !google::protobuf::util::MessageDifferencer::Equals(before, after);
}

}  // namespace

std::string KvKeyring::RecordKey() { return Cat("keyring", std::string_view("\0", 1)); }

absl::StatusOr<std::optional<records::Keyring>> KvKeyring::Load() const {
  absl::StatusOr<std::string> stored = kv_->Get(storage::Table::kMeta, RecordKey());
  if (absl::IsNotFound(stored.status())) {
    image_.reset();
    return std::optional<records::Keyring>();
  }
  if (!stored.ok()) return stored.status();
  records::Keyring keyring;
  if (!keyring.ParseFromString(*stored)) return absl::DataLossError("keyring record is corrupt");
  image_ = std::move(*stored);
  return std::optional<records::Keyring>(std::move(keyring));
}

absl::Status KvKeyring::Store(const records::Keyring& keyring) {
  std::string image;
  if (!keyring.SerializeToString(&image)) return absl::InternalError("keyring cannot be encoded");
  storage::WriteBatch batch;
  batch.Expect(storage::Table::kMeta, RecordKey(), image_);
  batch.Put(storage::Table::kMeta, RecordKey(), image);
  if (ChangesKeys(image_, keyring)) batch.MarkInvalidatesCaches();
  absl::Status written = kv_->Write(batch);
  if (written.ok()) image_ = std::move(image);
  return written;
}

absl::Status KvKeyring::Purge() {
  const std::string key = RecordKey();
  return kv_->CompactRange(storage::Table::kMeta, key, storage::PrefixSuccessor(key));
}

}  // namespace vault
