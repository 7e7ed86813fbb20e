// TokenService, continued: revoked tokens never come back, tokens of replaced
// or erased subject keys are GONE, authenticated expiry, token lifetimes,
// full format-preserving buckets, no lock across a commit, item policies and
// group commit on RocksDB.
#include "vault/tokens/token_service.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "base/status.h"
#include "tests/testing/fault_kv_store.h"
#include "tests/testing/vault_fixture.h"
#include "tests/vault/tokens/token_service_fixture.h"
#include "vault/internal/vault_parts.h"
#include "vault/model/record_keys.h"
#include "vault/model/records.pb.h"
#include "vault/storage/memory_kv_store.h"

using vault::internal::Parts;

namespace vault {
namespace {

using storage::MemoryKvStore;
using storage::Table;

TEST_F(TokenServiceTest, RevokedTokensNeverComeBack) {
  // Deterministic: tokenizing the value again does not revive it.
  // It issues the value's next token instead (the recoverable path), which
  // is then as deterministic as the first: every caller gets the same one.
  TokenizeItem det{"email", "a@example.com", "", "deterministic", 0};
  std::string d = Tokenize("acme", det);
  ASSERT_TRUE(tokens().Revoke("acme", d).ok());
  const std::string next = Tokenize("acme", det);
  EXPECT_NE(next, d);
  EXPECT_EQ(Tokenize("acme", det), next);
  EXPECT_TRUE(absl::IsNotFound(Detokenize("acme", d).status));
  EXPECT_EQ(Detokenize("acme", next).value, "a@example.com");
  ASSERT_TRUE(tokens().Revoke("acme", next).ok());
  const std::string third = Tokenize("acme", det);
  EXPECT_NE(third, d);
  EXPECT_NE(third, next);
  EXPECT_TRUE(absl::IsNotFound(Detokenize("acme", next).status));
  // Field token: rewriting, deleting and rewriting the field keeps it dead.
  auto put = *Parts(*vault_).subjects().PutFields("acme", "u-1",
                                                  {{"mobile", {"phone", "+8613800138000", ""}}});
  const std::string f = put.at("mobile");
  ASSERT_TRUE(tokens().Revoke("acme", f).ok());
  ASSERT_TRUE(Parts(*vault_)
                  .subjects()
                  .PutFields("acme", "u-1", {{"mobile", {"phone", "+14155552671", ""}}})
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(Detokenize("acme", f).status));
  ASSERT_TRUE(Parts(*vault_).subjects().DeleteField("acme", "u-1", "mobile").ok());
  ASSERT_TRUE(Parts(*vault_)
                  .subjects()
                  .PutFields("acme", "u-1", {{"mobile", {"phone", "+14155552671", ""}}})
                  .ok());
  EXPECT_TRUE(absl::IsNotFound(Detokenize("acme", f).status));
}

TEST_F(TokenServiceTest, RevokedFormatPreservingTokenIsNeverReissued) {
  // A phone with three free digits has 1,000 possible tokens: revoke many,
  // then issue more; none of the revoked strings may come back.
  std::set<std::string> revoked;
  for (int i = 0; i < 300; ++i) {
    std::string t = Tokenize("acme", {"phone", "+85223456789", "", "format_preserving", 0});
    ASSERT_TRUE(tokens().Revoke("acme", t).ok());
    revoked.insert(t);
  }
  for (int i = 0; i < 300; ++i) {
    auto r = tokens().Tokenize("acme", {{"phone", "+85223456789", "", "format_preserving", 0}});
    if (!r.ok()) {
      EXPECT_TRUE(absl::IsResourceExhausted(r.status()));
      continue;
    }
    EXPECT_EQ(revoked.count(r->at(0).token), 0u);
  }
}

TEST_F(TokenServiceTest, TokensOfAReplacedSubjectKeyAreGone) {
  std::string t = Tokenize("acme", {"phone", "+8613800138000", "u-1", "", 0});
  auto put = *Parts(*vault_).subjects().PutFields("acme", "u-1",
                                                  {{"mobile", {"phone", "+8613800138000", ""}}});
  const std::string f = put.at("mobile");
  // The subject's key is destroyed, and the id is later used again.
  storage::WriteBatch shred;
  shred.Delete(Table::kSubjectKeys, SubjectKey("acme", "u-1"));
  ASSERT_TRUE(memory_->Write(shred).ok());
  Parts(*vault_).subject_keys().Evict("acme", "u-1");
  auto reused = *Parts(*vault_).subjects().PutFields("acme", "u-1",
                                                     {{"mobile", {"phone", "+14155552671", ""}}});
  EXPECT_NE(reused.at("mobile"), f);  // a new incarnation gets new field tokens
  EXPECT_TRUE(IsGone(Detokenize("acme", t).status));
  EXPECT_TRUE(IsGone(Detokenize("acme", f).status));  // never the new person's data
  EXPECT_EQ(Detokenize("acme", reused.at("mobile")).value, "+14155552671");
}

TEST_F(TokenServiceTest, ErasedSubjectsExpiredTokenIsGoneNotExpired) {
  std::string t = Tokenize("acme", {"phone", "+8613800138000", "u-1", "", 10});
  clock_.Advance(absl::Seconds(11));
  storage::WriteBatch shred;
  shred.Delete(Table::kSubjectKeys, SubjectKey("acme", "u-1"));
  ASSERT_TRUE(memory_->Write(shred).ok());
  Parts(*vault_).subject_keys().Evict("acme", "u-1");
  EXPECT_TRUE(IsGone(Detokenize("acme", t).status));
}

TEST_F(TokenServiceTest, ExpiryIsAuthenticated) {
  std::string t = Tokenize("acme", {"generic", "short-lived", "", "", 60});
  std::vector<std::pair<std::string, std::string>> rows;
  ASSERT_TRUE(memory_
                  ->ScanPrefix(Table::kTokens, TenantPrefix("acme"),
                               [&](std::string_view k, std::string_view v) {
                                 rows.emplace_back(k, v);
                                 return true;
                               })
                  .ok());
  ASSERT_EQ(rows.size(), 1u);
  records::TokenRecord record;
  ASSERT_TRUE(record.ParseFromString(rows[0].second));
  record.set_expires_at_unix_ms(0);  // an attacker removes the expiry
  storage::WriteBatch b;
  b.Put(Table::kTokens, rows[0].first, record.SerializeAsString());
  ASSERT_TRUE(memory_->Write(b).ok());
  EXPECT_TRUE(absl::IsDataLoss(tokens().Detokenize("acme", {t}, RevealLevel::kPlain).status()));
}

TEST_F(TokenServiceTest, DeterministicTokenKeepsTheLongestLife) {
  TokenizeItem forever{"email", "a@example.com", "", "deterministic", 0};
  TokenizeItem brief{"email", "a@example.com", "", "deterministic", 1};
  std::string t = Tokenize("acme", forever);
  EXPECT_EQ(Tokenize("acme", brief), t);
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(Detokenize("acme", t).status.ok());  // not shortened by the second call

  TokenizeItem a{"email", "b@example.com", "", "deterministic", 60};
  TokenizeItem b{"email", "b@example.com", "", "deterministic", 600};
  std::string u = Tokenize("acme", b);
  EXPECT_EQ(Tokenize("acme", a), u);
  clock_.Advance(absl::Seconds(300));
  EXPECT_TRUE(Detokenize("acme", u).status.ok());
  clock_.Advance(absl::Seconds(301));
  EXPECT_TRUE(IsExpired(Detokenize("acme", u).status));
}

TEST_F(TokenServiceTest, ARepeatedValueInOneBatchNeverShortensTheSharedToken) {
  // Either order inside the batch: the item asking for the longest life wins.
  for (const bool brief_first : {true, false}) {
    const std::string value = brief_first ? "c@example.com" : "d@example.com";
    TokenizeItem forever{"email", value, "", "deterministic", 0};
    TokenizeItem brief{"email", value, "", "deterministic", 1};
    auto r = tokens().Tokenize("acme", brief_first ? std::vector<TokenizeItem>{brief, forever}
                                                   : std::vector<TokenizeItem>{forever, brief});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ((*r)[0].token, (*r)[1].token);
    clock_.Advance(absl::Hours(1));
    EXPECT_TRUE(Detokenize("acme", (*r)[0].token).status.ok()) << value;
  }
  // Finite lives: the longer one.
  TokenizeItem a{"email", "e@example.com", "", "deterministic", 600};
  TokenizeItem b{"email", "e@example.com", "", "deterministic", 60};
  auto r = *tokens().Tokenize("acme", {a, b});
  clock_.Advance(absl::Seconds(300));
  EXPECT_TRUE(Detokenize("acme", r[0].token).status.ok());
  clock_.Advance(absl::Seconds(301));
  EXPECT_TRUE(IsExpired(Detokenize("acme", r[0].token).status));
}

TEST_F(TokenServiceTest, ShortPhoneBucketFillsToItsCapacityThenSaysSo) {
  // +852 numbers have 8 national digits: the first and last four are kept,
  // so 3 digits vary: 1,000 candidates, one of them the number itself.
  // Every one of the other 999 is issued, then the bucket says it is full.
  const std::string phone = "+85223456789";
  std::set<std::string> seen;
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<TokenizeItem> items(batch < 9 ? 100 : 99,
                                    TokenizeItem{"phone", phone, "", "format_preserving", 0});
    auto r = tokens().Tokenize("acme", items);
    ASSERT_TRUE(r.ok()) << "batch " << batch << ": " << r.status();
    for (const TokenizeResult& t : *r) {
      EXPECT_EQ(t.token.substr(0, 5), "+8522");
      EXPECT_EQ(t.token.substr(t.token.size() - 4), "6789");
      EXPECT_NE(t.token, phone);
      seen.insert(t.token);
    }
  }
  EXPECT_EQ(seen.size(), 999u);
  auto full = tokens().Tokenize("acme", {{"phone", phone, "", "format_preserving", 0}});
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  EXPECT_NE(full.status().message().find("used up (999 per"), std::string::npos) << full.status();
  // Another tenant's bucket is its own.
  EXPECT_FALSE(Tokenize("globex", {"phone", phone, "", "format_preserving", 0}).empty());
  // Nothing of the failed call was stored: every token still resolves.
  for (const std::string& t : {*seen.begin(), *seen.rbegin()}) {
    EXPECT_EQ(Detokenize("acme", t).value, phone);
  }
}

// A store whose writes wait at a gate while it is closed.
class GatedWrites : public testing::FaultInjectingKvStore {
 public:
  using FaultInjectingKvStore::FaultInjectingKvStore;
  absl::Status Write(const storage::WriteBatch& batch,
                     const storage::WriteOptions& options = {}) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++waiting_;
      cv_.wait(lock, [this] { return open_; });
      --waiting_;
    }
    return FaultInjectingKvStore::Write(batch, options);
  }
  int waiting() {
    std::lock_guard<std::mutex> lock(mu_);
    return waiting_;
  }
  void Set(bool open) {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = open;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
};

