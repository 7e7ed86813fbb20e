// PgCluster: a throwaway PostgreSQL cluster for tests. initdb into a new
// temporary folder, listening only on a Unix socket in that folder, stopped
// and deleted by the destructor. Run as root, initdb and the server run as
// the OS user `postgres` through runuser (initdb refuses root), like
// bench/compare_pg.sh.
// The server binaries come from $VAULT_TEST_PG_BIN, else Debian's
// PostgreSQL 15 location; when they are missing Start() fails with a message
// saying so (tests that need a database fail; they never skip).
// Thread-safety: not thread-safe; one owner.
#ifndef VAULT_TESTS_TESTING_PG_CLUSTER_H_
#define VAULT_TESTS_TESTING_PG_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vault::testing {

class PgCluster {
 public:
  // initdb and start. FAILED_PRECONDITION when the binaries or the OS user
  // are missing; INTERNAL (with the log's path) when initdb or start fails.
  static absl::StatusOr<std::unique_ptr<PgCluster>> Start();

  // One cluster for the whole test process, started on first use and
  // stopped at exit (tests that stop or restart a server start their own).
  static absl::StatusOr<PgCluster*> Shared();

  // Stops the server (immediate shutdown) and deletes the folder.
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Stops the server (fast shutdown: connections are closed) and starts it
  // again on the same data and socket.
  absl::Status Stop();
  absl::Status Restart();

  // A libpq connection string for `dbname` over the Unix socket.
  std::string ConnInfo(const std::string& dbname = "postgres") const;
  // CREATE DATABASE `name` (a plain identifier) through psql.
  absl::Status CreateDatabase(const std::string& name);
  // Runs `sql` in database `dbname` through psql (for tests that change the
  // schema or data behind a store's back).
  absl::Status Sql(const std::string& dbname, const std::string& sql);
  // A new database with a name unique in this cluster; its conninfo, and
  // its name in *name when not null.
  absl::StatusOr<std::string> NewDatabase(std::string* name = nullptr);

 private:
  PgCluster(std::string bin, std::string dir, bool as_postgres)
      : bin_(std::move(bin)), dir_(std::move(dir)), as_postgres_(as_postgres) {}
  absl::Status InitDb();
  absl::Status StartServer();
  // Runs `argv` (as the cluster's OS user when `as_owner`), output appended
  // to dir/commands.log; the exit status.
  int Run(const std::vector<std::string>& argv, bool as_owner) const;

  std::string bin_;
  std::string dir_;
  bool as_postgres_;
  bool running_ = false;
  int databases_ = 0;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_PG_CLUSTER_H_
