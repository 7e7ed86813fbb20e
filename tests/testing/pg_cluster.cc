// PgCluster implementation: the PostgreSQL tools run as child processes
// (posix_spawn, no shell), their output appended to commands.log in the
// cluster's folder.
#include "tests/testing/pg_cluster.h"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/strings.h"

extern char** environ;

namespace vault::testing {
namespace {

constexpr char kDefaultBin[] = "/usr/lib/postgresql/15/bin";
constexpr char kOsUser[] = "postgres";
constexpr int kPort = 5432;

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgCluster>> PgCluster::Start() {
  const char* env_bin = std::getenv("VAULT_TEST_PG_BIN");
  const std::string bin = env_bin != nullptr && *env_bin != '\0' ? env_bin : kDefaultBin;
  for (const char* tool : {"initdb", "pg_ctl", "postgres", "psql"}) {
    if (!Executable(Cat(bin, "/", tool))) {
      return absl::FailedPreconditionError(
          Cat("PostgreSQL server binaries not found: no ", tool, " in ", bin,
              " (install postgresql-15, e.g. scripts/install-deps.sh, or set VAULT_TEST_PG_BIN)"));
    }
  }
  const bool as_postgres = ::geteuid() == 0;
  struct passwd* pw = as_postgres ? ::getpwnam(kOsUser) : nullptr;
  if (as_postgres && pw == nullptr) {
    return absl::FailedPreconditionError(
        "running as root needs the OS user postgres for the test cluster (initdb refuses root)");
  }
  std::string templ = TempRoot() + "/vault-pg-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  if (as_postgres && ::chown(templ.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    std::filesystem::remove_all(templ);
    return absl::InternalError("cannot hand the cluster folder to postgres");
  }
  std::unique_ptr<PgCluster> cluster(new PgCluster(bin, templ, as_postgres));
  if (absl::Status st = cluster->InitDb(); !st.ok()) return st;
  if (absl::Status st = cluster->StartServer(); !st.ok()) return st;
  return cluster;
}

PgCluster::~PgCluster() {
  if (running_) {
    (void)Run({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}, true);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::Status PgCluster::InitDb() {
  if (Run({bin_ + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
           "--no-locale", "--no-sync"},
          true) != 0) {
    return absl::InternalError(Cat("initdb failed; see ", dir_, "/commands.log"));
  }
  std::ofstream conf(dir_ + "/data/postgresql.conf", std::ios::app);
  conf << "\n# tests/testing/pg_cluster.cc\n"
       << "listen_addresses = ''\n"
       << "unix_socket_directories = '" << dir_ << "'\n"
       << "port = " << kPort << "\n"
       << "max_connections = 50\n"
       << "fsync = on\n"
       << "synchronous_commit = on\n";
  conf.close();
  if (!conf) return absl::InternalError("cannot write postgresql.conf");
  return absl::OkStatus();
}

absl::Status PgCluster::StartServer() {
  if (Run({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60",
           "start"},
          true) != 0) {
    return absl::InternalError(Cat("PostgreSQL did not start; see ", dir_, "/server.log"));
  }
  running_ = true;
  return absl::OkStatus();
}

absl::Status PgCluster::Stop() {
  if (Run({bin_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "-t", "60", "stop"}, true) !=
      0) {
    return absl::InternalError(Cat("PostgreSQL did not stop; see ", dir_, "/server.log"));
  }
  running_ = false;
  return absl::OkStatus();
}

absl::Status PgCluster::Restart() { return StartServer(); }

std::string PgCluster::ConnInfo(const std::string& dbname) const {
  return Cat("host=", dir_, " port=", kPort, " user=postgres dbname=", dbname,
             " connect_timeout=5");
}

absl::StatusOr<PgCluster*> PgCluster::Shared() {
  static const absl::StatusOr<std::unique_ptr<PgCluster>> shared = Start();
  if (!shared.ok()) return shared.status();
  return shared->get();
}

absl::Status PgCluster::Sql(const std::string& dbname, const std::string& sql) {
  if (Run({bin_ + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", dir_, "-p",
           std::to_string(kPort), "-U", "postgres", "-d", dbname, "-c", sql},
          false) != 0) {
    return absl::InternalError(Cat("psql failed; see ", dir_, "/commands.log"));
  }
  return absl::OkStatus();
}

absl::Status PgCluster::CreateDatabase(const std::string& name) {
  return Sql("postgres", "CREATE DATABASE " + name);
}

absl::StatusOr<std::string> PgCluster::NewDatabase(std::string* name) {
  const std::string db = Cat("t", ++databases_);
  if (absl::Status st = CreateDatabase(db); !st.ok()) return st;
  if (name != nullptr) *name = db;
  return ConnInfo(db);
}

int PgCluster::Run(const std::vector<std::string>& argv, bool as_owner) const {
  std::vector<std::string> full;
  if (as_owner && as_postgres_) full = {"runuser", "-u", kOsUser, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (std::string& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  const std::string log = dir_ + "/commands.log";
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The tools must be able to read their working folder as postgres.
  posix_spawn_file_actions_addchdir_np(&actions, dir_.c_str());
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace vault::testing
