// vaultctl against a real vaultd: init and unseal with Shamir shares, key
// rotation and rewrap under load, a rewrap interrupted by SIGKILL, backup and
// restore with shred-ledger replay, offline verification, and bad input with
// its exit codes (0 ok, 1 refused/failed/unreachable, 2 usage).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "api/api.pb.h"
#include "client/json.h"
#include "ops/http_client.h"
#include "tests/api/vaultd_process.h"
#include "tests/testing/temp_dir.h"

namespace vault::testing {
namespace {

namespace v1 = api::v1;

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs vaultctl with `args`, VAULTCTL_ADDR/VAULTCTL_API_KEY from `env`, and
// `input` on standard input.
CtlResult RunCtl(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                 const std::string& input = "") {
  int in[2], out[2], err[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0 || ::pipe(err) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
    ::unsetenv("VAULTCTL_ADDR");
    ::unsetenv("VAULTCTL_API_KEY");
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> all = args;
    all.insert(all.begin(), VAULTCTL_PATH);
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  std::thread writer([fd = in[1], input] {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = ::write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  CtlResult r;
  auto drain = [](int fd, std::string* to) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) to->append(buf, static_cast<size_t>(n));
    ::close(fd);
  };
  std::thread err_reader(drain, err[0], &r.err);
  drain(out[0], &r.out);
  err_reader.join();
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

int Lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

template <class T>
T Parse(const std::string& json) {
  T out;
  EXPECT_TRUE(client::ParseJson(json, &out).ok()) << json;
  return out;
}

// A vaultd initialised with 5 shares (threshold 3) through vaultctl.
class VaultctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.Sub("backups"));
    WriteAll(dir_.Sub("vaultd.conf"), "rewrap_chunk_size: 10\nrewrap_chunk_pause_ms: 100\n");
    Start();
    CtlResult init = Ctl({"init", "--shares", "5", "--threshold", "3", "--out-dir", dir_.Sub("keys")});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    root_key_ = ReadFirstLine(dir_.Sub("keys/root-api-key"));
    ASSERT_FALSE(root_key_.empty());
  }

  void Start(const std::string& data = "") {
    server_ = std::make_unique<VaultdProcess>(std::vector<std::string>{
        "--data-dir", data.empty() ? dir_.Sub("data") : data, "--backup-dir", dir_.Sub("backups"),
        "--config", dir_.Sub("vaultd.conf")});
    ASSERT_GT(server_->port(), 0);
    http_ = std::make_unique<ops::HttpClient>("127.0.0.1", server_->port());
  }
  std::string Addr() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  CtlResult Ctl(const std::vector<std::string>& args, const std::string& input = "",
                const std::string& key = "") {
    return RunCtl(args, {{"VAULTCTL_ADDR", Addr()}, {"VAULTCTL_API_KEY", key}}, input);
  }
  CtlResult Root(const std::vector<std::string>& args, const std::string& input = "") {
    return Ctl(args, input, root_key_);
  }
  std::string Share(int i) { return ReadFirstLine(dir_.Sub("keys/share-" + std::to_string(i))); }
  void Unseal(std::initializer_list<int> which) {
    std::string input;
    for (int i : which) input += Share(i) + "\n";
    CtlResult r = Ctl({"unseal"}, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_NE(r.out.find("unsealed"), std::string::npos) << r.out;
  }
  ops::HttpResult Call(const std::string& method, const std::string& target,
                       const std::string& body, const std::string& key,
                       std::map<std::string, std::string> headers = {}) {
    headers["Authorization"] = "Bearer " + key;
    return http_->Request(method, target, body, headers);
  }
  // Tenant acme with an application principal allowed to write and read
  // plain with purpose support; returns its key.
  std::string SetUpTenant() {
    EXPECT_EQ(Root({"tenants", "create", "acme"}).exit_code, 0);
    CtlResult role = Root({"roles", "put", "--tenant", "acme", "app", "--actions",
                           "tokenize,detokenize,write,read,erase,hold", "--types", "*", "--max-reveal",
                           "plain", "--purposes", "support"});
    EXPECT_EQ(role.exit_code, 0) << role.err;
    CtlResult p = Root({"--json", "principals", "create", "--tenant", "acme", "--name", "app",
                        "--roles", "app"});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    return Parse<v1::PrincipalResponse>(p.out).api_key();
  }
  void PutSubject(const std::string& key, const std::string& subject) {
    ops::HttpResult r = Call("PUT", "/v1/tenants/acme/subjects/" + subject,
                             R"({"fields": {"email": {"type": "email", "value": ")" + subject +
                                 R"(@example.com"}}})",
                             key);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // The subject's email in plain, or the HTTP status as text.
  std::string ReadSubject(const std::string& key, const std::string& subject) {
    ops::HttpResult r = Call("GET", "/v1/tenants/acme/subjects/" + subject + "?reveal=plain", "",
                             key, {{"X-Purpose", "support"}});
    if (r.status != 200) return "HTTP " + std::to_string(r.status);
    return Parse<v1::SubjectResponse>(r.body).fields().at("email").value();
  }
  v1::KeyList Keys() {
    CtlResult r = Root({"--json", "keys", "list", "--tenant", "acme"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Parse<v1::KeyList>(r.out);
  }

  TempDir dir_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<ops::HttpClient> http_;
  std::string root_key_;
};

TEST_F(VaultctlTest, ThreeOfFiveSharesUnsealTwoDoNotEvenAcrossARestart) {
  CtlResult status = Ctl({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(Parse<v1::HealthResponse>(status.out).sealed());

  CtlResult two = Ctl({"unseal"}, Share(1) + "\n" + Share(4) + "\n");
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_NE(two.out.find("sealed: 2 of 3"), std::string::npos) << two.out;
  EXPECT_TRUE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());

  // A fresh process (which never split a secret) combines shares too.
  server_->Stop();
  Start();
  EXPECT_TRUE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());
  Unseal({2, 3, 5});
  EXPECT_FALSE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());

  // Seal needs the operator; unseal again with another three.
  EXPECT_EQ(Ctl({"seal"}).exit_code, 1);
  ASSERT_EQ(Root({"seal"}).exit_code, 0);
  EXPECT_TRUE(Parse<v1::HealthResponse>(Ctl({"--json", "status"}).out).sealed());
  Unseal({1, 4, 5});
}

