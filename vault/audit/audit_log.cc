// AuditLog implementation.
#include "vault/audit/audit_log.h"

#include <map>

#include <google/protobuf/stubs/common.h>

#include "base/status.h"
#include "base/status_macros.h"
#include "base/strings.h"
#include "crypto/encoding.h"
#include "crypto/hashing.h"
#include "crypto/signing.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

// Every text field of an entry is a proto3 `string`, which must be valid
// UTF-8 to serialise and parse: one entry that is not would make the chain
// unreadable for ever. Callers validate ids before they log them; this is
// the last line, whatever reaches it: text that is not short, printable,
// valid UTF-8 is stored as a fixed marker.
std::string SafeText(const std::string& text) {
  constexpr size_t kMaxAuditText = 512;
  if (text.size() > kMaxAuditText) return std::string(kUnsafeAuditText);
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return std::string(kUnsafeAuditText);
  }
  if (!google::protobuf::internal::IsStructurallyValidUTF8(text.data(),
                                                           static_cast<int>(text.size()))) {
    return std::string(kUnsafeAuditText);
  }
  return text;
}

constexpr size_t kHashSize = 32;
const std::string& ZeroHash() {
  static const std::string* zero = new std::string(kHashSize, '\0');
  return *zero;
}

std::string CheckpointMessage(uint64_t seq, std::string_view hash, int64_t time_ms) {
  return AssociatedData("audit-checkpoint",
                        {EncodeU64(seq), hash, EncodeU64(static_cast<uint64_t>(time_ms))});
}

absl::StatusOr<std::string> HeadMac(const crypto::SecretBytes& key, uint64_t seq,
                                    std::string_view hash) {
  return crypto::Blake2bMac(key, AssociatedData("audit-head", {EncodeU64(seq), hash}), 32);
}

std::string AnchorMessage(const records::AuditAnchor& a) {
  return AssociatedData("audit-anchor", {EncodeU64(a.seq()), a.hash(), EncodeU64(a.checkpoints()),
                                         EncodeU64(static_cast<uint64_t>(a.time_unix_ms()))});
}

// The stored chain, whose head is at `head_seq`, against `anchor` (read
// before the store, so a concurrent append cannot make it look newer than
// the chain): "" when the chain reaches it.
absl::StatusOr<std::string> CheckAnchor(storage::KvStore& kv, const KeyHierarchy& keys,
                                        const std::optional<records::AuditAnchor>& anchor,
                                        uint64_t head_seq, const storage::Snapshot* snapshot) {
  if (!anchor.has_value()) return std::string();  // none yet
  absl::StatusOr<std::string> public_key = keys.SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  if (!crypto::VerifySignature(*public_key, AnchorMessage(*anchor), anchor->signature()).ok()) {
    return std::string(AuditLog::kAnchorForged);
  }
  if (head_seq < anchor->seq()) return std::string(AuditLog::kChainOlderThanAnchor);
  absl::StatusOr<std::string> stored =
      kv.Get(storage::Table::kAudit, AuditLog::EntryKey(anchor->seq()), snapshot);
  if (!stored.ok()) {
    if (!absl::IsNotFound(stored.status())) return stored.status();
    return std::string(AuditLog::kChainOlderThanAnchor);
  }
  records::AuditEntry entry;
  if (!entry.ParseFromString(*stored) || entry.hash() != anchor->hash()) {
    return std::string(AuditLog::kChainDiffersFromAnchor);
  }
  uint64_t checkpoints = 0;
  bool anchored_checkpoint = false;
  absl::Status s = kv.ScanRange(
      storage::Table::kAudit, AuditLog::CheckpointKey(0),
      AuditLog::CheckpointKey(anchor->seq() + 1),
      [&](std::string_view key, std::string_view value) {
        ++checkpoints;
        if (key == AuditLog::CheckpointKey(anchor->seq())) {
          records::AuditCheckpoint c;
          anchored_checkpoint = c.ParseFromArray(value.data(), static_cast<int>(value.size())) &&
                                c.hash() == anchor->hash();
        }
        return true;
      },
      snapshot);
  if (!s.ok()) return s;
  if (!anchored_checkpoint || checkpoints < anchor->checkpoints()) {
    return std::string(AuditLog::kCheckpointsMissing);
  }
  return std::string();
}

