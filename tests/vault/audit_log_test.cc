// Tests for the tamper-evident audit chain: an untouched log verifies, and
// every kind of tampering (edit, delete, insert, reorder, truncate, a
// recomputed chain, a forged checkpoint) is detected.
#include "vault/audit_log.h"

#include <gtest/gtest.h>

#include "tests/testing/vault_fixture.h"
#include "vault/storage/memory_kv_store.h"

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
    log_ = std::make_unique<AuditLog>(memory_, &vault_->keys(), &clock_, 10);
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
  FakeClock clock_;
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
  log_ = std::make_unique<AuditLog>(memory_, &vault_->keys(), &clock_, 10);
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
  log_ = std::make_unique<AuditLog>(memory_, &vault_->keys(), &clock_, 10);
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

}  // namespace
}  // namespace vault