TEST_F(VaultctlTest, RotateAndRewrapWhileLoadKeepsSucceeding) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  for (int i = 0; i < 120; ++i) PutSubject(app, "s" + std::to_string(i));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    ops::HttpClient c("127.0.0.1", server_->port());
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + app},
                                            {"X-Purpose", "support"}};
    for (int i = 0; !stop.load(); ++i) {
      ops::HttpResult t = c.Request("POST", "/v1/tenants/acme/tokenize",
                                    R"({"items": [{"type": "email", "value": "load)" +
                                        std::to_string(i) + R"(@example.com"}]})",
                                    h);
      if (t.status != 200) {
        ++failed;
        continue;
      }
      const std::string token = Parse<v1::TokenizeResponse>(t.body).items(0).token();
      ops::HttpResult d = c.Request("POST", "/v1/tenants/acme/detokenize",
                                    R"({"tokens": [")" + token + R"("], "reveal": "plain"})", h);
      v1::DetokenizeResponse dr;
      if (d.status == 200 && client::ParseJson(d.body, &dr).ok() && dr.items_size() == 1 &&
          dr.items(0).value() == "load" + std::to_string(i) + "@example.com") {
        ++ok;
      } else {
        ++failed;
      }
    }
  });

  CtlResult rotate = Root({"keys", "rotate", "--tenant", "acme"});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  CtlResult start = Root({"--json", "keys", "rewrap", "--tenant", "acme", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string job = Parse<v1::JobResponse>(start.out).job_id();
  // While the job runs, no version is destroyed yet, and progress moves.
  bool saw_progress = false;
  for (;;) {
    // Keys first: if the job still runs afterwards, it ran when they were read.
    const v1::KeyList now = Keys();
    v1::JobResponse j = Parse<v1::JobResponse>(Root({"--json", "jobs", "get", job}).out);
    if (j.state() != "running") {
      ASSERT_EQ(j.state(), "done");
      EXPECT_EQ(j.done(), j.total());
      break;
    }
    if (j.done() > 0 && j.done() < j.total()) saw_progress = true;
    for (const v1::KeyVersion& k : now.versions()) {
      EXPECT_NE(k.state(), "destroyed") << "version " << k.version() << " destroyed mid-rewrap";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(saw_progress);
  stop = true;
  load.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(failed.load(), 0);

  v1::KeyList keys = Keys();
  ASSERT_EQ(keys.versions_size(), 3);
  EXPECT_EQ(keys.versions(0).state(), "destroyed");
  EXPECT_EQ(keys.versions(1).state(), "destroyed");
  EXPECT_EQ(keys.versions(2).state(), "active");
  for (int i = 0; i < 120; i += 7) {
    EXPECT_EQ(ReadSubject(app, "s" + std::to_string(i)), "s" + std::to_string(i) + "@example.com");
  }
  server_->Stop();
  Start();
  Unseal({3, 4, 5});
  for (int i = 0; i < 120; i += 7) {
    EXPECT_EQ(ReadSubject(app, "s" + std::to_string(i)), "s" + std::to_string(i) + "@example.com");
  }
  // Root rotation is online too.
  CtlResult root = Root({"rotate-root"});
  ASSERT_EQ(root.exit_code, 0) << root.err;
  EXPECT_EQ(ReadSubject(app, "s7"), "s7@example.com");
}

TEST_F(VaultctlTest, RewrapKilledMidwayResumesAfterRestart) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  for (int i = 0; i < 150; ++i) PutSubject(app, "k" + std::to_string(i));
  CtlResult start = Root({"--json", "keys", "rewrap", "--tenant", "acme", "--no-wait"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const std::string job = Parse<v1::JobResponse>(start.out).job_id();
  // 15 chunks of 10 with 100 ms pauses: kill once some but not all moved.
  v1::JobResponse j;
  for (int i = 0; i < 400; ++i) {
    j = Parse<v1::JobResponse>(Root({"--json", "jobs", "get", job}).out);
    if (j.done() >= 30) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(j.state(), "running");
  ASSERT_GE(j.done(), 30);
  ASSERT_LT(j.done(), j.total());
  server_->Kill();

  Start();
  Unseal({2, 4, 5});
  // Old versions survive the crash (the rewrap had not finished).
  v1::KeyList mid = Keys();
  ASSERT_EQ(mid.versions_size(), 2);
  EXPECT_EQ(mid.versions(0).state(), "retired");
  // The scheduler resumes the job; `jobs get --wait` follows it to the end.
  CtlResult wait = Root({"jobs", "get", job, "--wait"});
  ASSERT_EQ(wait.exit_code, 0) << wait.err;
  EXPECT_NE(wait.err.find("done 150/150"), std::string::npos) << wait.err;
  v1::KeyList after = Keys();
  ASSERT_EQ(after.versions_size(), 2);  // resumed without rotating again
  EXPECT_EQ(after.versions(0).state(), "destroyed");
  EXPECT_EQ(after.versions(1).state(), "active");
  for (int i = 0; i < 150; i += 9) {
    EXPECT_EQ(ReadSubject(app, "k" + std::to_string(i)), "k" + std::to_string(i) + "@example.com");
  }
}

TEST_F(VaultctlTest, RestoreReplaysTheShredLedgerSoAnErasedSubjectStaysErased) {
  Unseal({1, 2, 3});
  const std::string app = SetUpTenant();
  PutSubject(app, "alice");
  PutSubject(app, "bob");
  PutSubject(app, "carol");
  // Before the backup: a pending erasure of carol and a second principal.
  CtlResult pending = Ctl({"--json", "erasure", "request", "--tenant", "acme", "carol"}, "", app);
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  const std::string carol_erasure = Parse<v1::ErasureResponse>(pending.out).erasure_id();
  CtlResult temp = Root({"--json", "principals", "create", "--tenant", "acme", "--name", "temp",
                         "--roles", "app"});
  ASSERT_EQ(temp.exit_code, 0) << temp.err;
  const v1::PrincipalResponse temp_principal = Parse<v1::PrincipalResponse>(temp.out);
  CtlResult backup = Root({"backup", "create", "before-erasure"});
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // After it: carol's erasure cancelled, a hold on bob, the second key revoked.
  ASSERT_EQ(Ctl({"erasure", "cancel", "--tenant", "acme", "carol"}, "", app).exit_code, 0);
  ASSERT_EQ(Ctl({"holds", "put", "--tenant", "acme", "bob", "case-1", "--reason", "dispute"}, "", app)
                .exit_code,
            0);
  ASSERT_EQ(Root({"principals", "delete", "--tenant", "acme", temp_principal.id()}).exit_code, 0);
  const std::string backup_dir = dir_.Sub("backups/before-erasure");
  CtlResult key = Ctl({"receipts", "key"});
  ASSERT_EQ(key.exit_code, 0);
  WriteAll(dir_.Sub("pub"), key.out);
  CtlResult verify = Ctl({"backup", "verify", backup_dir, "--public-key-file", dir_.Sub("pub")});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;

  CtlResult erase = Ctl({"--json", "erasure", "request", "--tenant", "acme", "alice",
                         "--grace-seconds", "0"},
                        "", app);
  ASSERT_EQ(erase.exit_code, 0) << erase.err;
  WriteAll(dir_.Sub("receipt.json"), erase.out);
  EXPECT_EQ(Ctl({"receipts", "verify", dir_.Sub("receipt.json"), "--public-key-file", dir_.Sub("pub")})
                .exit_code,
            0);
  ASSERT_EQ(ReadSubject(app, "alice"), "HTTP 410");
  CtlResult ledger = Root({"ledger", "export", "--out", dir_.Sub("ledger.json")});
  ASSERT_EQ(ledger.exit_code, 0) << ledger.err;
  server_->Stop();

  // Without a ledger (or a statement that there is none) the restore refuses.
  const std::string restored = dir_.Sub("restored");
  EXPECT_EQ(RunCtl({"backup", "restore", backup_dir, "--data-dir", restored}, {}).exit_code, 2);
  // A ledger whose receipt was altered is refused, and nothing is written.
  std::string forged = ReadAll(dir_.Sub("ledger.json"));
  forged.replace(forged.find("alice"), 5, "bob");
  WriteAll(dir_.Sub("forged.json"), forged);
  CtlResult refused = RunCtl(
      {"backup", "restore", backup_dir, "--data-dir", restored, "--ledger", dir_.Sub("forged.json")},
      {});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(Lines(refused.err), 1) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(restored));

  CtlResult restore = RunCtl(
      {"backup", "restore", backup_dir, "--data-dir", restored, "--ledger", dir_.Sub("ledger.json")},
      {});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_NE(restore.out.find("1 subject"), std::string::npos) << restore.out;
  Start(restored);
  Unseal({3, 4, 5});
  EXPECT_EQ(ReadSubject(app, "alice"), "HTTP 410");
  EXPECT_EQ(ReadSubject(app, "bob"), "bob@example.com");
  CtlResult audit = Root({"audit", "verify"});
  // The live state came along: the cancelled erasure stays cancelled, the
  // hold holds, the revoked key stays revoked.
  CtlResult carol = Ctl({"--json", "erasure", "get", "--tenant", "acme", carol_erasure}, "", app);
  ASSERT_EQ(carol.exit_code, 0) << carol.err;
  EXPECT_EQ(Parse<v1::ErasureResponse>(carol.out).state(), "cancelled");
  CtlResult held = Ctl({"erasure", "request", "--tenant", "acme", "bob", "--grace-seconds", "0"}, "", app);
  EXPECT_EQ(held.exit_code, 1);
  EXPECT_NE(held.err.find("FAILED_PRECONDITION"), std::string::npos) << held.err;
  EXPECT_EQ(Ctl({"keys", "list", "--tenant", "acme"}, "", temp_principal.api_key()).exit_code, 1);
  EXPECT_NE(Ctl({"keys", "list", "--tenant", "acme"}, "", temp_principal.api_key()).err.find(
                "UNAUTHENTICATED"),
            std::string::npos);
  EXPECT_EQ(audit.exit_code, 0) << audit.err;

  // A tampered backup no longer verifies.
  std::filesystem::path some_sst;
  for (const auto& e : std::filesystem::directory_iterator(backup_dir + "/db")) {
    if (e.path().extension() == ".sst") some_sst = e.path();
  }
  ASSERT_FALSE(some_sst.empty());
  std::fstream f(some_sst, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(10);
  f.put('\x5a');
  f.close();
  CtlResult bad = Ctl({"backup", "verify", backup_dir});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("does NOT verify"), std::string::npos) << bad.err;
}

TEST_F(VaultctlTest, AuditExportVerifiesOfflineAndTamperingShows) {
  Unseal({1, 2, 3});
  SetUpTenant();
  CtlResult exported = Root({"audit", "export", "--out", dir_.Sub("audit.jsonl")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  WriteAll(dir_.Sub("pub"), Ctl({"receipts", "key"}).out);
  CtlResult ok = Ctl({"audit", "verify", "--file", dir_.Sub("audit.jsonl"), "--public-key-file",
                      dir_.Sub("pub")});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  std::string text = ReadAll(dir_.Sub("audit.jsonl"));
  ASSERT_GE(Lines(text), 3);
  const size_t at = text.find("\"action\":\"admin\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 16, "\"action\":\"audit\"");
  WriteAll(dir_.Sub("tampered.jsonl"), text);
  CtlResult bad = Ctl({"audit", "verify", "--file", dir_.Sub("tampered.jsonl"), "--public-key-file",
                       dir_.Sub("pub")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("entry was modified"), std::string::npos) << bad.err;
}

TEST_F(VaultctlTest, BadInputGivesOneLineErrorsAndTheDocumentedExitCodes) {
  // Wrong share: a mistyped one (checksum) and one of another vault's format.
  std::string typo = Share(1);
  typo[typo.size() - 2] = typo[typo.size() - 2] == 'A' ? 'B' : 'A';
  CtlResult wrong = Ctl({"unseal"}, typo + "\n");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(Lines(wrong.err), 1) << wrong.err;
  EXPECT_NE(wrong.err.find("INVALID_ARGUMENT"), std::string::npos) << wrong.err;
  Unseal({1, 2, 3});

  CtlResult unknown_tenant = Root({"keys", "list", "--tenant", "nope"});
  EXPECT_EQ(unknown_tenant.exit_code, 1);
  EXPECT_EQ(Lines(unknown_tenant.err), 1);
  EXPECT_NE(unknown_tenant.err.find("NOT_FOUND"), std::string::npos) << unknown_tenant.err;

  CtlResult bad_key = Ctl({"tenants", "create", "x"}, "", "vaultd_wrong");
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_EQ(Lines(bad_key.err), 1);
  EXPECT_NE(bad_key.err.find("UNAUTHENTICATED"), std::string::npos) << bad_key.err;

  CtlResult unreachable =
      RunCtl({"status"}, {{"VAULTCTL_ADDR", "http://127.0.0.1:1"}, {"VAULTCTL_API_KEY", root_key_}});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_EQ(Lines(unreachable.err), 1);
  EXPECT_NE(unreachable.err.find("unreachable"), std::string::npos) << unreachable.err;

  EXPECT_EQ(Root({"keys", "list"}).exit_code, 2);           // missing --tenant
  EXPECT_EQ(Root({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Root({"--addr", "localhost:8200", "status"}).exit_code, 2);  // no scheme
  EXPECT_EQ(Ctl({"unseal"}, "").exit_code, 2);               // no share given
  EXPECT_EQ(Root({"tenants", "erase", "acme"}).exit_code, 2);  // without --yes
  EXPECT_EQ(Ctl({"receipts", "verify", "-"}, "{}").exit_code, 2);  // no public key
}

TEST_F(VaultctlTest, GoneAnswerShowsTheServersCodeGone) {
  Unseal({1, 2, 3});
  ASSERT_EQ(Root({"tenants", "create", "doomed"}).exit_code, 0);
  ASSERT_EQ(Root({"tenants", "erase", "doomed", "--yes"}).exit_code, 0);
  for (bool json : {false, true}) {
    std::vector<std::string> args = {"tenants", "get", "doomed"};
    if (json) args.insert(args.begin(), "--json");
    CtlResult gone = Root(args);
    EXPECT_EQ(gone.exit_code, 1);
    EXPECT_EQ(Lines(gone.err), 1) << gone.err;
    EXPECT_NE(gone.err.find("GONE"), std::string::npos) << gone.err;
    EXPECT_NE(gone.err.find("HTTP 410"), std::string::npos) << gone.err;
  }
}

TEST_F(VaultctlTest, RolesPutWithoutMaxRevealGetsTheServersDefaultMasked) {
  Unseal({1, 2, 3});
  ASSERT_EQ(Root({"tenants", "create", "acme"}).exit_code, 0);
  CtlResult put = Root({"roles", "put", "--tenant", "acme", "reader", "--actions", "read"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  CtlResult list = Root({"--json", "roles", "list", "--tenant", "acme"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  v1::RoleList roles = Parse<v1::RoleList>(list.out);
  ASSERT_EQ(roles.roles_size(), 1);
  EXPECT_EQ(roles.roles(0).max_reveal(), "masked");
}

}  // namespace
}  // namespace vault::testing