TEST(TokenServiceFormatPreservingTest, NoLockIsHeldAcrossACommit) {
  // One tenant's format-preserving call sits in a slow durable write; another
  // tenant's (and the same bucket's) must still draw their tokens and reach
  // the committer's queue rather than wait on a lock held across that write.
  testing::TempDir dir;
  testing::FakeClock clock;
  storage::MemoryKvStore memory;
  auto gated = std::make_unique<GatedWrites>(&memory);
  GatedWrites* gate = gated.get();
  std::unique_ptr<Vault> vault =
      testing::OpenReadyVault(dir.path(), &clock, {"acme", "globex"}, std::move(gated));
  const TokenizeItem item{"phone", "+85223456789", "", "format_preserving", 0};
  // The tenant-level data keys exist first (creating one locks its subject).
  ASSERT_TRUE(Parts(*vault).tokens().Tokenize("acme", {item}).ok());
  ASSERT_TRUE(Parts(*vault).tokens().Tokenize("globex", {item}).ok());
  gate->Set(false);
  absl::StatusOr<std::vector<TokenizeResult>> first, second, third;
  std::thread a([&] { first = Parts(*vault).tokens().Tokenize("acme", {item}); });
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (gate->waiting() == 0 && absl::Now() < deadline) std::this_thread::yield();
  ASSERT_EQ(gate->waiting(), 1);
  std::thread b([&] { second = Parts(*vault).tokens().Tokenize("globex", {item}); });
  std::thread c([&] { third = Parts(*vault).tokens().Tokenize("acme", {item}); });
  while (Parts(*vault).committer().queued() < 2 && absl::Now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(Parts(*vault).committer().queued(), 2u)
      << "a call waited on a lock held across a commit";
  gate->Set(true);
  a.join();
  b.join();
  c.join();
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EXPECT_NE((*first)[0].token, (*third)[0].token);  // in flight counts as taken
  auto back = Parts(*vault).tokens().Detokenize("acme", {(*first)[0].token, (*third)[0].token},
                                                RevealLevel::kPlain);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].value, "+85223456789");
  EXPECT_EQ((*back)[1].value, "+85223456789");
}

