// PgPool implementation. Connecting happens outside the lock (a slow server
// must not stall callers that could take an idle connection).
#include "vault/storage/internal/pg_pool.h"

#include <pqxx/except>

#include <exception>
#include <utility>

#include "base/strings.h"

namespace vault::storage::internal {
namespace {

// libpq's message for a failed connection names the host or socket and the
// reason (never a password): its first line is kept for operators.
std::string FirstLine(const char* what) {
  std::string s(what);
  const size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

}  // namespace

PgPool::Lease& PgPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::move(other.pool_);
    conn_ = std::move(other.conn_);
    fresh_ = other.fresh_;
    broken_ = other.broken_;
  }
  return *this;
}

void PgPool::Lease::Return() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_), broken_);
  pool_.reset();
  conn_.reset();
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool got =
        freed_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || open_ < size_; });
    if (!got) {
      return absl::UnavailableError(
          Cat("no free database connection within ", acquire_timeout_.count(), " ms"));
    }
    if (!idle_.empty()) {
      std::unique_ptr<pqxx::connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(shared_from_this(), std::move(conn), /*fresh=*/false);
    }
    ++open_;
  }
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    if (setup_) setup_(*conn);
    return Lease(shared_from_this(), std::move(conn), /*fresh=*/true);
  } catch (const std::exception& e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --open_;
    }
    freed_.notify_one();
    if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
      return absl::UnavailableError(Cat("cannot connect to the database: ", FirstLine(e.what())));
    }
    return absl::UnavailableError("cannot set up a database connection");
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  std::vector<std::unique_ptr<pqxx::connection>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken) {
      closing = std::move(idle_);
      idle_.clear();
      closing.push_back(std::move(conn));
      open_ -= closing.size();
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  freed_.notify_all();
  // `closing` disconnects here, outside the lock.
}

}  // namespace vault::storage::internal
