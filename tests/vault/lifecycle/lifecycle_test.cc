// Tests for the subject lifecycle: erasure makes reads, tokens and search
// answer GONE / nothing; the forensic test (a copy of the RocksDB files
// taken before the erasure cannot be opened with the live keys after the
// epoch closes); holds; grace, cancel and due execution with a fake clock,
// also across a restart; signed receipts.
#include "vault/lifecycle/lifecycle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/signing.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/vault_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/keys/keyring_file.h"
#include "vault/model/record_keys.h"
#include "vault/storage/rocks_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::Table;

std::map<std::string, FieldInput> Profile(int i) {
  return {{"mobile", {"phone", "+86139" + std::to_string(10000000 + i), ""}},
          {"note", {"generic", "private-note-" + std::to_string(i) + "-owl", ""}}};
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(/*first=*/true); }
  void Reopen(bool first = false) {
    vault_.reset();
    vault_ = first ? testing::OpenReadyVault(dir_.path(), &clock_, {"acme"})
                   : testing::OpenVault(dir_.path(), &clock_);
    if (!first) {
      ASSERT_TRUE(vault_->InitializeAndUnsealDev().ok());
    }
  }
  SubjectLifecycle& life() { return Parts(*vault_).lifecycle(); }
  absl::StatusOr<records::ErasureRecord> Erase(std::string subject, absl::Duration grace) {
    return life().RequestErasure("acme", subject, grace, "p_test", {});
  }
  void Put(int i) {
    ASSERT_TRUE(
        Parts(*vault_).subjects().PutFields("acme", "s-" + std::to_string(i), Profile(i)).ok());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(LifecycleTest, ErasedSubjectIsGoneEverywhere) {
  Put(1);
  Put(2);
  auto token =
      *Parts(*vault_).tokens().Tokenize("acme", {{"phone", "+8613800138000", "s-1", "", 0}});
  auto field_tokens = *Parts(*vault_).subjects().PutFields(
      "acme", "s-1", {{"email", {"email", "a@example.com", ""}}});
  auto done = Erase("s-1", absl::ZeroDuration());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->state(), "done");
  EXPECT_TRUE(IsGone(
      Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).status()));
  auto d = *Parts(*vault_).tokens().Detokenize("acme", {token[0].token, field_tokens.at("email")},
                                               RevealLevel::kPlain);
  EXPECT_TRUE(IsGone(d[0].status));
  EXPECT_TRUE(IsGone(d[1].status));
  EXPECT_TRUE(Parts(*vault_).subjects().Search("acme", "phone", "+8613910000001")->empty());
  // The id cannot come back to life.
  EXPECT_TRUE(IsGone(Parts(*vault_).subjects().PutFields("acme", "s-1", Profile(9)).status()));
  EXPECT_TRUE(IsGone(Erase("s-1", absl::ZeroDuration()).status()));
  // Everyone else is untouched.
  EXPECT_EQ(Parts(*vault_).subjects().ReadFields("acme", "s-2", {}, RevealLevel::kPlain)->size(),
            2u);
  EXPECT_EQ(*Parts(*vault_).subjects().Search("acme", "phone", "+8613910000002"),
            std::vector<std::string>{"s-2"});
}

TEST_F(LifecycleTest, ShredLeavesNoWrappedKeyOrCiphertextInLiveFiles) {
  Put(1);
  ASSERT_TRUE(Parts(*vault_).kv().Flush().ok());  // make sure they sit in table files first
  const std::string wrapped =
      *Parts(*vault_).kv().Get(Table::kSubjectKeys, SubjectKey("acme", "s-1"));
  records::FieldRecord field;
  ASSERT_TRUE(field.ParseFromString(
      *Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", "s-1", "note"))));
  records::WrappedDek dek;
  ASSERT_TRUE(dek.ParseFromString(wrapped));
  ASSERT_FALSE(testing::FindInFiles(dir_.Sub("db"), {dek.ciphertext()}).empty());  // control
  ASSERT_TRUE(Erase("s-1", absl::ZeroDuration()).ok());
  EXPECT_TRUE(life().compaction_pending());
  ASSERT_TRUE(life().CompactShredded().ok());  // what the scheduler does
  EXPECT_FALSE(life().compaction_pending());
  vault_.reset();
  std::vector<std::string> live;
  for (const std::string& f : testing::ListFiles(dir_.Sub("db"))) {
    if (f.find(".sst") != std::string::npos) live.push_back(f);
  }
  ASSERT_FALSE(live.empty());
  for (const std::string& f : live) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(dek.ciphertext()), std::string::npos) << f;
    EXPECT_EQ(bytes.find(field.ciphertext()), std::string::npos) << f;
  }
}

