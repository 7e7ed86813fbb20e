// Tests for the token service: formats, tenant isolation, reveal levels, TTL
// with a fake clock, revocation, batch atomicity, tokens that die with their
// subject, tampered records, storage faults and group commit.
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

TEST_F(TokenServiceTest, RandomTokenRoundTripsAtEveryRevealLevel) {
  std::string t = Tokenize("acme", {"bank_card", "4111 1111 1111 1111", "", "random", 0});
  EXPECT_EQ(t.substr(0, 4), "tok_");
  EXPECT_EQ(Detokenize("acme", t).value, "4111111111111111");
  EXPECT_EQ(Detokenize("acme", t, RevealLevel::kMasked).value, "************1111");
  DetokenizeResult hashed = Detokenize("acme", t, RevealLevel::kHashed);
  EXPECT_EQ(hashed.value.size(), 64u);
  DetokenizeResult token_only = Detokenize("acme", t, RevealLevel::kTokenOnly);
  EXPECT_TRUE(token_only.status.ok());
  EXPECT_EQ(token_only.value, "");
  EXPECT_EQ(token_only.type, DataType::kBankCard);
}

TEST_F(TokenServiceTest, RandomTokensForTheSameValueDiffer) {
  TokenizeItem item{"phone", "+8613800138000", "", "", 0};
  EXPECT_NE(Tokenize("acme", item), Tokenize("acme", item));
}

TEST_F(TokenServiceTest, OtherTenantsTokenIsNotFoundAndRevealsNothing) {
  std::string t = Tokenize("acme", {"phone", "+8613800138000", "u-1", "", 0});
  DetokenizeResult r = Detokenize("globex", t);
  EXPECT_TRUE(absl::IsNotFound(r.status));
  EXPECT_FALSE(IsGone(r.status));
  EXPECT_EQ(r.value, "");
  EXPECT_EQ(r.subject, "");
  EXPECT_TRUE(absl::IsNotFound(tokens().Revoke("globex", t)));
  EXPECT_EQ(Detokenize("acme", t).value, "+8613800138000");  // still fine at home
}

TEST_F(TokenServiceTest, DeterministicTokensEqualWithinTenantDifferAcross) {
  TokenizeItem item{"phone", "+86 138 0013 8000", "", "deterministic", 0};
  std::string a1 = Tokenize("acme", item);
  item.value = "+8613800138000";  // same normalised value
  std::string a2 = Tokenize("acme", item);
  std::string g = Tokenize("globex", item);
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, g);
  item.subject = "u-1";
  EXPECT_NE(Tokenize("acme", item), a1);
  EXPECT_EQ(Detokenize("acme", a1).value, "+8613800138000");
  EXPECT_EQ(Detokenize("globex", g).value, "+8613800138000");
  EXPECT_TRUE(absl::IsNotFound(Detokenize("globex", a1).status));
}

TEST_F(TokenServiceTest, HundredThousandFormatPreservingCardTokens) {
  // Short cards leave few free digits, so collisions happen and are retried.
  const std::vector<std::string> cards = {"501234567896", "4111111111111111", "378282246310005",
                                          "6222020200112233446", "5555555555554444"};
  std::set<std::string> seen;
  for (int batch = 0; batch < 100; ++batch) {
    std::vector<TokenizeItem> items;
    for (int i = 0; i < 1000; ++i) {
      items.push_back(
          {"bank_card", cards[(batch * 1000 + i) % cards.size()], "", "format_preserving", 0});
    }
    auto r = tokens().Tokenize("acme", items);
    ASSERT_TRUE(r.ok()) << r.status();
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string& card = items[i].value;
      const std::string& t = (*r)[i].token;
      ASSERT_EQ(t.size(), card.size());
      ASSERT_EQ(t.substr(t.size() - 4), card.substr(card.size() - 4));
      ASSERT_TRUE(LuhnValid(t));
      ASSERT_NE(t, card);
      seen.insert(t);
    }
  }
  EXPECT_EQ(seen.size(), 100000u);
  // And they resolve to their cards.
  auto some =
      *tokens().Tokenize("acme", {{"bank_card", "4111111111111111", "", "format_preserving", 0}});
  EXPECT_EQ(Detokenize("acme", some[0].token).value, "4111111111111111");
}