AuditVerification Problem(AuditVerification v, std::string_view what, uint64_t seq) {
  v.ok = false;
  v.problem = std::string(what);
  v.at_seq = seq;
  return v;
}

}  // namespace

absl::StatusOr<std::string> AuditEntryHash(const records::AuditEntry& e) {
  std::vector<std::string> types(e.types().begin(), e.types().end());
  std::vector<std::string> fps(e.fingerprints().begin(), e.fingerprints().end());
  std::string covered = AssociatedData(
      "audit-entry",
      {e.prev_hash(), EncodeU64(e.seq()), EncodeU64(static_cast<uint64_t>(e.time_unix_ms())),
       e.principal(), e.tenant(), e.action(), e.subject(), EncodeList(types), e.purpose(),
       e.outcome(), e.request_id(), e.reason(), EncodeList(fps)});
  // Fields added later are covered only when set, so entries written
  // before them keep their hashes.
  if (!e.subject_ref().empty()) covered += AssociatedData("subject-ref", {e.subject_ref()});
  return crypto::Blake2b(covered, kHashSize);
}

std::string AuditLog::EntryKey(uint64_t seq) { return Cat("e", EncodeU64(seq)); }
std::string AuditLog::HeadKey() { return "h"; }
std::string AuditLog::CheckpointKey(uint64_t seq) { return Cat("c", EncodeU64(seq)); }

AuditLog::AuditLog(storage::KvStore* kv, KeyHierarchy* keys, const Clock* clock,
                   uint64_t checkpoint_every)
    : kv_(kv), keys_(keys), clock_(clock), checkpoint_every_(checkpoint_every) {}

uint64_t AuditLog::appended() const {
  std::lock_guard<std::mutex> lock(mu_);
  return appended_;
}

absl::Status AuditLog::LoadHeadLocked() {
  absl::StatusOr<KeyCache::Key> mac_key = keys_->GetSystemSubkey(SystemSubkey::kAuditMac);
  if (!mac_key.ok()) return mac_key.status();
  absl::StatusOr<std::string> stored = kv_->Get(storage::Table::kAudit, HeadKey());
  if (!stored.ok()) {
    if (!absl::IsNotFound(stored.status())) return stored.status();
    bool any_entry = false;
    absl::Status s =
        kv_->ScanPrefix(storage::Table::kAudit, "e", [&](std::string_view, std::string_view) {
          any_entry = true;
          return false;
        });
    if (!s.ok()) return s;
    if (any_entry) return absl::DataLossError("audit head is missing but entries exist");
    head_seq_ = 0;
    head_hash_ = ZeroHash();
    head_image_.reset();
    loaded_ = true;
    return absl::OkStatus();
  }
  records::AuditHead head;
  if (!head.ParseFromString(*stored)) return absl::DataLossError("audit head is corrupt");
  absl::StatusOr<std::string> mac = HeadMac(**mac_key, head.seq(), head.hash());
  if (!mac.ok()) return mac.status();
  if (!crypto::ConstantTimeEquals(*mac, head.mac())) {
    return absl::DataLossError("audit head failed authentication");
  }
  head_seq_ = head.seq();
  head_hash_ = head.hash();
  head_image_ = std::move(*stored);
  loaded_ = true;
  return absl::OkStatus();
}

