// DataAccess, continued: subject access exports, the audit entry of every
// read and refusal (durable before data is returned), storage and seal
// faults, a randomised workload, and error messages without values.
#include "vault/data_access.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/vault/data_access_fixture.h"
#include "vault/internal/vault_parts.h"

using vault::internal::Parts;

namespace vault {
namespace {

TEST_F(DataAccessTest, ExportGivesEverythingForASubjectAccessRequest) {
  ASSERT_TRUE(access()
                  .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                              {{"mobile", {"phone", "+8613800138000", ""}},
                               {"card", {"bank_card", "4111111111111111", ""}}})
                  .ok());
  ASSERT_TRUE(access()
                  .PutRole(root_, "acme",
                           MakeRole("dpo", {"export", "hold", "erase"}, {"*"}, "plain",
                                    {"subject_request"}))
                  .ok());
  Principal dpo = Login("acme", "privacy-officer", {"dpo"});
  ASSERT_TRUE(access().PutHold(Ctx(dpo), "acme", "u-1", "dispute-1", "dispute").ok());
  auto ex = access().Export(Ctx(dpo), "acme", "u-1");
  ASSERT_TRUE(ex.ok()) << ex.status();
  EXPECT_EQ(ex->fields.at("card").value, "4111111111111111");
  EXPECT_EQ(ex->fields.at("mobile").value, "+8613800138000");
  ASSERT_EQ(ex->holds.size(), 1u);
  EXPECT_EQ(ex->holds[0].hold_id(), "dispute-1");
  EXPECT_FALSE(ex->pending_erasure.has_value());
  EXPECT_GE(ex->access_report.size(), 2u);  // the write and the hold
  EXPECT_EQ(AllEntries().back().action(), "export");
  EXPECT_EQ(AllEntries().back().purpose(), "subject_request");
  // Support may not export; a partial export is refused, not trimmed.
  EXPECT_TRUE(
      absl::IsPermissionDenied(access().Export(Ctx(support_, "support"), "acme", "u-1").status()));
  ASSERT_TRUE(access()
                  .PutRole(root_, "acme",
                           MakeRole("narrow", {"export"}, {"phone"}, "plain", {"subject_request"}))
                  .ok());
  Principal narrow = Login("acme", "narrow", {"narrow"});
  EXPECT_TRUE(absl::IsPermissionDenied(access().Export(Ctx(narrow), "acme", "u-1").status()));
}

TEST_F(DataAccessTest, EveryReadAndRefusalIsLoggedPerSubject) {
  auto t = *access().Tokenize(Ctx(tokenizer_), "acme",
                              {{"phone", "+8613800138000", "u-1", "", 0},
                               {"phone", "+8613900139000", "u-2", "", 0},
                               {"bank_card", "4111111111111111", "u-2", "", 0}});
  const size_t before = AllEntries().size();
  auto r = *access().Detokenize(Ctx(support_, "support"), "acme",
                                {t[0].token, t[1].token, t[2].token}, RevealLevel::kMasked);
  std::vector<records::AuditEntry> entries = AllEntries();
  ASSERT_EQ(entries.size(), before + 2);  // u-1 and u-2
  const records::AuditEntry& u2 = entries.back();
  EXPECT_EQ(u2.subject(), "");  // stored as a pseudonym (subject_pseudonyms_test.cc)
  EXPECT_EQ(u2.subject_ref().substr(0, 3), "sp_");
  EXPECT_EQ(u2.principal(), support_.id);
  EXPECT_EQ(u2.action(), "detokenize");
  EXPECT_EQ(u2.purpose(), "support");
  EXPECT_EQ(u2.outcome(), "allowed");
  EXPECT_EQ(u2.request_id(), "req-1");
  EXPECT_EQ(u2.types_size(), 2);  // phone returned, bank_card refused
  EXPECT_EQ(u2.fingerprints_size(), 2);
  // A refused call writes a denied entry.
  EXPECT_FALSE(access().Detokenize(Ctx(support_), "acme", {t[0].token}, RevealLevel::kMasked).ok());
  EXPECT_EQ(AllEntries().back().outcome(), "denied");
  EXPECT_EQ(AllEntries().back().reason(), "the role requires a stated purpose");
  // The subject's access report.
  AuditQuery q;
  q.tenant = "acme";
  q.subject = "u-2";
  auto report = access().QueryAudit(Ctx(auditor_), q);
  ASSERT_TRUE(report.ok()) << report.status();
  // tokenize, detokenize, and this very query of u-2's report.
  ASSERT_EQ(report->entries.size(), 3u);
  EXPECT_EQ(report->entries[0].action(), "tokenize");
  EXPECT_EQ(report->entries[1].action(), "detokenize");
  EXPECT_EQ(report->entries[2].action(), "audit");
  for (const records::AuditEntry& e : report->entries) {
    EXPECT_EQ(e.subject(), "u-2");
    EXPECT_EQ(e.subject_ref(), u2.subject_ref());
  }
  EXPECT_TRUE(absl::IsPermissionDenied(access().QueryAudit(Ctx(support_, "support"), q).status()));
  // And the chain verifies.
  auto v = *Parts(*vault_).audit().Verify();
  EXPECT_TRUE(v.ok) << v.problem;
}

TEST_F(DataAccessTest, StorageFaultOnTheAuditEntryReturnsNoData) {
  auto t = *access().Tokenize(Ctx(tokenizer_), "acme", {{"phone", "+8613800138000", "u-1", "", 0}});
  ASSERT_TRUE(
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"mobile", {"phone", "+8613800138000", ""}}})
          .ok());
  const size_t before = AllEntries().size();
  faulty_->FailWrites(1);
  auto r =
      access().Detokenize(Ctx(support_, "support"), "acme", {t[0].token}, RevealLevel::kMasked);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  faulty_->FailWrites(1);
  auto view =
      access().ReadSubject(Ctx(support_, "support"), "acme", "u-1", {}, RevealLevel::kMasked);
  EXPECT_TRUE(absl::IsUnavailable(view.status())) << view.status();
  EXPECT_EQ(AllEntries().size(), before);
  // Both refusals are counted for GET /metrics (vaultd_audit_write_failures_total).
  EXPECT_EQ(vault_->system().Status().audit_write_failures, 2u);
  // With storage back, reads work and are logged.
  EXPECT_TRUE(access()
                  .Detokenize(Ctx(support_, "support"), "acme", {t[0].token}, RevealLevel::kMasked)
                  .ok());
  EXPECT_EQ(AllEntries().size(), before + 1);
}

