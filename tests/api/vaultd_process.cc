// Spawns vaultd with its stdout on a pipe and parses the port; with
// VAULT_TEST_STORAGE=postgres, first points it at a PostgreSQL database.
#include "tests/api/vaultd_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "tests/testing/pg_cluster.h"
#include "tests/testing/test_storage.h"

namespace vault::testing {
namespace {

// The value of `flag` in `args` ("--flag VALUE" or "--flag=VALUE"), or "".
std::string FlagValue(const std::vector<std::string>& args, const std::string& flag) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(flag + "=", 0) == 0) return args[i].substr(flag.size() + 1);
  }
  return "";
}

bool HasFlag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

// On PostgreSQL, adds --postgres CONNINFO for a vaultd with a --data-dir and
// no --postgres of its own: one new database of the shared cluster per data
// folder, the same one again when a test restarts vaultd on that folder (as
// the folder's RocksDB would be). False (after a test failure) when the
// cluster or the database could not be made.
bool AddTestStorage(std::vector<std::string>& args) {
  if (TestStorageIsRocksDb() || HasFlag(args, "--postgres")) return true;
  const std::string data_dir = FlagValue(args, "--data-dir");
  if (data_dir.empty()) return true;
  static std::mutex mu;
  static std::map<std::string, std::string> databases;
  const std::string key = std::filesystem::absolute(data_dir).lexically_normal().string();
  std::lock_guard<std::mutex> lock(mu);
  auto it = databases.find(key);
  if (it == databases.end()) {
    absl::StatusOr<PgCluster*> cluster = PgCluster::Shared();
    if (!cluster.ok()) {
      ADD_FAILURE() << "VAULT_TEST_STORAGE=postgres: " << cluster.status();
      return false;
    }
    // Not NewDatabase(): FILE_COPY copies the template's files instead of
    // writing them all through the WAL, about a third faster per database,
    // and a suite makes one per test. "vt" keeps clear of NewDatabase's names.
    const std::string name = "vt" + std::to_string(databases.size() + 1);
    if (absl::Status st =
            (*cluster)->Sql("postgres", "CREATE DATABASE " + name + " STRATEGY FILE_COPY");
        !st.ok()) {
      ADD_FAILURE() << "VAULT_TEST_STORAGE=postgres: " << st;
      return false;
    }
    it = databases.emplace(key, (*cluster)->ConnInfo(name)).first;
  }
  args.push_back("--postgres");
  args.push_back(it->second);
  return true;
}

}  // namespace

VaultdProcess::VaultdProcess(std::vector<std::string> args) {
  if (!AddTestStorage(args)) return;
  args.insert(args.begin(), VAULTD_PATH);
  args.push_back("--listen");
  args.push_back("127.0.0.1:0");
  int out[2];
  if (::pipe(out) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(out[1]);
  // Read stdout until the "listening on" line (or EOF).
  std::string line;
  char c;
  while (::read(out[0], &c, 1) == 1) {
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) == 0) {
      port_ = std::atoi(line.substr(line.rfind(':') + 1).c_str());
      break;
    }
    line.clear();
  }
  // A vaultd that ignored --postgres would make its RocksDB folder: then the
  // run would quietly test RocksDB again.
  if (port_ > 0 && !TestStorageIsRocksDb()) {
    const std::string data_dir = FlagValue(args, "--data-dir");
    if (!data_dir.empty() && std::filesystem::exists(data_dir + "/db")) {
      ADD_FAILURE() << "VAULT_TEST_STORAGE=postgres, yet vaultd made " << data_dir << "/db";
    }
  }
  // Keep draining stdout in the background so the server never blocks on it.
  std::thread([fd = out[0]] {
    char buf[256];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ::close(fd);
  }).detach();
}

int VaultdProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void VaultdProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

VaultdProcess::~VaultdProcess() { Kill(); }

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace vault::testing
