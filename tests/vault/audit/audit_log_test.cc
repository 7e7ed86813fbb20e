// Tests for the tamper-evident audit chain: an untouched log verifies, and
// every kind of tampering (edit, delete, insert, reorder, truncate, a
// recomputed chain, a forged checkpoint) is detected; so are a wiped audit
// table, deleted checkpoints and a store rolled back behind the anchor kept
// in the keyring file, while a restored backup and an older keyring without
// an anchor keep working.
#include "vault/audit/audit_log.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/testing/fake_clock.h"
#include "tests/testing/vault_fixture.h"
#include "vault/backup/backup.h"
#include "vault/internal/vault_parts.h"
#include "vault/keys/keyring_file.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::Table;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto memory = std::make_unique<storage::MemoryKvStore>();
    memory_ = memory.get();
    vault_ = testing::OpenReadyVault(dir_.path(), &clock_, {"acme"}, std::move(memory));
    // 25 entries in 7 groups; checkpoints every 1000 by default are too
    // rare, so this log gets its own with a checkpoint every 10.
    log_ = std::make_unique<AuditLog>(memory_, &Parts(*vault_).keys(), &clock_, 10);
    for (int g = 0; g < 5; ++g) Append(5);
  }

  void Append(int n) {
    std::vector<AuditEvent> events(static_cast<size_t>(n));
    std::vector<const AuditEvent*> ptrs;
    for (AuditEvent& e : events) {
      e.principal = "p_1";
      e.tenant = "acme";
      e.action = "detokenize";
      e.subject = "u-" + std::to_string(counter_++);
      e.types = {"phone"};
      e.purpose = "support";
      e.request_id = "req";
      ptrs.push_back(&e);
    }
    storage::WriteBatch batch;
    ASSERT_TRUE(log_->Stage(ptrs, &batch).ok());
    ASSERT_TRUE(memory_->Write(batch).ok());
    log_->Finish(true);
  }

  records::AuditEntry Entry(uint64_t seq) {
    records::AuditEntry e;
    EXPECT_TRUE(e.ParseFromString(*memory_->Get(Table::kAudit, AuditLog::EntryKey(seq))));
    return e;
  }
  void Put(std::string key, const google::protobuf::Message& m) {
    storage::WriteBatch b;
    b.Put(Table::kAudit, key, m.SerializeAsString());
    ASSERT_TRUE(memory_->Write(b).ok());
  }
  void Delete(std::string key) {
    storage::WriteBatch b;
    b.Delete(Table::kAudit, key);
    ASSERT_TRUE(memory_->Write(b).ok());
  }
  AuditVerification Verify() {
    absl::StatusOr<AuditVerification> v = log_->Verify();
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : AuditVerification{};
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  storage::MemoryKvStore* memory_ = nullptr;
  std::unique_ptr<Vault> vault_;
  std::unique_ptr<AuditLog> log_;
  int counter_ = 0;
};

TEST_F(AuditLogTest, UntouchedLogVerifies) {
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 25u);
  EXPECT_EQ(v.head.size(), 64u);
  EXPECT_TRUE(memory_->Get(Table::kAudit, AuditLog::CheckpointKey(20)).ok());
}

TEST_F(AuditLogTest, EditedEntryIsDetected) {
  records::AuditEntry e = Entry(7);
  e.set_purpose("fraud");
  Put(AuditLog::EntryKey(7), e);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.at_seq, 7u);
}

TEST_F(AuditLogTest, DeletedEntryIsDetected) {
  Delete(AuditLog::EntryKey(12));
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.at_seq, 12u);
}

TEST_F(AuditLogTest, InsertedEntryIsDetected) {
  // A forged entry that links correctly to entry 25, appended after it.
  records::AuditEntry forged = Entry(25);
  forged.set_seq(26);
  forged.set_subject("u-forged");
  forged.set_prev_hash(Entry(25).hash());
  forged.set_hash(*AuditEntryHash(forged));
  Put(AuditLog::EntryKey(26), forged);
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditLogTest, ReorderedEntriesAreDetected) {
  records::AuditEntry a = Entry(3), b = Entry(4);
  Put(AuditLog::EntryKey(3), b);
  Put(AuditLog::EntryKey(4), a);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.at_seq, 3u);
}

