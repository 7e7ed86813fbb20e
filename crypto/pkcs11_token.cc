// Pkcs11Token implementation: the module is loaded with dlopen and used
// through its function list; every call runs under one mutex on one
// read-write user session.
#include "crypto/pkcs11_token.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"

namespace vault::crypto {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr CK_ULONG kKeyBytes = 32;

std::string RvText(CK_RV rv) {
  switch (rv) {
    case CKR_TOKEN_NOT_PRESENT: return "token not present";
    case CKR_DEVICE_REMOVED: return "device removed";
    case CKR_PIN_INCORRECT: return "PIN incorrect";
    case CKR_PIN_LOCKED: return "PIN locked";
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE: return "ciphertext does not authenticate";
    default: return absl::StrCat("CKR 0x", absl::Hex(rv));
  }
}

// Values after which the session (or the token) is gone: reconnect next time.
bool SessionLost(CK_RV rv) {
  return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED || rv == CKR_DEVICE_REMOVED ||
         rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_DEVICE_ERROR;
}

CK_ATTRIBUTE Attr(CK_ATTRIBUTE_TYPE type, const void* value, size_t size) {
  CK_ATTRIBUTE a;
  a.type = type;
  a.pValue = const_cast<void*>(value);
  a.ulValueLen = static_cast<CK_ULONG>(size);
  return a;
}

CK_GCM_PARAMS GcmParams(const std::string& nonce, std::string_view associated_data) {
  CK_GCM_PARAMS p;
  p.pIv = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(nonce.data()));
  p.ulIvLen = nonce.size();
  p.ulIvBits = nonce.size() * 8;
  p.pAAD = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(associated_data.data()));
  p.ulAADLen = associated_data.size();
  p.ulTagBits = kTagSize * 8;
  return p;
}

// A token label as stored: 32 bytes, blank-padded.
std::string PaddedLabel(const unsigned char (&label)[32]) {
  std::string s(reinterpret_cast<const char*>(label), sizeof label);
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

// Cryptoki is initialised once per module per process: tokens of one
// module share it, and the last one to go finalises it.
std::mutex& InitMutex() {
  static std::mutex mu;
  return mu;
}
std::map<CK_FUNCTION_LIST_PTR, int>& InitCounts() {
  static std::map<CK_FUNCTION_LIST_PTR, int> counts;
  return counts;
}

}  // namespace

struct Pkcs11Token::Module {
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR fn = nullptr;
  bool counted = false;
  ~Module() {
    if (counted) {
      std::lock_guard<std::mutex> lock(InitMutex());
      if (--InitCounts()[fn] == 0) {
        InitCounts().erase(fn);
        fn->C_Finalize(nullptr);
      }
    }
    if (handle != nullptr) dlclose(handle);
  }
};

Pkcs11Token::Pkcs11Token(Pkcs11Options options, SecretBytes pin, std::unique_ptr<Module> module)
    : options_(std::move(options)), pin_(std::move(pin)), module_(std::move(module)) {}

Pkcs11Token::~Pkcs11Token() {
  std::lock_guard<std::mutex> lock(mu_);
  DisconnectLocked();
}

absl::StatusOr<std::unique_ptr<Pkcs11Token>> Pkcs11Token::Open(Pkcs11Options options,
                                                               SecretBytes pin) {
  auto module = std::make_unique<Module>();
  module->handle = dlopen(options.module_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("pkcs11: cannot load module ", options.module_path));
  }
  auto get_list =
      reinterpret_cast<CK_C_GetFunctionList>(dlsym(module->handle, "C_GetFunctionList"));
  if (get_list == nullptr || get_list(&module->fn) != CKR_OK || module->fn == nullptr) {
    return absl::FailedPreconditionError("pkcs11: module has no usable C_GetFunctionList");
  }
  std::lock_guard<std::mutex> lock(InitMutex());
  if (InitCounts()[module->fn]++ == 0) {
    CK_C_INITIALIZE_ARGS args;
    std::memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = module->fn->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      InitCounts().erase(module->fn);
      return absl::FailedPreconditionError(absl::StrCat("pkcs11: C_Initialize: ", RvText(rv)));
    }
  }
  module->counted = true;
  return std::unique_ptr<Pkcs11Token>(
      new Pkcs11Token(std::move(options), std::move(pin), std::move(module)));
}

void Pkcs11Token::DisconnectLocked() {
  if (!connected_) return;
  // No C_Logout: the login belongs to the process, not to the session, and
  // other sessions on the token (another vault in this process) still need
  // it. Closing the last session ends it.
  module_->fn->C_CloseSession(session_);
  connected_ = false;
}

