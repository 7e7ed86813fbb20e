// Live state: what changed in the live vault since a backup (erasures,
// holds, principals), signed, and how a restored copy is made to agree.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "crypto/encoding.h"
#include "vault/backup/backup.h"
#include "vault/model/record_keys.h"

namespace vault {
namespace {

const std::string_view kNul("\0", 1);

}  // namespace

std::string LiveStateMessage(const records::LiveState& state) {
  std::vector<std::string> lines;
  for (const records::ErasureRecord& e : state.erasures()) {
    lines.push_back(Cat("erasure\t", e.erasure_id(), "\t", e.tenant(), "\t", e.subject(), "\t",
                        e.state(), "\t", e.due_at_unix_ms(), "\t", e.requested_at_unix_ms(), "\t",
                        e.principal()));
  }
  for (const records::LiveState::Hold& h : state.holds()) {
    lines.push_back(Cat("hold\t", h.tenant(), "\t", h.subject(), "\t", h.hold_id(), "\t",
                        crypto::Base64Encode(h.reason()), "\t", h.created_at_unix_ms()));
  }
  for (const std::string& id : state.principal_ids()) lines.push_back(Cat("principal\t", id));
  std::sort(lines.begin(), lines.end());
  std::string out = Cat("vaultd-live-state-v1\n", state.exported_at_unix_ms());
  for (const std::string& line : lines) out += Cat("\n", line);
  return out;
}

absl::StatusOr<records::LiveState> CaptureLiveState(KeyHierarchy& keys, storage::KvStore& kv,
                                                    int64_t now_ms) {
  records::LiveState state;
  state.set_exported_at_unix_ms(now_ms);
  std::shared_ptr<const storage::Snapshot> snapshot = kv.GetSnapshot();
  absl::Status bad;
  absl::Status s = kv.ScanPrefix(
      storage::Table::kLedger, ErasureKey(""),
      [&](std::string_view, std::string_view value) {
        records::ErasureRecord e;
        if (!e.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = absl::DataLossError("erasure record is corrupt");
          return false;
        }
        if (e.state() != "done") *state.add_erasures() = std::move(e);
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  const std::string hold_prefix = Cat("hold", kNul);
  s = kv.ScanPrefix(
      storage::Table::kLedger, hold_prefix,
      [&](std::string_view key, std::string_view value) {
        // hold \0 tenant \0 subject \0 hold_id
        std::string_view rest = key.substr(hold_prefix.size());
        const size_t a = rest.find('\0');
        const size_t b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
        records::HoldRecord h;
        if (b == std::string_view::npos ||
            !h.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = absl::DataLossError("hold record is corrupt");
          return false;
        }
        records::LiveState::Hold* out = state.add_holds();
        out->set_tenant(std::string(rest.substr(0, a)));
        out->set_subject(std::string(rest.substr(a + 1, b - a - 1)));
        out->set_hold_id(std::string(rest.substr(b + 1)));
        out->set_reason(h.reason());
        out->set_created_at_unix_ms(h.created_at_unix_ms());
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  const std::string principal_prefix = Cat("principal", kNul);
  s = kv.ScanPrefix(
      storage::Table::kMeta, principal_prefix,
      [&](std::string_view key, std::string_view) {
        state.add_principal_ids(std::string(key.substr(principal_prefix.size())));
        return true;
      },
      snapshot.get());
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  absl::StatusOr<std::string> signature = keys.Sign(LiveStateMessage(state));
  if (!signature.ok()) return signature.status();
  state.set_signature(*signature);
  return state;
}

absl::StatusOr<LiveStateReport> ApplyLiveState(storage::KvStore& kv,
                                               const records::LiveState& state) {
  LiveStateReport report;
  storage::WriteBatch batch;
  // Erasures: cancel what was cancelled since; re-create what was requested
  // since (for subjects the copy still holds).
  // Cancellations first, then requests: a subject whose erasure was
  // cancelled and requested again ends with the new one in its index.
  for (const records::ErasureRecord& live : state.erasures()) {
    if (live.state() != "cancelled") continue;
    absl::StatusOr<std::string> stored =
        kv.Get(storage::Table::kLedger, ErasureKey(live.erasure_id()));
    if (!stored.ok()) continue;
    records::ErasureRecord copy;
    if (!copy.ParseFromString(*stored)) return absl::DataLossError("erasure record is corrupt");
    if (copy.state() != "pending") continue;
    batch.Delete(storage::Table::kLedger, PendingKey(copy.due_at_unix_ms(), copy.erasure_id()));
    absl::StatusOr<std::string> indexed =
        kv.Get(storage::Table::kLedger, SubjectErasureKey(copy.tenant(), copy.subject()));
    if (indexed.ok() && *indexed == copy.erasure_id()) {
      batch.Delete(storage::Table::kLedger, SubjectErasureKey(copy.tenant(), copy.subject()));
    }
    batch.Put(storage::Table::kLedger, ErasureKey(live.erasure_id()), live.SerializeAsString());
    ++report.erasures_cancelled;
  }
  for (const records::ErasureRecord& live : state.erasures()) {
    if (live.state() != "pending") continue;
    absl::StatusOr<std::string> stored =
        kv.Get(storage::Table::kLedger, ErasureKey(live.erasure_id()));
    if (stored.ok()) continue;  // the copy has it already
    if (!absl::IsNotFound(stored.status())) return stored.status();
    const bool has_key =
        kv.Get(storage::Table::kSubjectKeys, SubjectKey(live.tenant(), live.subject())).ok();
    if (!has_key) continue;  // the copy does not hold the subject
    batch.Put(storage::Table::kLedger, ErasureKey(live.erasure_id()), live.SerializeAsString());
    batch.Put(storage::Table::kLedger, PendingKey(live.due_at_unix_ms(), live.erasure_id()), "");
    batch.Put(storage::Table::kLedger, SubjectErasureKey(live.tenant(), live.subject()),
              live.erasure_id());
    ++report.erasures_requested;
  }
  // Holds: exactly the live ones.
  absl::Status s = kv.ScanPrefix(storage::Table::kLedger, Cat("hold", kNul),
                                 [&](std::string_view key, std::string_view) {
                                   batch.Delete(storage::Table::kLedger, key);
                                   return true;
                                 });
  if (!s.ok()) return s;
  for (const records::LiveState::Hold& h : state.holds()) {
    records::HoldRecord record;
    record.set_hold_id(h.hold_id());
    record.set_reason(h.reason());
    record.set_created_at_unix_ms(h.created_at_unix_ms());
    batch.Put(storage::Table::kLedger, HoldKey(h.tenant(), h.subject(), h.hold_id()),
              record.SerializeAsString());
  }
  report.holds = static_cast<uint64_t>(state.holds_size());
  // Principals: those deleted since are deleted here too (with their key).
  std::set<std::string> live_ids(state.principal_ids().begin(), state.principal_ids().end());
  const std::string principal_prefix = Cat("principal", kNul);
  s = kv.ScanPrefix(storage::Table::kMeta, principal_prefix,
                    [&](std::string_view key, std::string_view value) {
                      const std::string id(key.substr(principal_prefix.size()));
                      if (live_ids.count(id) != 0) return true;
                      records::PrincipalRecord p;
                      if (p.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                        batch.Delete(storage::Table::kMeta, key);
                        batch.Delete(storage::Table::kMeta,
                                     Cat("principal-name", kNul, p.tenant(), kNul, p.name()));
                        batch.Delete(storage::Table::kMeta, Cat("apikey", kNul, p.api_key_hash()));
                        ++report.principals_removed;
                      }
                      return true;
                    });
  if (!s.ok()) return s;
  if (absl::Status w = kv.Write(batch); !w.ok()) return w;
  return report;
}

}  // namespace vault
