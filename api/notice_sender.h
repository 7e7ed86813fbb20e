// HttpsNoticeSender: vaultd's transport of erasure notices to processors
// (vault::NoticeSender), on Beast and OpenSSL. One POST per notice on a new
// connection: https:// verifies the processor's certificate chain against
// the system trust store, or only against `ca_file` when set, and its host
// name (SNI for DNS names, RFC 2818 matching); http:// connects only to
// loopback addresses (checked again after name resolution). Every step
// (resolve, connect, handshake, write, read of the answer's header) has a
// deadline; the answer's body is not read; redirects are not followed (a
// 3xx is a failure). Errors are fixed phrases: never response bytes, never
// the URL.
// ErasureNoticeBody: the notice's JSON, through the API's wire mapping.
// Thread-safety: Send from one thread at a time; Cancel from any thread.
#ifndef VAULT_API_NOTICE_SENDER_H_
#define VAULT_API_NOTICE_SENDER_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "vault/model/records.pb.h"
#include "vault/notices/notice_sender.h"

namespace vault::api {

struct NoticeSenderOptions {
  std::string ca_file;                       // PEM; empty = the system trust store
  std::chrono::milliseconds timeout{10000};  // per step
};

class HttpsNoticeSender final : public NoticeSender {
 public:
  // INVALID_ARGUMENT when the CA file cannot be loaded.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HttpsNoticeSender>> New(
      NoticeSenderOptions options);
  ~HttpsNoticeSender() override;
  [[nodiscard]] absl::Status Send(const OutboundNotice& notice) override;
  void Cancel() override;

  struct Tls;     // the OpenSSL context (notice_sender.cc)
  class Attempt;  // one Send's I/O (notice_sender.cc)

 private:
  HttpsNoticeSender(NoticeSenderOptions options, std::unique_ptr<Tls> tls);

  NoticeSenderOptions options_;
  std::unique_ptr<Tls> tls_;
  // Cancel stops the attempt in flight; its I/O runs only while !cancelled_.
  std::mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  Attempt* active_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// {"event": "erasure", "receipt": {...}}: the receipt as GET
// /v1/tenants/{tenant}/erasures/{id} shows it (same mapping and options).
[[nodiscard]] absl::StatusOr<std::string> ErasureNoticeBody(const records::ErasureReceipt& receipt);

}  // namespace vault::api

#endif  // VAULT_API_NOTICE_SENDER_H_