// Another node appended since this one's last group: continue from the
// head it stored, and count the checkpoints it wrote.
absl::Status AuditLog::AdoptHeadLocked(const std::optional<std::string>& image) {
  if (image == head_image_) return absl::OkStatus();
  if (!image.has_value()) return absl::DataLossError("audit head is missing but was written");
  absl::StatusOr<KeyCache::Key> mac_key = keys_->GetSystemSubkey(SystemSubkey::kAuditMac);
  if (!mac_key.ok()) return mac_key.status();
  records::AuditHead head;
  if (!head.ParseFromString(*image)) return absl::DataLossError("audit head is corrupt");
  ASSIGN_OR_RETURN(std::string mac, HeadMac(**mac_key, head.seq(), head.hash()));
  if (!crypto::ConstantTimeEquals(mac, head.mac())) {
    return absl::DataLossError("audit head failed authentication");
  }
  if (head.seq() < head_seq_) return absl::DataLossError("audit head moved backwards");
  const uint64_t before = head_seq_;
  head_seq_ = head.seq();
  head_hash_ = head.hash();
  head_image_ = image;
  return kv_->ScanRange(storage::Table::kAudit, CheckpointKey(before + 1),
                        CheckpointKey(head_seq_ + 1), [&](std::string_view, std::string_view) {
                          ++checkpoints_;
                          return true;
                        });
}

absl::Status AuditLog::CheckAnchorLocked() {
  absl::StatusOr<std::string> problem =
      CheckAnchor(*kv_, *keys_, keys_->audit_anchor(), head_seq_, nullptr);
  if (!problem.ok()) return problem.status();
  if (!problem->empty()) return absl::DataLossError(*problem);
  checkpoints_ = 0;
  return kv_->ScanPrefix(storage::Table::kAudit, "c", [&](std::string_view, std::string_view) {
    ++checkpoints_;
    return true;
  });
}

absl::StatusOr<std::string> AuditLog::AnchorProblem() {
  std::optional<records::AuditAnchor> anchor = keys_->audit_anchor();
  uint64_t head_seq = 0;
  absl::StatusOr<std::string> stored = kv_->Get(storage::Table::kAudit, HeadKey());
  if (!stored.ok() && !absl::IsNotFound(stored.status())) return stored.status();
  records::AuditHead head;
  if (stored.ok() && head.ParseFromString(*stored)) head_seq = head.seq();
  return CheckAnchor(*kv_, *keys_, anchor, head_seq, nullptr);
}

absl::Status AuditLog::Stage(const std::vector<const AuditEvent*>& events,
                             storage::WriteBatch* batch) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  return StageLocked(events, batch);
}

absl::Status AuditLog::StageOn(const std::optional<std::string>& stored_head,
                               const std::vector<const AuditEvent*>& events,
                               storage::WriteBatch* batch) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  if (absl::Status s = AdoptHeadLocked(stored_head); !s.ok()) {
    loaded_ = false;  // read whole again with the next group
    return s;
  }
  return StageLocked(events, batch);
}

absl::Status AuditLog::EnsureLoadedLocked() {
  if (loaded_) return absl::OkStatus();
  absl::Status s = LoadHeadLocked();
  if (s.ok()) s = CheckAnchorLocked();
  if (!s.ok()) loaded_ = false;  // checked again with the next group
  return s;
}

