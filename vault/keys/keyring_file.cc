// KeyringFile: slot format is
//   "VKRING01" | u64 generation (LE) | u32 length (LE) | payload | BLAKE2b-256
// of everything before it | zero padding up to the slot's previous size.
#include "vault/keys/keyring_file.h"

#include <algorithm>
#include <vector>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/hashing.h"

namespace vault {
namespace {

constexpr std::string_view kMagic = "VKRING01";
constexpr size_t kHeader = 8 + 8 + 4;
constexpr size_t kChecksum = 32;
constexpr size_t kBlock = 4096;

absl::Status Prefixed(std::string_view what, const absl::Status& s) {
  return absl::Status(s.code(), Cat("keyring ", what, ": ", s.message()));
}

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLe(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<uint8_t>(in[static_cast<size_t>(i)]);
  }
  return v;
}

// Parses one slot; nullopt when missing, torn or corrupt.
std::optional<records::Keyring> ParseSlot(const std::string& data) {
  if (data.size() < kHeader + kChecksum || data.substr(0, 8) != kMagic) return std::nullopt;
  uint64_t len = GetLe(std::string_view(data).substr(16, 4), 4);
  if (len > data.size() - kHeader - kChecksum) return std::nullopt;
  std::string_view body = std::string_view(data).substr(0, kHeader + len);
  absl::StatusOr<std::string> sum = crypto::Blake2b(body, kChecksum);
  if (!sum.ok() || std::string_view(data).substr(kHeader + len, kChecksum) != *sum) {
    return std::nullopt;
  }
  records::Keyring keyring;
  if (!keyring.ParseFromArray(data.data() + kHeader, static_cast<int>(len))) return std::nullopt;
  if (keyring.generation() != GetLe(std::string_view(data).substr(8, 8), 8)) return std::nullopt;
  return keyring;
}

}  // namespace

// Overwrites the slot in place: same inode, same blocks, never shorter.
absl::Status KeyringFile::WriteSlot(const std::string& path, const std::string& image,
                                    bool* created) {
  absl::StatusOr<std::unique_ptr<base::RandomWriteFile>> file = env_->OpenForOverwrite(path);
  if (!file.ok()) return Prefixed("open slot", file.status());
  const uint64_t old_size = (*file)->size_at_open();
  *created = old_size == 0;
  size_t target = std::max(image.size(), static_cast<size_t>(old_size));
  target = (target + kBlock - 1) / kBlock * kBlock;
  std::string padded = image;
  padded.resize(target, '\0');
  if (absl::Status s = base::WriteFully(**file, 0, padded); !s.ok()) {
    return Prefixed("write slot", s);
  }
  if (absl::Status s = (*file)->Sync(); !s.ok()) return Prefixed("fsync slot", s);
  return absl::OkStatus();
}

std::string KeyringFile::SlotPath(int slot) const { return Cat(dir_, "/keyring.", slot); }

absl::StatusOr<std::optional<records::Keyring>> KeyringFile::Load() const {
  std::optional<records::Keyring> best;
  bool any_file = false;
  for (int slot = 0; slot < 2; ++slot) {
    absl::StatusOr<std::optional<std::string>> data = env_->ReadFile(SlotPath(slot));
    if (!data.ok()) return Prefixed("read", data.status());
    if (!data->has_value()) continue;
    // A slot that does not even start with the magic (empty or zero-filled:
    // a crash while it was first created) counts as absent.
    if ((*data)->compare(0, kMagic.size(), kMagic) != 0) continue;
    any_file = true;
    std::optional<records::Keyring> parsed = ParseSlot(**data);
    if (parsed.has_value() && (!best.has_value() || parsed->generation() > best->generation())) {
      best = std::move(parsed);
    }
  }
  if (any_file && !best.has_value()) {
    return absl::DataLossError("keyring slots exist but none is valid");
  }
  return best;
}

absl::Status KeyringFile::Store(const records::Keyring& keyring) {
  std::string payload;
  if (!keyring.SerializeToString(&payload)) return absl::InternalError("keyring serialise");
  std::string image(kMagic);
  PutLe(image, keyring.generation(), 8);
  PutLe(image, payload.size(), 4);
  image += payload;
  absl::StatusOr<std::string> sum = crypto::Blake2b(image, kChecksum);
  if (!sum.ok()) return sum.status();
  image += *sum;
  // Slot order: the one holding the older generation first, so a crash
  // always leaves the newest complete keyring in the other slot.
  int first = 0;
  uint64_t newest = 0;
  for (int slot = 0; slot < 2; ++slot) {
    absl::StatusOr<std::optional<std::string>> data = env_->ReadFile(SlotPath(slot));
    if (!data.ok()) return Prefixed("read", data.status());
    if (!data->has_value()) continue;
    std::optional<records::Keyring> parsed = ParseSlot(**data);
    if (parsed.has_value() && parsed->generation() >= newest) {
      newest = parsed->generation();
      first = 1 - slot;  // write the other slot first
    }
  }
  if (newest != 0 && keyring.generation() <= newest) {
    return absl::FailedPreconditionError("keyring generation must increase");
  }
  bool created = false;
  RETURN_IF_ERROR(WriteSlot(SlotPath(first), image, &created));
  if (created) {
    if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return Prefixed("fsync dir", s);
  }
  // The new keyring is durable now (it is the newest valid slot), so the
  // change has happened whatever follows. A failure on the second slot
  // leaves the older keyring there until the next Store overwrites it first.
  bool created_second = false;
  second_slot_stale_ = !WriteSlot(SlotPath(1 - first), image, &created_second).ok() ||
                       (created_second && !env_->SyncDir(dir_).ok());
  return absl::OkStatus();
}

}  // namespace vault