TEST_F(AuditLogTest, TruncatedTailIsDetected) {
  // After the last checkpoint (20): entries 21-25 removed.
  for (uint64_t seq = 21; seq <= 25; ++seq) Delete(AuditLog::EntryKey(seq));
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("truncated"), std::string::npos) << v.problem;
}

TEST_F(AuditLogTest, TruncationWithAForgedHeadIsDetected) {
  for (uint64_t seq = 21; seq <= 25; ++seq) Delete(AuditLog::EntryKey(seq));
  records::AuditHead head;
  head.set_seq(20);
  head.set_hash(Entry(20).hash());
  head.set_mac(std::string(32, 'x'));  // no key, no valid MAC
  Put(AuditLog::HeadKey(), head);
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditLogTest, FullyRecomputedChainIsDetected) {
  // Edit entry 2 and recompute every later hash (the chain hash is public);
  // the keyed head and the signed checkpoints still give it away.
  std::string prev = Entry(1).hash();
  for (uint64_t seq = 2; seq <= 25; ++seq) {
    records::AuditEntry e = Entry(seq);
    if (seq == 2) e.set_principal("someone-else");
    e.set_prev_hash(prev);
    e.set_hash(*AuditEntryHash(e));
    prev = e.hash();
    Put(AuditLog::EntryKey(seq), e);
  }
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditLogTest, ForgedCheckpointIsDetected) {
  records::AuditCheckpoint c;
  ASSERT_TRUE(c.ParseFromString(*memory_->Get(Table::kAudit, AuditLog::CheckpointKey(10))));
  std::string sig = c.signature();
  sig[0] = static_cast<char>(sig[0] ^ 1);
  c.set_signature(sig);
  Put(AuditLog::CheckpointKey(10), c);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.at_seq, 10u);
}

TEST_F(AuditLogTest, ChainContinuesAcrossReopen) {
  log_ = std::make_unique<AuditLog>(memory_, &Parts(*vault_).keys(), &clock_, 10);
  Append(3);
  AuditVerification v = Verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 28u);
}

TEST_F(AuditLogTest, TamperedHeadStopsAppendingFailClosed) {
  records::AuditHead head;
  ASSERT_TRUE(head.ParseFromString(*memory_->Get(Table::kAudit, AuditLog::HeadKey())));
  head.set_seq(head.seq() - 1);
  Put(AuditLog::HeadKey(), head);
  log_ = std::make_unique<AuditLog>(memory_, &Parts(*vault_).keys(), &clock_, 10);
  AuditEvent e;
  e.tenant = "acme";
  storage::WriteBatch batch;
  EXPECT_TRUE(absl::IsDataLoss(log_->Stage({&e}, &batch)));
}

TEST_F(AuditLogTest, FindFiltersAndPages) {
  AuditQuery q;
  q.tenant = "acme";
  q.limit = 10;
  AuditPage p1 = *log_->Find(q);
  EXPECT_EQ(p1.entries.size(), 10u);
  EXPECT_EQ(p1.entries[0].seq(), 1u);
  ASSERT_EQ(p1.next_after_seq, 10u);
  q.after_seq = p1.next_after_seq;
  q.limit = 100;
  AuditPage p2 = *log_->Find(q);
  EXPECT_EQ(p2.entries.size(), 15u);
  EXPECT_EQ(p2.next_after_seq, 0u);
  AuditQuery by_subject;
  by_subject.tenant = "acme";
  by_subject.subject = "u-3";
  EXPECT_EQ(log_->Find(by_subject)->entries.size(), 1u);
  AuditQuery other;
  other.tenant = "globex";
  EXPECT_TRUE(log_->Find(other)->entries.empty());
}

// The problems of an anchored chain, as the API shows them.
constexpr char kOlder[] = "chain is older than its anchor (rollback or wipe)";
constexpr char kCheckpointsGone[] = "signed checkpoints named by the anchor are missing (deleted)";