absl::Status AuditLog::StageLocked(const std::vector<const AuditEvent*>& events,
                                   storage::WriteBatch* batch) {
  absl::StatusOr<KeyCache::Key> mac_key = keys_->GetSystemSubkey(SystemSubkey::kAuditMac);
  if (!mac_key.ok()) return mac_key.status();
  uint64_t seq = head_seq_;
  std::string hash = head_hash_;
  uint64_t checkpoints = checkpoints_;
  std::optional<records::AuditAnchor> anchor;
  const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
  for (const AuditEvent* event : events) {
    records::AuditEntry entry;
    entry.set_seq(++seq);
    entry.set_time_unix_ms(now_ms);
    entry.set_principal(SafeText(event->principal));
    entry.set_tenant(SafeText(event->tenant));
    entry.set_action(SafeText(event->action));
    entry.set_subject(SafeText(event->subject));
    entry.set_subject_ref(SafeText(event->subject_ref));
    for (const std::string& t : event->types) entry.add_types(SafeText(t));
    entry.set_purpose(SafeText(event->purpose));
    entry.set_outcome(event->allowed ? "allowed" : "denied");
    entry.set_request_id(SafeText(event->request_id));
    entry.set_reason(SafeText(event->reason));
    for (const std::string& f : event->fingerprints) entry.add_fingerprints(f);
    entry.set_prev_hash(hash);
    absl::StatusOr<std::string> h = AuditEntryHash(entry);
    if (!h.ok()) return h.status();
    hash = *h;
    entry.set_hash(hash);
    batch->Put(storage::Table::kAudit, EntryKey(seq), entry.SerializeAsString());
    if (checkpoint_every_ != 0 && seq % checkpoint_every_ == 0) {
      records::AuditCheckpoint checkpoint;
      checkpoint.set_seq(seq);
      checkpoint.set_hash(hash);
      checkpoint.set_time_unix_ms(now_ms);
      absl::StatusOr<std::string> sig = keys_->Sign(CheckpointMessage(seq, hash, now_ms));
      if (!sig.ok()) return sig.status();
      checkpoint.set_signature(*sig);
      batch->Put(storage::Table::kAudit, CheckpointKey(seq), checkpoint.SerializeAsString());
      anchor.emplace();
      anchor->set_seq(seq);
      anchor->set_hash(hash);
      anchor->set_checkpoints(++checkpoints);
      anchor->set_time_unix_ms(now_ms);
      absl::StatusOr<std::string> anchor_sig = keys_->Sign(AnchorMessage(*anchor));
      if (!anchor_sig.ok()) return anchor_sig.status();
      anchor->set_signature(*anchor_sig);
    }
  }
  absl::StatusOr<std::string> mac = HeadMac(**mac_key, seq, hash);
  if (!mac.ok()) return mac.status();
  records::AuditHead head;
  head.set_seq(seq);
  head.set_hash(hash);
  head.set_mac(*mac);
  std::string head_image = head.SerializeAsString();
  batch->Put(storage::Table::kAudit, HeadKey(), head_image);
  staged_head_image_ = std::move(head_image);
  staged_seq_ = seq;
  staged_hash_ = std::move(hash);
  staged_checkpoints_ = checkpoints;
  staged_anchor_ = std::move(anchor);
  return absl::OkStatus();
}

void AuditLog::Finish(bool written) {
  std::optional<records::AuditAnchor> anchor;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!written) return;
    appended_ += staged_seq_ - head_seq_;
    head_seq_ = staged_seq_;
    head_hash_ = staged_hash_;
    head_image_ = staged_head_image_;
    checkpoints_ = staged_checkpoints_;
    if (staged_anchor_.has_value()) pending_anchor_ = std::move(staged_anchor_);
    staged_anchor_.reset();
    anchor = pending_anchor_;
  }
  // The group is durable, so the chain now reaches the anchor: store it
  // outside RocksDB (both keyring slots, fsynced: once per checkpoint, not
  // per request). If that fails, it is tried again after the next group.
  if (anchor.has_value() && keys_->StoreAuditAnchor(*anchor).ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_anchor_.has_value() && pending_anchor_->seq() <= anchor->seq()) {
      pending_anchor_.reset();
    }
  }
}

