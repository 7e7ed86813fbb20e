// The fixture of the vaultctl tests (vaultctl_test.cc, vaultctl_backup_test.cc):
// a real vaultd initialised with 5 Shamir shares (threshold 3) through
// vaultctl, and helpers that run vaultctl as a child process.
// Thread-safety: one test thread.
#ifndef VAULT_TESTS_OPS_VAULTCTL_FIXTURE_H_
#define VAULT_TESTS_OPS_VAULTCTL_FIXTURE_H_

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

namespace v1 = api::v1;

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs vaultctl with `args`, VAULTCTL_ADDR/VAULTCTL_API_KEY from `env`, and
// `input` on standard input.
inline CtlResult RunCtl(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env,
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

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

inline int Lines(const std::string& s) {
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
    CtlResult init =
        Ctl({"init", "--shares", "5", "--threshold", "3", "--out-dir", dir_.Sub("keys")});
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
                           "tokenize,detokenize,write,read,erase,hold", "--types", "*",
                           "--max-reveal", "plain", "--purposes", "support"});
    EXPECT_EQ(role.exit_code, 0) << role.err;
    CtlResult p = Root(
        {"--json", "principals", "create", "--tenant", "acme", "--name", "app", "--roles", "app"});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    return Parse<v1::PrincipalResponse>(p.out).api_key();
  }
  void PutSubject(const std::string& key, const std::string& subject) {
    ops::HttpResult r = Call(
        "PUT", "/v1/tenants/acme/subjects/" + subject,
        R"({"fields": {"email": {"type": "email", "value": ")" + subject + R"(@example.com"}}})",
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

  // Restores of `backup_dir` into `restored` without a ledger, or with a
  // forged one, are refused and write nothing.
  void ExpectRestoreRefusedWithoutAGoodLedger(const std::string& backup_dir,
                                              const std::string& restored) {
    EXPECT_EQ(RunCtl({"backup", "restore", backup_dir, "--data-dir", restored}, {}).exit_code, 2);
    // A ledger whose receipt was altered is refused, and nothing is written.
    std::string forged = ReadAll(dir_.Sub("ledger.json"));
    forged.replace(forged.find("alice"), 5, "bob");
    WriteAll(dir_.Sub("forged.json"), forged);
    CtlResult refused = RunCtl({"backup", "restore", backup_dir, "--data-dir", restored, "--ledger",
                                dir_.Sub("forged.json")},
                               {});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(Lines(refused.err), 1) << refused.err;
    EXPECT_FALSE(std::filesystem::exists(restored));
  }
  // A byte changed in one of the backup's table files: verify fails.
  void ExpectTamperedBackupFailsToVerify(const std::string& backup_dir) {
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

  TempDir dir_;
  std::unique_ptr<VaultdProcess> server_;
  std::unique_ptr<ops::HttpClient> http_;
  std::string root_key_;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_OPS_VAULTCTL_FIXTURE_H_