// The forensic test: a copy of the RocksDB files made before the erasure,
// combined after the epoch with the live keyring and unseal material, cannot
// recover the erased subject's fields.
TEST_F(LifecycleTest, CopyTakenBeforeErasureIsUselessAfterTheEpoch) {
  for (int i = 0; i < 20; ++i) Put(i);
  ASSERT_TRUE(Parts(*vault_).kv().Flush().ok());
  testing::CopyTree(dir_.Sub("db"), dir_.Sub("db-copy"));  // the attacker's copy
  // Version 1's wrapped bytes, as the keyring holds them before the epoch.
  records::Keyring before = **KeyringFile(dir_.path(), &base::Env::Posix()).Load();
  std::string v1_wrapped;
  for (const auto& t : before.tenants()) {
    if (t.tenant() == "acme") v1_wrapped = t.keks(0).wrapped_key();
  }
  ASSERT_FALSE(v1_wrapped.empty());
  ASSERT_FALSE(testing::FindInFiles(dir_.path(), {v1_wrapped}).empty());  // control
  ASSERT_TRUE(Erase("s-7", absl::ZeroDuration()).ok());
  auto rewrapped = life().CloseEpoch("acme");
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.status();
  EXPECT_EQ(*rewrapped, 19u);
  auto keks = *Parts(*vault_).keys().ListKeks("acme");
  ASSERT_EQ(keks.size(), 2u);
  EXPECT_EQ(keks[0].state, records::KekVersion::DESTROYED);
  EXPECT_EQ(keks[1].state, records::KekVersion::ACTIVE);
  // The live vault still reads every other subject, after a restart too.
  Reopen();
  for (int i = 0; i < 20; ++i) {
    if (i == 7) continue;
    auto fields = Parts(*vault_).subjects().ReadFields("acme", "s-" + std::to_string(i), {},
                                                       RevealLevel::kPlain);
    ASSERT_TRUE(fields.ok()) << i << ": " << fields.status();
    EXPECT_EQ(fields->at("note").value, "private-note-" + std::to_string(i) + "-owl");
  }
  // The attacker opens the old copy and has the live keyring and unseal key.
  storage::RocksKvOptions options;
  options.path = dir_.Sub("db-copy");
  auto copy = std::move(*storage::OpenRocksKvStore(options));
  records::WrappedDek old_dek;
  ASSERT_TRUE(old_dek.ParseFromString(*copy->Get(Table::kSubjectKeys, SubjectKey("acme", "s-7"))));
  EXPECT_EQ(old_dek.kek_version(), 1u);
  // Version 1 exists nowhere any more: not in the keyring's state, not in
  // the bytes of either keyring slot (nor anywhere else in the folder).
  EXPECT_TRUE(IsGone(Parts(*vault_).keys().GetKek("acme", 1).status()));
  std::vector<std::string> found = testing::FindInFiles(dir_.path(), {v1_wrapped});
  for (const std::string& f : found) {
    EXPECT_NE(f.find("db-copy"), std::string::npos) << "old KEK bytes still live: " << f;
  }
  // And no live key opens it either.
  const std::vector<KekInfo> live_keks = *Parts(*vault_).keys().ListKeks("acme");
  for (const KekInfo& k : live_keks) {
    auto kek = Parts(*vault_).keys().GetKek("acme", k.version);
    if (!kek.ok()) continue;
    for (uint32_t claimed : {1u, k.version}) {
      auto dek = crypto::XChaCha20Poly1305::DecryptSecret(
          **kek, old_dek.ciphertext(),
          AssociatedData("dek", {"acme", "s-7", old_dek.dek_id(), EncodeU32(claimed)}));
      EXPECT_FALSE(dek.ok());
    }
  }
}