absl::StatusOr<AuditVerification> AuditLog::Verify() {
  absl::StatusOr<KeyCache::Key> mac_key = keys_->GetSystemSubkey(SystemSubkey::kAuditMac);
  if (!mac_key.ok()) return mac_key.status();
  absl::StatusOr<std::string> public_key = keys_->SigningPublicKey();
  if (!public_key.ok()) return public_key.status();
  // The anchor before the snapshot: it is written after its chain, so the
  // snapshot's chain reaches it unless the store went back.
  std::optional<records::AuditAnchor> anchor = keys_->audit_anchor();
  std::shared_ptr<const storage::Snapshot> snapshot = kv_->GetSnapshot();

  AuditChainVerifier chain(*public_key);
  absl::Status s = kv_->ScanPrefix(
      storage::Table::kAudit, "c",
      [&](std::string_view key, std::string_view value) {
        records::AuditCheckpoint c;
        if (!c.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
            key != CheckpointKey(c.seq())) {
          return chain.Fail("checkpoint is corrupt or misplaced", 0);
        }
        return chain.AddCheckpoint(c);
      },
      snapshot.get());
  if (!s.ok()) return s;
  if (!chain.ok()) return chain.result();
  s = kv_->ScanPrefix(
      storage::Table::kAudit, "e",
      [&](std::string_view key, std::string_view value) {
        records::AuditEntry e;
        if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return chain.Fail("entry is corrupt", chain.entries() + 1);
        }
        if (key != EntryKey(e.seq())) {
          return chain.Fail("entry stored under another sequence number (reordered)",
                            chain.entries() + 1);
        }
        return chain.AddEntry(e);
      },
      snapshot.get());
  if (!s.ok()) return s;
  if (!chain.Finish()) return chain.result();
  AuditVerification v = chain.result();
  const std::string prev = chain.last_hash();
  absl::StatusOr<std::string> stored_head =
      kv_->Get(storage::Table::kAudit, HeadKey(), snapshot.get());
  if (!stored_head.ok()) {
    if (!absl::IsNotFound(stored_head.status())) return stored_head.status();
    if (v.entries != 0) return Problem(v, "head record is missing", v.entries);
  } else {
    records::AuditHead head;
    absl::StatusOr<std::string> mac = head.ParseFromString(*stored_head)
                                          ? HeadMac(**mac_key, head.seq(), head.hash())
                                          : absl::StatusOr<std::string>(absl::DataLossError(""));
    if (!mac.ok() || !crypto::ConstantTimeEquals(*mac, head.mac())) {
      return Problem(v, "head record failed authentication", v.entries);
    }
    if (head.seq() != v.entries || head.hash() != prev) {
      return Problem(v, "chain ends before or after the head (truncated or appended)",
                     v.entries + 1);
    }
  }
  absl::StatusOr<std::string> anchored =
      CheckAnchor(*kv_, *keys_, anchor, v.entries, snapshot.get());
  if (!anchored.ok()) return anchored.status();
  if (!anchored->empty()) return Problem(v, *anchored, v.entries + 1);
  return v;
}

}  // namespace vault

namespace vault {

AuditChainVerifier::AuditChainVerifier(std::string public_key)
    : public_key_(std::move(public_key)), prev_(ZeroHash()) {}

bool AuditChainVerifier::Fail(std::string_view what, uint64_t seq) {
  if (result_.problem.empty()) result_ = Problem(result_, what, seq);
  failed_ = true;
  return false;
}

bool AuditChainVerifier::AddCheckpoint(const records::AuditCheckpoint& c) {
  if (failed_) return false;
  if (!crypto::VerifySignature(public_key_, CheckpointMessage(c.seq(), c.hash(), c.time_unix_ms()),
                               c.signature())
           .ok()) {
    return Fail("checkpoint signature does not verify", c.seq());
  }
  checkpoints_[c.seq()] = c.hash();
  return true;
}

bool AuditChainVerifier::AddEntry(const records::AuditEntry& e) {
  if (failed_) return false;
  const uint64_t expected = result_.entries + 1;
  if (e.seq() != expected) return Fail("sequence gap (entry deleted) or entry inserted", expected);
  if (e.prev_hash() != prev_) return Fail("entry does not follow its predecessor", expected);
  absl::StatusOr<std::string> h = AuditEntryHash(e);
  if (!h.ok() || *h != e.hash()) return Fail("entry was modified", expected);
  auto cp = checkpoints_.find(e.seq());
  if (cp != checkpoints_.end() && cp->second != e.hash()) {
    return Fail("chain differs from a signed checkpoint", expected);
  }
  prev_ = e.hash();
  result_.entries = expected;
  return true;
}

bool AuditChainVerifier::Finish() {
  if (failed_) return false;
  if (!checkpoints_.empty() && checkpoints_.rbegin()->first > result_.entries) {
    return Fail("entries after a signed checkpoint are missing (truncated)", result_.entries + 1);
  }
  result_.ok = true;
  result_.head = crypto::HexEncode(prev_);
  return true;
}

uint64_t AuditChainVerifier::last_checkpoint() const {
  uint64_t last = 0;
  for (const auto& [seq, hash] : checkpoints_) {
    if (seq <= result_.entries) last = seq;
  }
  return last;
}

}  // namespace vault