TEST_F(AuditLogTest, WipedAuditTableIsDetectedAgainstTheAnchor) {
  std::vector<std::string> keys;
  ASSERT_TRUE(memory_
                  ->ScanPrefix(Table::kAudit, "",
                               [&](std::string_view k, std::string_view) {
                                 keys.emplace_back(k);
                                 return true;
                               })
                  .ok());
  ASSERT_GT(keys.size(), 25u);
  for (const std::string& k : keys) Delete(k);
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.problem, kOlder);
  // Appending to the empty table would start a new chain: refused.
  log_ = std::make_unique<AuditLog>(memory_, &Parts(*vault_).keys(), &clock_, 10);
  AuditEvent e;
  e.tenant = "acme";
  storage::WriteBatch batch;
  absl::Status staged = log_->Stage({&e}, &batch);
  EXPECT_TRUE(absl::IsDataLoss(staged)) << staged;
  EXPECT_EQ(staged.message(), kOlder);
}

TEST_F(AuditLogTest, DeletedCheckpointsAreDetected) {
  Delete(AuditLog::CheckpointKey(10));
  AuditVerification v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.problem, kCheckpointsGone);
  Delete(AuditLog::CheckpointKey(20));  // now every checkpoint is gone
  v = Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.problem, kCheckpointsGone);
}

// A vault on RocksDB in a folder, with a checkpoint every 5 entries, whose
// store can be copied and put back while it is closed.
class AuditAnchorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Vault> Open(const std::string& dir) {
    VaultOptions options;
    options.data_dir = dir;
    options.clock = &clock_;
    options.random = &crypto::SystemRandom::Instance();  // distinct keys per vault
    options.argon2 = crypto::Argon2idParams::MinimumForTesting();
    options.audit_checkpoint_every = 5;
    absl::StatusOr<std::unique_ptr<Vault>> v = Vault::Open(std::move(options));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(*v) : nullptr;
  }
  std::unique_ptr<Vault> OpenUnsealed(const std::string& dir) {
    std::unique_ptr<Vault> v = Open(dir);
    if (v != nullptr) {
      EXPECT_TRUE(v->InitializeAndUnsealDev().ok());
    }
    return v;
  }
  // `n` audited commits of one event each.
  absl::Status Audit(Vault& v, int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<AuditEvent> events(1);
      events[0].principal = "root";
      events[0].action = "keys";
      events[0].request_id = "req";
      if (absl::Status s = Parts(v).committer().Commit(storage::WriteBatch(), &events); !s.ok())
        return s;
    }
    return absl::OkStatus();
  }
  static std::optional<records::Keyring> LoadKeyring(const std::string& dir) {
    absl::StatusOr<std::optional<records::Keyring>> k =
        KeyringFile(dir, &base::Env::Posix()).Load();
    return k.ok() ? *k : std::nullopt;
  }
  static void CopyTree(const std::string& from, const std::string& to) {
    std::filesystem::remove_all(to);
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
};

TEST_F(AuditAnchorTest, StoreRolledBackBehindTheAnchorIsDetectedAtStartUpAndVerify) {
  const std::string data = dir_.Sub("data");
  {
    std::unique_ptr<Vault> v = OpenUnsealed(data);
    ASSERT_TRUE(Audit(*v, 7).ok());  // checkpoint (and anchor) at 5
  }
  CopyTree(data + "/db", dir_.Sub("old-db"));
  {
    std::unique_ptr<Vault> v = OpenUnsealed(data);
    EXPECT_EQ(*Parts(*v).audit().AnchorProblem(), "");  // no false alarm across a restart
    ASSERT_TRUE(Audit(*v, 8).ok());                     // checkpoints at 10 and 15
    AuditVerification fine = *Parts(*v).audit().Verify();
    EXPECT_TRUE(fine.ok) << fine.problem;
    EXPECT_EQ(fine.entries, 15u);
  }
  std::optional<records::Keyring> keyring = LoadKeyring(data);
  ASSERT_TRUE(keyring.has_value());
  EXPECT_EQ(keyring->audit_anchor().seq(), 15u);
  // The store goes back to its copy at 7 entries; the keyring stays.
  CopyTree(dir_.Sub("old-db"), data + "/db");

  std::unique_ptr<Vault> v = Open(data);
  // At start-up, sealed: no key is needed to see it.
  absl::StatusOr<std::string> at_start = Parts(*v).audit().AnchorProblem();
  ASSERT_TRUE(at_start.ok()) << at_start.status();
  EXPECT_EQ(*at_start, kOlder);
  ASSERT_TRUE(v->InitializeAndUnsealDev().ok());
  AuditVerification rolled = *Parts(*v).audit().Verify();
  EXPECT_FALSE(rolled.ok);
  EXPECT_EQ(rolled.entries, 7u);
  EXPECT_EQ(rolled.problem, kOlder);
  // Fail closed: nothing audited is written on top of the old chain.
  absl::Status write = Audit(*v, 1);
  EXPECT_TRUE(absl::IsUnavailable(write)) << write;
  EXPECT_NE(write.message().find(kOlder), std::string_view::npos) << write;
  EXPECT_EQ(Parts(*v).audit().Verify()->entries, 7u);
}