TEST_F(LifecycleTest, HoldsBlockErasureUntilReleased) {
  Put(1);
  ASSERT_TRUE(life().PutHold("acme", "s-1", "dispute-42", "dispute 42", {}).ok());
  ASSERT_TRUE(life().PutHold("acme", "s-1", "audit-7", "regulator", {}).ok());
  EXPECT_EQ(life().ListHolds("acme", "s-1")->size(), 2u);
  EXPECT_TRUE(absl::IsFailedPrecondition(Erase("s-1", absl::ZeroDuration()).status()));
  ASSERT_TRUE(life().ReleaseHold("acme", "s-1", "dispute-42", {}).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(Erase("s-1", absl::ZeroDuration()).status()));
  ASSERT_TRUE(life().ReleaseHold("acme", "s-1", "audit-7", {}).ok());
  EXPECT_TRUE(absl::IsNotFound(life().ReleaseHold("acme", "s-1", "audit-7", {})));
  EXPECT_TRUE(Erase("s-1", absl::ZeroDuration()).ok());
  EXPECT_TRUE(absl::IsNotFound(life().PutHold("acme", "nobody", "h", "", {}).status()));
}

TEST_F(LifecycleTest, GraceCancelAndDueExecutionWithAFakeClock) {
  Put(1);
  Put(2);
  auto pending = Erase("s-1", absl::Hours(72));
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(pending->state(), "pending");
  EXPECT_TRUE(absl::IsFailedPrecondition(Erase("s-1", absl::Hours(1)).status()));  // one at a time
  clock_.Advance(absl::Hours(71));
  EXPECT_EQ(*life().RunDue(), 0);
  EXPECT_TRUE(Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).ok());
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*life().RunDue(), 1);
  EXPECT_TRUE(IsGone(
      Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).status()));
  EXPECT_EQ(life().GetErasure("acme", pending->erasure_id())->state(), "done");

  auto second = Erase("s-2", absl::Hours(72));
  ASSERT_TRUE(second.ok());
  auto cancelled = life().CancelErasure("acme", "s-2", {});
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state(), "cancelled");
  EXPECT_TRUE(absl::IsFailedPrecondition(life().CancelErasure("acme", "s-2", {}).status()));
  clock_.Advance(absl::Hours(100));
  EXPECT_EQ(*life().RunDue(), 0);
  EXPECT_TRUE(Parts(*vault_).subjects().ReadFields("acme", "s-2", {}, RevealLevel::kPlain).ok());
  EXPECT_TRUE(absl::IsNotFound(life().GetErasure("other", pending->erasure_id()).status()));
}

// What GET /metrics reports: erasures past due (held ones apart), from the
// due index, with the oldest due time.
TEST_F(LifecycleTest, ObserveCountsErasuresPastTheirDueTime) {
  Put(1);
  Put(2);
  auto first = Erase("s-1", absl::Hours(72));
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(Erase("s-2", absl::Hours(72)).ok());
  ASSERT_TRUE(life().PutHold("acme", "s-2", "dispute", "", {}).ok());
  ObservedState o = vault_->system().Observe();
  EXPECT_TRUE(o.ok);
  EXPECT_EQ(o.erasures_due, 0);  // not due yet
  clock_.Advance(absl::Hours(75));
  o = vault_->system().Observe();
  EXPECT_EQ(o.erasures_due, 2);
  EXPECT_EQ(o.erasures_due_held, 1);
  EXPECT_EQ(o.oldest_due_unix_ms, first->due_at_unix_ms());
  EXPECT_EQ(*life().RunDue(), 1);  // the held one waits
  o = vault_->system().Observe();
  EXPECT_EQ(o.erasures_due, 1);
  EXPECT_EQ(o.erasures_due_held, 1);
  ASSERT_TRUE(life().ReleaseHold("acme", "s-2", "dispute", {}).ok());
  EXPECT_EQ(*life().RunDue(), 1);
  o = vault_->system().Observe();
  EXPECT_EQ(o.erasures_due, 0);
  EXPECT_EQ(o.oldest_due_unix_ms, 0);
  EXPECT_EQ(o.rewrap_jobs_running, 0);
}

