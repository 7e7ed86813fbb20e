// #17 through the real entry points: a subject's signed access report
// (fetched with vaultctl, verified offline, compared with the audit log),
// and an audit export that holds no trace of an erased subject while its
// chain still verifies.
#include <set>

#include "tests/ops/vaultctl_fixture.h"

namespace vault::testing {
namespace {

class VaultctlReportTest : public VaultctlTest {
 protected:
  // A privacy officer of acme: export (for reports) and audit, purpose
  // subject_request; returns its key.
  std::string Officer() {
    CtlResult role =
        Root({"roles", "put", "--tenant", "acme", "dpo", "--actions", "export,audit", "--types",
              "*", "--max-reveal", "plain", "--purposes", "subject_request"});
    EXPECT_EQ(role.exit_code, 0) << role.err;
    CtlResult p = Root(
        {"--json", "principals", "create", "--tenant", "acme", "--name", "dpo", "--roles", "dpo"});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    return Parse<v1::PrincipalResponse>(p.out).api_key();
  }
  std::string PublicKey() {
    ops::HttpResult r = Call("GET", "/v1/sys/receipt-key", "", "");
    EXPECT_EQ(r.status, 200);
    return Parse<v1::ReceiptKeyResponse>(r.body).public_key();
  }
  std::vector<v1::AuditEntryView> AuditOf(const std::string& key, const std::string& subject) {
    ops::HttpResult r =
        Call("GET", "/v1/tenants/acme/audit?limit=1000&subject=" + subject, "", key);
    EXPECT_EQ(r.status, 200) << r.body;
    v1::AuditQueryResponse page = Parse<v1::AuditQueryResponse>(r.body);
    return {page.entries().begin(), page.entries().end()};
  }
};

TEST_F(VaultctlReportTest, AccessReportVerifiesOfflineAndMatchesTheAuditLog) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  PutSubject(app, "u-1");
  PutSubject(app, "u-2");
  ASSERT_EQ(ReadSubject(app, "u-1"), "u-1@example.com");
  ASSERT_EQ(ReadSubject(app, "u-2"), "u-2@example.com");
  // Refused (a purpose the role lacks): a denied entry.
  ops::HttpResult denied = Call("GET", "/v1/tenants/acme/subjects/u-1?reveal=plain", "", app,
                                {{"X-Purpose", "billing"}});
  ASSERT_EQ(denied.status, 403);
  const std::string dpo = Officer();

  // Another purpose than subject_request is refused.
  EXPECT_NE(Ctl({"report", "get", "--tenant", "acme", "--subject", "u-1"}, "", app).exit_code, 0);
  const std::string file = dir_.Sub("report-u-1.json");
  CtlResult got =
      Ctl({"report", "get", "--tenant", "acme", "--subject", "u-1", "--out", file}, "", dpo);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  CtlResult ok = Ctl({"report", "verify", "--file", file, "--public-key", PublicKey()});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("access report verifies"), std::string::npos) << ok.out;

  // Complete: the same entries as the audit log's per-subject query, up to
  // the report itself (the query below adds its own entry after it).
  v1::AccessReportResponse report = Parse<v1::AccessReportResponse>(ReadAll(file));
  EXPECT_EQ(report.subject(), "u-1");
  std::vector<v1::AuditEntryView> audit = AuditOf(dpo, "u-1");
  ASSERT_GE(report.entries_size(), 4);  // write, read, refused read, the report
  ASSERT_EQ(audit.size(), static_cast<size_t>(report.entries_size()) + 1);
  std::set<std::string> outcomes, principals;
  for (int i = 0; i < report.entries_size(); ++i) {
    const v1::AccessReportEntryView& r = report.entries(i);
    const v1::AuditEntryView& a = audit[static_cast<size_t>(i)];
    EXPECT_EQ(r.seq(), a.seq());
    EXPECT_EQ(r.time(), a.time());
    EXPECT_EQ(r.principal(), a.principal());
    EXPECT_EQ(r.action(), a.action());
    EXPECT_EQ(r.purpose(), a.purpose());
    EXPECT_EQ(r.outcome(), a.outcome());
    EXPECT_EQ(r.subject_ref(), a.subject_ref());
    EXPECT_EQ(std::vector<std::string>(r.types().begin(), r.types().end()),
              std::vector<std::string>(a.types().begin(), a.types().end()));
    outcomes.insert(r.outcome());
    principals.insert(r.principal());
  }
  EXPECT_EQ(outcomes, (std::set<std::string>{"allowed", "denied"}));
  EXPECT_EQ(principals.size(), 2u);  // the application and the officer
  EXPECT_EQ(report.entries(report.entries_size() - 1).action(), "export");

  // Altered (a refusal turned into an allowed read), cut short, or checked
  // against another key: refused.
  std::string json = ReadAll(file);
  std::string altered = json;
  altered.replace(altered.find("\"denied\""), 8, "\"allowed\"");
  WriteAll(dir_.Sub("altered.json"), altered);
  EXPECT_NE(
      Ctl({"report", "verify", "--file", dir_.Sub("altered.json"), "--public-key", PublicKey()})
          .exit_code,
      0);
  v1::AccessReportResponse cut = report;
  cut.mutable_entries()->RemoveLast();
  WriteAll(dir_.Sub("cut.json"), client::ToJson(cut));
  EXPECT_NE(Ctl({"report", "verify", "--file", dir_.Sub("cut.json"), "--public-key", PublicKey()})
                .exit_code,
            0);
  EXPECT_NE(Ctl({"report", "verify", "--file", file, "--public-key",
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
                .exit_code,
            0);
}

TEST_F(VaultctlReportTest, AfterErasureTheAuditExportHoldsNoTraceOfTheSubject) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  PutSubject(app, "erase-me-7");
  PutSubject(app, "keep-me-8");
  ASSERT_EQ(ReadSubject(app, "erase-me-7"), "erase-me-7@example.com");
  ASSERT_EQ(ReadSubject(app, "keep-me-8"), "keep-me-8@example.com");
  const std::string dpo = Officer();
  ASSERT_EQ(AuditOf(dpo, "erase-me-7").size(), 3u);  // write, read, this query

  CtlResult erased = Ctl(
      {"erasure", "request", "--tenant", "acme", "erase-me-7", "--grace-seconds", "0"}, "", app);
  ASSERT_EQ(erased.exit_code, 0) << erased.err;
  ASSERT_EQ(ReadSubject(app, "erase-me-7"), "HTTP 410");
  // No query links it any more (this one is logged as naming an erased subject).
  for (const v1::AuditEntryView& e : AuditOf(dpo, "erase-me-7")) {
    ADD_FAILURE() << "entry " << e.seq() << " still found for the erased subject";
  }

  const std::string file = dir_.Sub("audit.jsonl");
  CtlResult exported = Root({"audit", "export", "--out", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string chain = ReadAll(file);
  ASSERT_GT(Lines(chain), 8);
  EXPECT_EQ(chain.find("erase-me-7"), std::string::npos);
  EXPECT_NE(chain.find("\"erased\""), std::string::npos);
  CtlResult verified = Root({"audit", "verify", "--file", file, "--public-key", PublicKey()});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(Root({"audit", "verify"}).exit_code, 0);
  // Its report is gone; the other subject's stays.
  EXPECT_EQ(Call("GET", "/v1/tenants/acme/subjects/erase-me-7/access-report", "", dpo).status, 410);
  EXPECT_EQ(AuditOf(dpo, "keep-me-8").size(), 3u);  // write, read, and the query before
}

}  // namespace
}  // namespace vault::testing