absl::Status Pkcs11Token::CheckLocked(CK_RV rv, std::string_view what) {
  if (rv == CKR_OK) return absl::OkStatus();
  const std::string text = absl::StrCat("pkcs11: ", std::string(what), ": ", RvText(rv));
  if (SessionLost(rv)) {
    DisconnectLocked();
    return absl::UnavailableError(text);
  }
  if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE) {
    return absl::PermissionDeniedError(text);
  }
  return absl::InternalError(text);
}

CK_RV Pkcs11Token::LoginLocked(CK_SESSION_HANDLE session) {
  // A refused PIN is never tried again: real tokens lock (or wipe) after a
  // few failures, and the scheduler would retry every second.
  if (pin_refused_ != CKR_OK) return pin_refused_;
  absl::Span<const uint8_t> pin = RevealSecret(pin_);
  CK_RV rv =
      module_->fn->C_Login(session, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size());
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
      rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
    pin_refused_ = rv;
  }
  return rv;
}

absl::Status Pkcs11Token::LoginError(CK_RV rv) const {
  const std::string text = absl::StrCat("pkcs11: login: ", RvText(rv));
  if (pin_refused_ != CKR_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat(text, " (not retried: fix the PIN file and restart vaultd)"));
  }
  return absl::UnavailableError(text);
}

absl::Status Pkcs11Token::ConnectLocked() {
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  if (connected_) {
    // A session that is no longer logged in sees no private object: a key
    // would look absent (and "destroying" it would do nothing). Log in again.
    CK_SESSION_INFO info;
    CK_RV rv = fn->C_GetSessionInfo(session_, &info);
    if (rv == CKR_OK &&
        (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS)) {
      return absl::OkStatus();
    }
    if (rv == CKR_OK) {
      rv = LoginLocked(session_);
      if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return absl::OkStatus();
      return LoginError(rv);
    }
    DisconnectLocked();
  }
  CK_ULONG count = 0;
  if (fn->C_GetSlotList(CK_TRUE, nullptr, &count) != CKR_OK) {
    return absl::UnavailableError("pkcs11: cannot list slots");
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0 && fn->C_GetSlotList(CK_TRUE, slots.data(), &count) != CKR_OK) {
    return absl::UnavailableError("pkcs11: cannot list slots");
  }
  slots.resize(count);
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info;
    if (fn->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if (PaddedLabel(info.label) != options_.token_label) continue;
    CK_SESSION_HANDLE session = 0;
    CK_RV rv =
        fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
    if (rv != CKR_OK)
      return absl::UnavailableError(absl::StrCat("pkcs11: open session: ", RvText(rv)));
    rv = LoginLocked(session);
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
      fn->C_CloseSession(session);
      return LoginError(rv);
    }
    session_ = session;
    connected_ = true;
    return absl::OkStatus();
  }
  return absl::UnavailableError(
      absl::StrCat("pkcs11: no token labelled \"", options_.token_label, "\" is present"));
}

absl::Status Pkcs11Token::Ping() {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::Status s = ConnectLocked(); !s.ok()) return s;
  CK_SESSION_INFO info;
  return CheckLocked(module_->fn->C_GetSessionInfo(session_, &info), "session");
}

absl::StatusOr<CK_OBJECT_HANDLE> Pkcs11Token::FindKeyLocked(std::string_view id) {
  if (absl::Status s = ConnectLocked(); !s.ok()) return s;
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_ATTRIBUTE tmpl[] = {Attr(CKA_CLASS, &cls, sizeof cls), Attr(CKA_ID, id.data(), id.size())};
  if (absl::Status s = CheckLocked(fn->C_FindObjectsInit(session_, tmpl, 2), "find"); !s.ok()) {
    return s;
  }
  CK_OBJECT_HANDLE found[2];
  CK_ULONG n = 0;
  CK_RV rv = fn->C_FindObjects(session_, found, 2, &n);
  fn->C_FindObjectsFinal(session_);
  if (absl::Status s = CheckLocked(rv, "find"); !s.ok()) return s;
  if (n == 0) return absl::NotFoundError("pkcs11: no key object with this id in the token");
  if (n > 1) return absl::FailedPreconditionError("pkcs11: two key objects share one id");
  return found[0];
}

absl::StatusOr<bool> Pkcs11Token::HasKey(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<CK_OBJECT_HANDLE> key = FindKeyLocked(id);
  if (absl::IsNotFound(key.status())) return false;
  if (!key.ok()) return key.status();
  return true;
}

