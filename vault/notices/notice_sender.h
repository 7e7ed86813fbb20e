// NoticeSender: the transport of erasure notices to processors, behind an
// interface so the outbox (processor_notices.h) is tested with a fake and
// vault/ never includes a network library (vaultd's HTTPS sender is
// api/notice_sender.h).
// Thread-safety: Send is called from one thread at a time (the delivery
// worker); Cancel from any thread. Never logs; never returns response bytes.
#ifndef VAULT_NOTICES_NOTICE_SENDER_H_
#define VAULT_NOTICES_NOTICE_SENDER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vault/model/records.pb.h"

namespace vault {

struct OutboundNotice {
  std::string url;        // as registered (ParseProcessorUrl accepts it)
  std::string body;       // the exact bytes to POST (application/json)
  std::string signature;  // base64 Ed25519 over `body` (X-Vaultd-Signature)
};

class NoticeSender {
 public:
  virtual ~NoticeSender() = default;
  // OK when the processor answered 2xx. Otherwise an error whose message is
  // a fixed phrase (e.g. "HTTP status 500", "TLS certificate verification
  // failed"): it is stored and shown as the processor's last_error, so it
  // never carries response bodies, headers or the URL. May block for its
  // own timeouts; follows no redirects.
  [[nodiscard]] virtual absl::Status Send(const OutboundNotice& notice) = 0;
  // Makes a Send in flight, and every later one, return soon with an error
  // (at shutdown; called from another thread).
  virtual void Cancel() {}
};

// The body of an erasure notice for a receipt: the API's JSON
// {"event": "erasure", "receipt": {...}} (supplied by api/, which owns the
// wire mapping).
using NoticeBodyFormat =
    std::function<absl::StatusOr<std::string>(const records::ErasureReceipt& receipt)>;

}  // namespace vault

#endif  // VAULT_NOTICES_NOTICE_SENDER_H_