TEST_F(TokenServiceTest, FormatPreservingPhoneTokenResolves) {
  std::string t = Tokenize("acme", {"phone", "+86 138 0013 8000", "", "format_preserving", 0});
  EXPECT_EQ(t.substr(0, 3), "+86");
  EXPECT_EQ(t.substr(t.size() - 4), "8000");
  EXPECT_NE(t, "+8613800138000");
  EXPECT_EQ(Detokenize("acme", t).value, "+8613800138000");
}

TEST_F(TokenServiceTest, TtlExpiresWithTheFakeClock) {
  std::string t = Tokenize("acme", {"email", "a@example.com", "", "", 60});
  clock_.Advance(absl::Seconds(59));
  EXPECT_EQ(Detokenize("acme", t).value, "a@example.com");
  clock_.Advance(absl::Seconds(1));
  DetokenizeResult r = Detokenize("acme", t);
  EXPECT_TRUE(IsExpired(r.status));
  EXPECT_EQ(r.value, "");
}

TEST_F(TokenServiceTest, RevokedTokenIsNotFound) {
  std::string t = Tokenize("acme", {"email", "a@example.com", "", "", 0});
  ASSERT_TRUE(tokens().Revoke("acme", t).ok());
  EXPECT_TRUE(absl::IsNotFound(Detokenize("acme", t).status));
  EXPECT_TRUE(absl::IsNotFound(tokens().Revoke("acme", t)));
  EXPECT_TRUE(absl::IsNotFound(tokens().Revoke("acme", "not-a-token")));
}

TEST_F(TokenServiceTest, OneInvalidItemRejectsTheBatchAndStoresNothing) {
  auto before = memory_->Dump();
  std::vector<TokenizeItem> items = {{"phone", "+8613800138000", "u-1", "", 0},
                                     {"email", "a@example.com", "", "", 0},
                                     {"bank_card", "4111 1111 1111 1112", "", "", 0}};
  auto r = tokens().Tokenize("acme", items);
  ASSERT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_NE(r.status().message().find("items[2]"), absl::string_view::npos);
  EXPECT_EQ(r.status().message().find("1112"), absl::string_view::npos);
  EXPECT_EQ(memory_->Dump(), before);
  for (auto bad : std::vector<TokenizeItem>{{"email", "x", "", "", 0},
                                            {"email", "a@example.com", "", "sideways", 0},
                                            {"email", "a@example.com", "", "format_preserving", 0},
                                            {"email", "a@example.com", "bad subject", "", 0},
                                            {"email", "a@example.com", "", "", -1},
                                            {"shoe", "42", "", "", 0}}) {
    EXPECT_TRUE(absl::IsInvalidArgument(tokens().Tokenize("acme", {bad}).status()));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(tokens().Tokenize("acme", {}).status()));
  EXPECT_EQ(memory_->Dump(), before);
}

TEST_F(TokenServiceTest, FailedWriteStoresNothing) {
  auto before = memory_->Dump();
  faulty_->FailWrites(1);
  EXPECT_FALSE(tokens().Tokenize("acme", {{"phone", "+8613800138000", "u-7", "", 0}}).ok());
  EXPECT_EQ(memory_->Dump(), before);
}

TEST_F(TokenServiceTest, MalformedAndUnknownTokensAreNotFoundPerItem) {
  std::string good = Tokenize("acme", {"generic", "hello", "", "", 0});
  auto r = tokens().Detokenize("acme", {"garbage", good, "tok_AAAAAAAAAAAAAAAAAAAAAA"},
                               RevealLevel::kPlain);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE(absl::IsNotFound((*r)[0].status));
  EXPECT_EQ((*r)[1].value, "hello");
  EXPECT_TRUE(absl::IsNotFound((*r)[2].status));
  EXPECT_EQ((*r)[0].token, "garbage");  // request order kept
}

TEST_F(TokenServiceTest, SubjectTokenIsGoneWhenTheSubjectKeyIsDestroyed) {
  std::string with_subject = Tokenize("acme", {"phone", "+8613800138000", "u-1", "", 0});
  std::string without = Tokenize("acme", {"phone", "+8613800138000", "", "", 0});
  storage::WriteBatch shred;
  shred.Delete(Table::kSubjectKeys, SubjectKey("acme", "u-1"));
  ASSERT_TRUE(memory_->Write(shred).ok());
  Parts(*vault_).subject_keys().Evict("acme", "u-1");
  DetokenizeResult r = Detokenize("acme", with_subject);
  EXPECT_TRUE(IsGone(r.status));
  EXPECT_EQ(r.value, "");
  EXPECT_EQ(Detokenize("acme", without).value, "+8613800138000");
}

