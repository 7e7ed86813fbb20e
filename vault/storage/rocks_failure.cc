// RocksKvStore's failure handling (see internal/rocks_failure.h).
#include "vault/storage/internal/rocks_failure.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace vault::storage::internal {

Failure Classify(const rocksdb::Status& s) {
  if (s.ok()) return Failure::kNone;
  if (s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos) {
    return Failure::kNoSpace;
  }
  if (s.IsIOError()) return Failure::kIoError;
  return Failure::kNone;
}

absl::Status Refusal(Failure f) {
  return f == Failure::kNoSpace
             ? absl::UnavailableError(
                   "storage full: writes are refused until space is freed in the data folder")
             : absl::UnavailableError("storage failed: writes are refused until it recovers");
}

absl::Status FailureState::Record(Failure f) {
  std::lock_guard<std::mutex> lock(mu);
  if (f == Failure::kNoSpace) ++no_space_errors;
  if (f == Failure::kIoError) ++io_errors;
  // "no space" wins: it is the one an operator can fix by freeing space.
  if (failure != Failure::kNoSpace) failure = f;
  return Refusal(failure);
}

Failure FailureState::Get() const {
  std::lock_guard<std::mutex> lock(mu);
  return failure;
}

void FailureListener::OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* bg_error) {
  if (bg_error == nullptr || bg_error->ok()) return;
  Failure f = Classify(*bg_error);
  (void)state_->Record(f == Failure::kNone ? Failure::kIoError : f);
}

void FailureListener::OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                                           bool* auto_recovery) {
  if (auto_recovery != nullptr) *auto_recovery = false;
}

FdLogger::~FdLogger() {
  if (fd_ >= 0) ::close(fd_);
}

void FdLogger::Logv(const char* format, va_list ap) {
  char line[1024];
  struct timeval now {};
  ::gettimeofday(&now, nullptr);
  struct tm t {};
  ::localtime_r(&now.tv_sec, &t);
  int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ", t.tm_year + 1900,
                        t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                        static_cast<long>(now.tv_usec));
  if (n < 0) return;
  va_list copy;
  va_copy(copy, ap);
  // RocksDB's own format string, forwarded as Logger::Logv receives it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  int m = std::vsnprintf(line + n, sizeof line - n, format, copy);
#pragma GCC diagnostic pop
  va_end(copy);
  if (m < 0) return;
  size_t len = std::min(sizeof line - 1, static_cast<size_t>(n) + static_cast<size_t>(m));
  if (len == 0 || line[len - 1] != '\n') line[len++] = '\n';
  (void)!::write(fd_, line, len);  // a full disk loses the line, nothing else
}

std::shared_ptr<rocksdb::Logger> OpenInfoLog(const std::string& db_path) {
  ::mkdir(db_path.c_str(), 0700);  // RocksDB creates it otherwise; it may not exist yet
  const std::string log = db_path + "/LOG";
  (void)::rename(log.c_str(), (log + ".old").c_str());
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return nullptr;  // RocksDB then opens its own
  return std::make_shared<FdLogger>(fd);
}

uint64_t FreeBytes(const std::string& path) {
  struct statvfs v {};
  const std::string dir =
      path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &v) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize;
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool CreateReserve(const std::string& path, uint64_t bytes) {
  if (FileExists(path)) return true;
  if (FreeBytes(path) < 2 * bytes) return false;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  bool ok = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) ::unlink(path.c_str());
  return ok;
}

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = std::string(what) + ": " + s.ToString();
  switch (s.code()) {
    case rocksdb::Status::kNotFound: return absl::NotFoundError(msg);
    case rocksdb::Status::kCorruption: return absl::DataLossError(msg);
    case rocksdb::Status::kInvalidArgument: return absl::InvalidArgumentError(msg);
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
    case rocksdb::Status::kIOError:
    case rocksdb::Status::kTimedOut: return absl::UnavailableError(msg);
    default: return absl::InternalError(msg);
  }
}

}  // namespace vault::storage::internal