TEST_F(LifecycleTest, DueErasureSurvivesARestartAndWaitsForAHold) {
  Put(1);
  auto pending = Erase("s-1", absl::Hours(72));
  ASSERT_TRUE(pending.ok());
  ASSERT_TRUE(life().PutHold("acme", "s-1", "late-dispute", "", {}).ok());
  Reopen();  // vaultd restarts while the erasure is pending
  clock_.Advance(absl::Hours(80));
  EXPECT_EQ(*life().RunDue(), 0);  // held: waits
  EXPECT_EQ(life().GetErasure("acme", pending->erasure_id())->state(), "pending");
  ASSERT_TRUE(life().ReleaseHold("acme", "s-1", "late-dispute", {}).ok());
  Reopen();
  EXPECT_EQ(*life().RunDue(), 1);
  EXPECT_TRUE(IsGone(
      Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).status()));
}

TEST_F(LifecycleTest, ReceiptsVerifyAndFailWhenAnyByteChanges) {
  Put(1);
  auto done = *Erase("s-1", absl::ZeroDuration());
  const records::ErasureReceipt& r = done.receipt();
  const std::string pk = *Parts(*vault_).keys().SigningPublicKey();
  EXPECT_EQ(r.public_key(), pk);
  EXPECT_EQ(r.tenant(), "acme");
  EXPECT_EQ(r.subject(), "s-1");
  EXPECT_EQ(r.destroyed_key_id().substr(0, 4), "dek:");
  // The message exactly as API.md defines it, built here independently.
  const std::string literal = "vaultd-erasure-receipt-v1\n" + r.erasure_id() + "\nacme\ns-1\n" +
                              r.requested_at() + "\n" + r.shredded_at() + "\n" +
                              r.destroyed_key_id();
  EXPECT_TRUE(crypto::VerifySignature(pk, literal, r.signature()).ok());
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, r.shredded_at(), &t, &err)) << r.shredded_at();
  EXPECT_EQ(r.shredded_at().back(), 'Z');
  ASSERT_TRUE(VerifyReceipt(r, pk).ok());
  // Offline check with nothing but the public key and the fields.
  for (int field = 0; field < 6; ++field) {
    records::ErasureReceipt bad = r;
    std::string* target[] = {bad.mutable_erasure_id(),  bad.mutable_tenant(),
                             bad.mutable_subject(),     bad.mutable_requested_at(),
                             bad.mutable_shredded_at(), bad.mutable_destroyed_key_id()};
    (*target[field])[0] = static_cast<char>((*target[field])[0] ^ 1);
    EXPECT_FALSE(VerifyReceipt(bad, pk).ok()) << field;
  }
  for (size_t i = 0; i < r.signature().size(); ++i) {
    records::ErasureReceipt bad = r;
    (*bad.mutable_signature())[i] = static_cast<char>(bad.signature()[i] ^ 1);
    EXPECT_FALSE(VerifyReceipt(bad, pk).ok()) << i;
  }
}

TEST_F(LifecycleTest, EpochAfterAManualRotationDestroysEveryOlderVersion) {
  Put(1);
  ASSERT_TRUE(life().RotateKey("acme").ok());  // v2 active, v1 retired
  Put(2);                                      // wrapped under v2
  ASSERT_TRUE(Erase("s-2", absl::ZeroDuration()).ok());
  ASSERT_TRUE(life().CloseEpoch("acme").ok());
  std::vector<KekInfo> keks = *Parts(*vault_).keys().ListKeks("acme");
  ASSERT_EQ(keks.size(), 3u);
  EXPECT_EQ(keks[0].state, records::KekVersion::DESTROYED);
  EXPECT_EQ(keks[1].state, records::KekVersion::DESTROYED);  // s-2's key was wrapped under it
  EXPECT_EQ(keks[2].state, records::KekVersion::ACTIVE);
  EXPECT_EQ(Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain)->size(),
            2u);
}

