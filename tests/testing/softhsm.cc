// SoftHsm: softhsm2-util run through the shell, output kept for errors.
#include "tests/testing/softhsm.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace vault::testing {
namespace {

// Where Debian's softhsm2 installs its PKCS#11 library.
std::string FindModule() {
  for (const char* path :
       {"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"}) {
    if (std::ifstream(path).good()) return path;
  }
  return "";
}

}  // namespace

SoftHsm::SoftHsm(std::string label) : label_(std::move(label)) {
  module_path_ = FindModule();
  if (module_path_.empty()) {
    error_ = "libsofthsm2.so not found (scripts/install-deps.sh installs softhsm2)";
    return;
  }
  const std::string tokens = dir_.Sub("tokens");
  const std::string conf = dir_.Sub("softhsm2.conf");
  std::ofstream(conf) << "directories.tokendir = " << tokens
                      << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  if (std::system(("mkdir -p '" + tokens + "'").c_str()) != 0) {
    error_ = "cannot create the token folder";
    return;
  }
  ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  const std::string log = dir_.Sub("init.log");
  const std::string cmd = "softhsm2-util --init-token --free --label '" + label_ + "' --pin " +
                          kPin + " --so-pin 0000-so > '" + log + "' 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream in(log);
    error_ = "softhsm2-util --init-token failed: " +
             std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return;
  }
  pin_file_ = dir_.Sub("pin");
  std::ofstream(pin_file_) << kPin << "\n";
}

std::unique_ptr<crypto::Pkcs11Token> SoftHsm::Open() const {
  absl::StatusOr<crypto::SecretBytes> pin = crypto::SecretBytes::CopyFrom(kPin);
  if (!pin.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<crypto::Pkcs11Token>> token =
      crypto::Pkcs11Token::Open({module_path_, label_}, std::move(*pin));
  if (!token.ok()) {
    ADD_FAILURE() << "cannot open the SoftHSM2 token: " << token.status();
    return nullptr;
  }
  return std::move(*token);
}

std::vector<std::string> SoftHsm::VaultdFlags() const {
  return {"--pkcs11-module",   module_path_, "--pkcs11-token", label_,
          "--pkcs11-pin-file", pin_file_};
}

}  // namespace vault::testing
