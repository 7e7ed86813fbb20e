// The web console's files (console/*.html|js|css), built into vaultd: the
// definition is generated at build time by api/embed_console.cmake.
// Thread-safety: immutable data.
#ifndef VAULT_API_INTERNAL_CONSOLE_FILES_H_
#define VAULT_API_INTERNAL_CONSOLE_FILES_H_

#include <span>
#include <string_view>

namespace vault::api::internal {

struct ConsoleFile {
  std::string_view name;     // file name under console/, e.g. "app.js"
  std::string_view content;  // the file's bytes
};

// Every file of console/, in the order CMake listed them.
std::span<const ConsoleFile> ConsoleFiles();

}  // namespace vault::api::internal

#endif  // VAULT_API_INTERNAL_CONSOLE_FILES_H_