TEST_F(LifecycleTest, RetainedFieldsMoveUnderTheirOwnKeyAndTheRestDiesWithTheDek) {
  ASSERT_TRUE(Parts(*vault_)
                  .subjects()
                  .PutFields("acme", "s-1",
                             {{"card", {"bank_card", "4111111111111111", "financial_5y"}},
                              {"note", {"generic", "secret owl", ""}}})
                  .ok());
  records::FieldRecord before;
  ASSERT_TRUE(before.ParseFromString(
      *Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", "s-1", "card"))));
  ASSERT_TRUE(Erase("s-1", absl::ZeroDuration()).ok());
  EXPECT_TRUE(IsGone(
      Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(absl::IsNotFound(
      Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", "s-1", "note")).status()));
  EXPECT_TRUE(absl::IsNotFound(
      Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", "s-1", "card")).status()));
  // The copy: another key id, another ciphertext; only the retained field.
  const std::string holder = RetentionHolder("s-1", "financial_5y");
  records::FieldRecord copy;
  ASSERT_TRUE(copy.ParseFromString(
      *Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", holder, "card"))));
  EXPECT_NE(copy.dek_id(), before.dek_id());
  EXPECT_NE(copy.ciphertext(), before.ciphertext());
  EXPECT_TRUE(copy.blind_index().empty());
  EXPECT_TRUE(absl::IsNotFound(
      Parts(*vault_).kv().Get(Table::kFields, FieldKey("acme", holder, "note")).status()));
  auto retained = life().ReadRetained("acme", "s-1", {}, RevealLevel::kMasked, nullptr, nullptr);
  ASSERT_TRUE(retained.ok()) << retained.status();
  ASSERT_EQ(retained->size(), 1u);
  EXPECT_EQ(retained->at("card").value, "************1111");
}

TEST_F(LifecycleTest, ErasingATenantDestroysAllItsKeysAndData) {
  ASSERT_TRUE(Parts(*vault_).keys().CreateTenant("globex", "").ok());
  Put(1);
  ASSERT_TRUE(Parts(*vault_).subjects().PutFields("globex", "g-1", Profile(5)).ok());
  ASSERT_TRUE(Parts(*vault_).keys().RotateKek("acme").ok());
  auto receipt = life().EraseTenant("acme", {});
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_EQ(receipt->destroyed_key_id(), "tenant-kek:v1,v2");
  EXPECT_TRUE(VerifyReceipt(*receipt, *Parts(*vault_).keys().SigningPublicKey()).ok());
  EXPECT_TRUE(IsGone(Parts(*vault_).keys().GetTenant("acme").status()));
  EXPECT_TRUE(IsGone(Parts(*vault_).keys().GetKek("acme", 2).status()));
  EXPECT_TRUE(IsGone(
      Parts(*vault_).subjects().ReadFields("acme", "s-1", {}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(IsGone(life().EraseTenant("acme", {}).status()));
  EXPECT_TRUE(
      absl::IsAlreadyExists(Parts(*vault_).keys().CreateTenant("acme", "")));  // id stays reserved
  bool any = false;
  ASSERT_TRUE(Parts(*vault_)
                  .kv()
                  .ScanPrefix(Table::kSubjectKeys, TenantPrefix("acme"),
                              [&](std::string_view, std::string_view) {
                                any = true;
                                return false;
                              })
                  .ok());
  EXPECT_FALSE(any);
  // The other tenant is untouched, also after a restart.
  Reopen();
  EXPECT_EQ(Parts(*vault_).subjects().ReadFields("globex", "g-1", {}, RevealLevel::kPlain)->size(),
            2u);
  EXPECT_EQ(Parts(*vault_).keys().ListTenants()->size(), 1u);
}

}  // namespace
}  // namespace vault
