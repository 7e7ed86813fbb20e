// Pkcs11Token: AES-256 keys that never leave a PKCS#11 token (an HSM, or
// SoftHSM2 in tests), used through the standard Cryptoki interface loaded
// with dlopen. Keys are generated inside the token as sensitive,
// non-extractable token objects named by a CKA_ID; encryption is
// AES-256-GCM inside the token, with associated data; destruction is
// C_DestroyObject. The caller never sees a key's bytes.
// Thread-safety: safe for concurrent use (one session, serialised; a lost
// session is reopened on the next call).
// Never logs; the PIN is kept in locked memory and wiped on destruction.
#ifndef VAULT_CRYPTO_PKCS11_TOKEN_H_
#define VAULT_CRYPTO_PKCS11_TOKEN_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "crypto/random.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

struct Pkcs11Options {
  std::string module_path;  // the token's PKCS#11 library (.so)
  std::string token_label;  // CKA_LABEL of the token (its slot is found by it)
};

class Pkcs11Token {
 public:
  // Loads the module and initialises Cryptoki; the token itself is reached
  // lazily, so a token that is absent at start is found once it appears.
  // FAILED_PRECONDITION when the module cannot be loaded or initialised.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Pkcs11Token>> Open(Pkcs11Options options,
                                                                         SecretBytes pin);
  ~Pkcs11Token();
  Pkcs11Token(const Pkcs11Token&) = delete;
  Pkcs11Token& operator=(const Pkcs11Token&) = delete;

  const std::string& token_label() const { return options_.token_label; }

  // UNAVAILABLE when the token is absent or refuses the PIN.
  [[nodiscard]] absl::Status Ping();

  // A new AES-256 key object: CKA_TOKEN, CKA_SENSITIVE, not CKA_EXTRACTABLE,
  // encrypt and decrypt only. ALREADY_EXISTS when `id` is taken.
  [[nodiscard]] absl::Status GenerateKey(std::string_view id, std::string_view label);
  // Whether a key object with this CKA_ID exists.
  [[nodiscard]] absl::StatusOr<bool> HasKey(std::string_view id);
  // Destroys the key object (OK when there is none).
  [[nodiscard]] absl::Status DestroyKey(std::string_view id);

  // AES-256-GCM inside the token: a fresh 12-byte nonce from `random`,
  // returned as nonce || ciphertext || 16-byte tag. NOT_FOUND when the key
  // object does not exist.
  [[nodiscard]] absl::StatusOr<std::string> Encrypt(std::string_view id,
                                                    const SecretBytes& plaintext,
                                                    std::string_view associated_data,
                                                    RandomSource& random);
  // PERMISSION_DENIED when the ciphertext, its associated data or the key do
  // not match; NOT_FOUND when the key object does not exist.
  [[nodiscard]] absl::StatusOr<SecretBytes> Decrypt(std::string_view id, std::string_view sealed,
                                                    std::string_view associated_data);

 private:
  struct Module;
  Pkcs11Token(Pkcs11Options options, SecretBytes pin, std::unique_ptr<Module> module);

  // REQUIRES: mu_ held. Opens and logs in a session if there is none.
  absl::Status ConnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  unsigned long LoginLocked(unsigned long session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoginError(unsigned long rv) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DisconnectLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<unsigned long> FindKeyLocked(std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Maps a Cryptoki return value to a status; drops the session when the
  // value says it is gone.
  absl::Status CheckLocked(unsigned long rv, std::string_view what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Pkcs11Options options_;
  SecretBytes pin_;
  std::unique_ptr<Module> module_;
  std::mutex mu_;
  unsigned long session_ ABSL_GUARDED_BY(mu_) = 0;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  unsigned long pin_refused_ ABSL_GUARDED_BY(mu_) = 0;  // the CKR_ that refused the PIN
};

}  // namespace vault::crypto

#endif  // VAULT_CRYPTO_PKCS11_TOKEN_H_