TEST_F(TokenServiceTest, RecordMovedToAnotherTokenFailsAuthentication) {
  std::string a = Tokenize("acme", {"generic", "secret-a", "", "", 0});
  std::string b = Tokenize("acme", {"generic", "secret-b", "", "", 0});
  // Find both records and swap a's ciphertext into b's row.
  std::vector<std::pair<std::string, std::string>> rows;
  ASSERT_TRUE(memory_
                  ->ScanPrefix(Table::kTokens, TenantPrefix("acme"),
                               [&](std::string_view k, std::string_view v) {
                                 rows.emplace_back(k, v);
                                 return true;
                               })
                  .ok());
  ASSERT_EQ(rows.size(), 2u);
  storage::WriteBatch swap;
  swap.Put(Table::kTokens, rows[0].first, rows[1].second);
  swap.Put(Table::kTokens, rows[1].first, rows[0].second);
  ASSERT_TRUE(memory_->Write(swap).ok());
  // Integrity failure fails the whole call: never a partial answer.
  EXPECT_TRUE(absl::IsDataLoss(tokens().Detokenize("acme", {a}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(absl::IsDataLoss(tokens().Detokenize("acme", {b}, RevealLevel::kPlain).status()));
}

TEST_F(TokenServiceTest, ReadFaultFailsTheWholeCallWithNoData) {
  std::string t = Tokenize("acme", {"generic", "hello", "", "", 0});
  faulty_->FailReads(true);
  EXPECT_TRUE(absl::IsUnavailable(tokens().Detokenize("acme", {t}, RevealLevel::kPlain).status()));
}

TEST_F(TokenServiceTest, SealedAndUnknownTenant) {
  std::string t = Tokenize("acme", {"generic", "hello", "", "", 0});
  EXPECT_TRUE(absl::IsNotFound(tokens().Detokenize("nobody", {t}, RevealLevel::kPlain).status()));
  Parts(*vault_).keys().Seal();
  EXPECT_TRUE(IsSealed(tokens().Detokenize("acme", {t}, RevealLevel::kPlain).status()));
  EXPECT_TRUE(IsSealed(tokens().Tokenize("acme", {{"generic", "x", "", "", 0}}).status()));
}

TEST_F(TokenServiceTest, FieldTokensFollowTheFieldAndDieWithIt) {
  auto put = Parts(*vault_).subjects().PutFields("acme", "u-1",
                                                 {{"mobile", {"phone", "+8613800138000", ""}}});
  ASSERT_TRUE(put.ok());
  const std::string t = put->at("mobile");
  EXPECT_EQ(Detokenize("acme", t, RevealLevel::kMasked).value, "+86 138****8000");
  auto again = Parts(*vault_).subjects().PutFields("acme", "u-1",
                                                   {{"mobile", {"phone", "+14155552671", ""}}});
  EXPECT_EQ(again->at("mobile"), t);  // stable per subject and field
  EXPECT_EQ(Detokenize("acme", t).value, "+14155552671");
  ASSERT_TRUE(Parts(*vault_).subjects().DeleteField("acme", "u-1", "mobile").ok());
  EXPECT_TRUE(absl::IsNotFound(Detokenize("acme", t).status));
}

TEST_F(TokenServiceTest, ManyItemsForTheSameNewSubjectShareOneKey) {
  std::vector<TokenizeItem> items;
  for (int i = 0; i < 20; ++i)
    items.push_back({"generic", "v" + std::to_string(i), "u-new", "", 0});
  auto r = tokens().Tokenize("acme", items);
  ASSERT_TRUE(r.ok());
  Parts(*vault_).subject_keys().EvictAll();
  std::vector<std::string> ts;
  for (const auto& x : *r) ts.push_back(x.token);
  auto d = *tokens().Detokenize("acme", ts, RevealLevel::kPlain);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(d[static_cast<size_t>(i)].value, "v" + std::to_string(i));
}

}  // namespace
}  // namespace vault
