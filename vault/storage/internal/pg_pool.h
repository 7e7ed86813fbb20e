// PgPool: a bounded pool of libpqxx connections for PgKvStore. At most
// `size` connections exist; a caller that finds none free waits up to
// `acquire_timeout` and then gets UNAVAILABLE. A connection that broke is
// closed instead of returned (and the idle ones with it: after a server
// restart they are all dead), so the next Acquire() connects anew.
// Thread-safety: Acquire() and Lease are safe from any thread; a Lease is
// used by one thread at a time. Leases keep the pool alive (shared_ptr), so a
// snapshot may outlive its store.
#ifndef VAULT_INTERNAL_STORAGE
#error "vault/storage/internal/ is private to vault_storage; include vault/storage/pg_kv_store.h"
#endif
#ifndef VAULT_STORAGE_INTERNAL_PG_POOL_H_
#define VAULT_STORAGE_INTERNAL_PG_POOL_H_

#include <pqxx/connection>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace vault::storage::internal {

class PgPool : public std::enable_shared_from_this<PgPool> {
 public:
  // Called on every new connection (prepares the statements); its exceptions
  // fail the Acquire() that connected.
  using Setup = std::function<void(pqxx::connection&)>;

  class Lease {
   public:
    Lease() = default;
    Lease(std::shared_ptr<PgPool> pool, std::unique_ptr<pqxx::connection> conn, bool fresh)
        : pool_(std::move(pool)), conn_(std::move(conn)), fresh_(fresh) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Return(); }

    pqxx::connection& conn() { return *conn_; }
    // Connected by this Acquire() (not taken from the idle list).
    bool fresh() const { return fresh_; }
    // The connection is closed instead of returned, with the idle ones.
    void MarkBroken() { broken_ = true; }

   private:
    void Return();

    std::shared_ptr<PgPool> pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool fresh_ = false;
    bool broken_ = false;
  };

  PgPool(std::string conninfo, size_t size, std::chrono::milliseconds acquire_timeout, Setup setup)
      : conninfo_(std::move(conninfo)),
        size_(size),
        acquire_timeout_(acquire_timeout),
        setup_(std::move(setup)) {}

  // An idle connection, or a new one while fewer than `size` exist.
  // UNAVAILABLE when connecting fails or none is free within the timeout.
  [[nodiscard]] absl::StatusOr<Lease> Acquire();

 private:
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);

  const std::string conninfo_;
  const size_t size_;
  const std::chrono::milliseconds acquire_timeout_;
  const Setup setup_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased + connecting
};

}  // namespace vault::storage::internal

#endif  // VAULT_STORAGE_INTERNAL_PG_POOL_H_