TEST_F(AuditAnchorTest, RestoredBackupCarriesAConsistentAnchor) {
  const std::string data = dir_.Sub("data");
  {
    std::unique_ptr<Vault> v = OpenUnsealed(data);
    ASSERT_TRUE(Audit(*v, 7).ok());
    ASSERT_TRUE(CreateBackup(Parts(*v).keys(), Parts(*v).kv(), dir_.Sub("backup")).ok());
    ASSERT_TRUE(Audit(*v, 8).ok());  // the live vault moves on to an anchor at 15
  }
  absl::StatusOr<RestoreReport> restored =
      RestoreBackup(dir_.Sub("backup"), dir_.Sub("restored"), {}, absl::Now());
  ASSERT_TRUE(restored.ok()) << restored.status();
  std::filesystem::copy_file(data + "/unseal.key", dir_.Sub("restored") + "/unseal.key");
  std::optional<records::Keyring> keyring = LoadKeyring(dir_.Sub("restored"));
  ASSERT_TRUE(keyring.has_value());
  EXPECT_EQ(keyring->audit_anchor().seq(), 5u);  // the backup's, not the live one's
  std::unique_ptr<Vault> v = OpenUnsealed(dir_.Sub("restored"));
  EXPECT_EQ(*Parts(*v).audit().AnchorProblem(), "");
  ASSERT_TRUE(Audit(*v, 4).ok());  // appends continue (a checkpoint at 10)
  AuditVerification ok = *Parts(*v).audit().Verify();
  EXPECT_TRUE(ok.ok) << ok.problem;
  EXPECT_EQ(ok.entries, 11u);
  EXPECT_EQ(LoadKeyring(dir_.Sub("restored"))->audit_anchor().seq(), 10u);
}

TEST_F(AuditAnchorTest, KeyringWithoutAnchorLoadsAsNoneYetAndGainsOne) {
  const std::string data = dir_.Sub("data");
  {
    std::unique_ptr<Vault> v = OpenUnsealed(data);
    ASSERT_TRUE(Audit(*v, 7).ok());
  }
  // Rewrite the keyring as builds before the anchor wrote it: no field 11.
  std::optional<records::Keyring> keyring = LoadKeyring(data);
  ASSERT_TRUE(keyring.has_value());
  ASSERT_TRUE(keyring->has_audit_anchor());
  keyring->clear_audit_anchor();
  keyring->set_generation(keyring->generation() + 1);
  ASSERT_TRUE(KeyringFile(data, &base::Env::Posix()).Store(*keyring).ok());

  std::unique_ptr<Vault> v = OpenUnsealed(data);
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(Parts(*v).keys().audit_anchor().has_value());
  EXPECT_EQ(*Parts(*v).audit().AnchorProblem(), "");
  AuditVerification before = *Parts(*v).audit().Verify();
  EXPECT_TRUE(before.ok) << before.problem;
  ASSERT_TRUE(Audit(*v, 3).ok());  // reaches the checkpoint at 10
  ASSERT_TRUE(Parts(*v).keys().audit_anchor().has_value());
  EXPECT_EQ(Parts(*v).keys().audit_anchor()->seq(), 10u);
  EXPECT_EQ(LoadKeyring(data)->audit_anchor().seq(), 10u);
  AuditVerification after = *Parts(*v).audit().Verify();
  EXPECT_TRUE(after.ok) << after.problem;
}

}  // namespace
}  // namespace vault