TEST_F(DataAccessTest, SealedAuditKeyMeansNoDataEither) {
  auto t = *access().Tokenize(Ctx(tokenizer_), "acme", {{"phone", "+8613800138000", "", "", 0}});
  Parts(*vault_).keys().Seal();
  EXPECT_FALSE(access()
                   .Detokenize(Ctx(support_, "support"), "acme", {t[0].token}, RevealLevel::kMasked)
                   .ok());
  // A sealed vault is not an audit write failure (vaultd_sealed tells it).
  EXPECT_EQ(vault_->system().Status().audit_write_failures, 0u);
}

// Across a random mix of calls, the audit log holds exactly one entry per
// (call, subject) that returned or refused data, plus one per write.
TEST_F(DataAccessTest, RandomisedWorkloadLogsEveryReadAndRefusal) {
  std::mt19937 rng(42);
  std::vector<std::string> tokens;
  std::vector<std::string> written_values;
  const size_t before = AllEntries().size();
  size_t expected = 0;
  for (int i = 0; i < 400; ++i) {
    const int op = static_cast<int>(rng() % 5);
    const std::string subject = "u-" + std::to_string(rng() % 5);
    if (op == 0 || tokens.empty()) {
      std::string value = "+86139" + std::to_string(10000000 + static_cast<int>(rng() % 9000000));
      written_values.push_back(value);
      auto r = access().Tokenize(Ctx(tokenizer_), "acme", {{"phone", value, subject, "", 0}});
      ASSERT_TRUE(r.ok());
      tokens.push_back(r->at(0).token);
      expected += 1;  // one subject per call
    } else if (op == 1) {
      const std::string& tok = tokens[rng() % tokens.size()];
      auto r = access().Detokenize(Ctx(support_, "support"), "acme", {tok}, RevealLevel::kMasked);
      ASSERT_TRUE(r.ok());
      expected += 1;
    } else if (op == 2) {
      // Refused at call level (no purpose).
      EXPECT_FALSE(
          access().Detokenize(Ctx(support_), "acme", {tokens[0]}, RevealLevel::kMasked).ok());
      expected += 1;
    } else if (op == 3) {
      // Unknown tokens return and refuse nothing: no entry.
      auto r = access().Detokenize(Ctx(support_, "support"), "acme", {"tok_AAAAAAAAAAAAAAAAAAAAAA"},
                                   RevealLevel::kMasked);
      ASSERT_TRUE(r.ok());
    } else {
      auto found = access().Search(Ctx(support_, "support"), "acme", "phone",
                                   written_values[rng() % written_values.size()]);
      ASSERT_TRUE(found.ok());
      expected += std::max<size_t>(1, found->size());
    }
  }
  EXPECT_EQ(AllEntries().size() - before, expected);
  // No audit entry holds a value.
  for (const records::AuditEntry& e : AllEntries()) {
    std::string bytes = e.SerializeAsString();
    for (const std::string& v : written_values) {
      ASSERT_EQ(bytes.find(v), std::string::npos);
      ASSERT_EQ(bytes.find(v.substr(1)), std::string::npos);
    }
  }
}

TEST_F(DataAccessTest, ErrorMessagesCarryNoValues) {
  const std::vector<std::string> secrets = {"+8613800138001", "4111111111111112",
                                            "11010519491231002Y", "not-an-email", "1999-02-30"};
  std::vector<std::string> messages;
  messages.push_back(
      std::string(access()
                      .Tokenize(Ctx(tokenizer_), "acme", {{"phone", secrets[0] + "x", "", "", 0}})
                      .status()
                      .message()));
  messages.push_back(
      std::string(access()
                      .Tokenize(Ctx(tokenizer_), "acme", {{"bank_card", secrets[1], "", "", 0}})
                      .status()
                      .message()));
  messages.push_back(std::string(access()
                                     .PutSubject(Ctx(tokenizer_), "acme", "u-1",
                                                 {{"id", {"cn_resident_id", secrets[2], ""}},
                                                  {"mail", {"email", secrets[3], ""}}})
                                     .status()
                                     .message()));
  messages.push_back(std::string(
      access()
          .PutSubject(Ctx(tokenizer_), "acme", "u-1", {{"dob", {"date_of_birth", secrets[4], ""}}})
          .status()
          .message()));
  messages.push_back(
      std::string(access()
                      .Search(Ctx(support_, "support"), "acme", "phone", secrets[0] + "x")
                      .status()
                      .message()));
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    for (const std::string& s : secrets) {
      EXPECT_EQ(m.find(s), std::string::npos) << m;
      EXPECT_EQ(m.find(s.substr(2, 8)), std::string::npos) << m;
    }
  }
}

}  // namespace
}  // namespace vault