absl::Status Pkcs11Token::GenerateKey(std::string_view id, std::string_view label) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<CK_OBJECT_HANDLE> existing = FindKeyLocked(id);
  if (existing.ok()) return absl::AlreadyExistsError("pkcs11: a key object has this id");
  if (!absl::IsNotFound(existing.status())) return existing.status();
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  CK_ULONG len = kKeyBytes;
  CK_ATTRIBUTE tmpl[] = {
      Attr(CKA_CLASS, &cls, sizeof cls),
      Attr(CKA_KEY_TYPE, &type, sizeof type),
      Attr(CKA_TOKEN, &yes, sizeof yes),
      Attr(CKA_PRIVATE, &yes, sizeof yes),
      Attr(CKA_SENSITIVE, &yes, sizeof yes),
      Attr(CKA_EXTRACTABLE, &no, sizeof no),
      Attr(CKA_ENCRYPT, &yes, sizeof yes),
      Attr(CKA_DECRYPT, &yes, sizeof yes),
      Attr(CKA_WRAP, &no, sizeof no),
      Attr(CKA_UNWRAP, &no, sizeof no),
      Attr(CKA_DERIVE, &no, sizeof no),
      // C_CopyObject would make a copy that outlives C_DestroyObject.
      Attr(CKA_COPYABLE, &no, sizeof no),
      Attr(CKA_VALUE_LEN, &len, sizeof len),
      Attr(CKA_ID, id.data(), id.size()),
      Attr(CKA_LABEL, label.data(), label.size()),
  };
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE key = 0;
  return CheckLocked(
      module_->fn->C_GenerateKey(session_, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &key),
      "generate key");
}

absl::Status Pkcs11Token::DestroyKey(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<CK_OBJECT_HANDLE> key = FindKeyLocked(id);
  if (absl::IsNotFound(key.status())) return absl::OkStatus();
  if (!key.ok()) return key.status();
  return CheckLocked(module_->fn->C_DestroyObject(session_, *key), "destroy key");
}

absl::StatusOr<std::string> Pkcs11Token::Encrypt(std::string_view id, const SecretBytes& plaintext,
                                                 std::string_view associated_data,
                                                 RandomSource& random) {
  const std::string nonce = random.Bytes(kNonceSize);
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<CK_OBJECT_HANDLE> key = FindKeyLocked(id);
  if (!key.ok()) return key.status();
  CK_GCM_PARAMS params = GcmParams(nonce, associated_data);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  if (absl::Status s = CheckLocked(fn->C_EncryptInit(session_, &mech, *key), "encrypt"); !s.ok()) {
    return s;
  }
  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  std::memcpy(out.data(), nonce.data(), kNonceSize);
  CK_ULONG out_len = plaintext.size() + kTagSize;
  absl::Span<const uint8_t> in = RevealSecret(plaintext);
  CK_RV rv = fn->C_Encrypt(session_, const_cast<CK_BYTE_PTR>(in.data()), in.size(),
                           reinterpret_cast<CK_BYTE_PTR>(out.data() + kNonceSize), &out_len);
  if (absl::Status s = CheckLocked(rv, "encrypt"); !s.ok()) return s;
  out.resize(kNonceSize + out_len);
  return out;
}

absl::StatusOr<SecretBytes> Pkcs11Token::Decrypt(std::string_view id, std::string_view sealed,
                                                 std::string_view associated_data) {
  if (sealed.size() < kNonceSize + kTagSize) {
    return absl::PermissionDeniedError("pkcs11: ciphertext too short");
  }
  const std::string nonce(sealed.substr(0, kNonceSize));
  const std::string_view body = sealed.substr(kNonceSize);
  std::lock_guard<std::mutex> lock(mu_);
  absl::StatusOr<CK_OBJECT_HANDLE> key = FindKeyLocked(id);
  if (!key.ok()) return key.status();
  CK_GCM_PARAMS params = GcmParams(nonce, associated_data);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  CK_FUNCTION_LIST_PTR fn = module_->fn;
  if (absl::Status s = CheckLocked(fn->C_DecryptInit(session_, &mech, *key), "decrypt"); !s.ok()) {
    return s;
  }
  // Some tokens want room for the whole input; the plaintext is copied out
  // of this buffer, which is itself locked memory.
  absl::StatusOr<SecretBytes> buffer = SecretBytes::Allocate(body.size());
  if (!buffer.ok()) return buffer.status();
  CK_ULONG out_len = body.size();
  CK_RV rv = fn->C_Decrypt(session_, reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(body.data())),
                           body.size(), buffer->MutableSpan().data(), &out_len);
  if (rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED) {
    // SoftHSM2 reports a failed GCM tag check this way.
    return absl::PermissionDeniedError("pkcs11: ciphertext does not authenticate");
  }
  if (absl::Status s = CheckLocked(rv, "decrypt"); !s.ok()) return s;
  if (out_len == body.size()) return std::move(*buffer);
  absl::StatusOr<SecretBytes> plain = SecretBytes::Allocate(out_len);
  if (!plain.ok()) return plain.status();
  std::memcpy(plain->MutableSpan().data(), RevealSecret(*buffer).data(), out_len);
  return plain;
}

}  // namespace vault::crypto
