// Test helpers: a self-deleting temporary folder and a byte scanner that
// searches every file below a folder (for "no plaintext on disk" tests).
// Thread-safety: not thread-safe; one per test.
#ifndef VAULT_TESTS_TESTING_TEMP_DIR_H_
#define VAULT_TESTS_TESTING_TEMP_DIR_H_

#include <string>
#include <vector>

namespace vault::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // A path inside the folder (not created).
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Every regular file below `dir`, recursively.
std::vector<std::string> ListFiles(const std::string& dir);

// The needles found anywhere in the bytes of any file below `dir`, each with
// the file it was found in ("needle @ file").
std::vector<std::string> FindInFiles(const std::string& dir,
                                     const std::vector<std::string>& needles);

// Copies a folder tree (files and subfolders).
void CopyTree(const std::string& from, const std::string& to);

}  // namespace vault::testing

#endif  // VAULT_TESTS_TESTING_TEMP_DIR_H_