TEST_F(TokenServiceTest, ItemPolicyRefusesBeforeAnythingIsRevealed) {
  std::string card = Tokenize("acme", {"bank_card", "4111111111111111", "", "", 0});
  std::string phone = Tokenize("acme", {"phone", "+8613800138000", "", "", 0});
  int asked = 0;
  auto policy = [&](DataType type, std::string_view subject) {
    ++asked;
    EXPECT_EQ(subject, "");
    return type == DataType::kPhone ? absl::OkStatus()
                                    : absl::PermissionDeniedError("type not granted");
  };
  auto r = *tokens().Detokenize("acme", {card, phone}, RevealLevel::kPlain, policy);
  EXPECT_EQ(asked, 2);
  EXPECT_TRUE(absl::IsPermissionDenied(r[0].status));
  EXPECT_EQ(r[0].value, "");
  EXPECT_EQ(r[1].value, "+8613800138000");
}

// Concurrent durable tokenizations on RocksDB share WAL syncs.
TEST(TokenServiceGroupCommitTest, ConcurrentTokenizeCallsShareSyncs) {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Vault> v = testing::OpenReadyVault(dir.path(), &clock, {"acme"});
  const storage::StoreStats before = Parts(*v).kv().Stats();
  const uint64_t groups_before = Parts(*v).committer().groups();
  constexpr int kThreads = 16, kPerThread = 200;
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> issued(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&v, &issued, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = Parts(*v).tokens().Tokenize(
            "acme", {{"generic", "v" + std::to_string(t * 1000 + i), "", "", 0}});
        ASSERT_TRUE(r.ok());
        issued[static_cast<size_t>(t)].push_back(r->at(0).token);
      }
    });
  }
  for (auto& th : threads) th.join();
  const storage::StoreStats after = Parts(*v).kv().Stats();
  const uint64_t calls = kThreads * kPerThread;
  const uint64_t groups = Parts(*v).committer().groups() - groups_before;
  const uint64_t syncs = after.wal_syncs - before.wal_syncs;
  EXPECT_GT(syncs, 0u);
  EXPECT_LT(syncs, calls) << "every tokenize paid its own fsync";
  EXPECT_LE(groups, calls);
  std::printf("group commit: %llu calls, %llu groups, %llu WAL syncs\n",
              static_cast<unsigned long long>(calls), static_cast<unsigned long long>(groups),
              static_cast<unsigned long long>(syncs));
  // Every acknowledged token is durable and correct after a restart.
  v.reset();
  v = testing::OpenVault(dir.path(), &clock);
  ASSERT_TRUE(v->InitializeAndUnsealDev().ok());
  for (int t = 0; t < kThreads; ++t) {
    auto r =
        *Parts(*v).tokens().Detokenize("acme", issued[static_cast<size_t>(t)], RevealLevel::kPlain);
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(r[static_cast<size_t>(i)].value, "v" + std::to_string(t * 1000 + i));
    }
  }
}

}  // namespace
}  // namespace vault
