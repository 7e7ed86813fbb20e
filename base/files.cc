// Private files and folders (mode 0600 / 0700).
#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"

namespace vault {

absl::Status PrepareDataDir(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("data folder is not set");
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(Cat("cannot create data folder: ", std::strerror(errno)));
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError("data folder is not a directory");
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        "data folder must not be accessible to group or others (chmod 700)");
  }
  return absl::OkStatus();
}

absl::Status WritePrivateFile(const std::string& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return absl::UnavailableError(Cat("cannot create ", path, ": ", std::strerror(errno)));
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::UnavailableError(Cat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace vault
