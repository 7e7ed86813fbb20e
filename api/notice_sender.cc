// HttpsNoticeSender on Beast/OpenSSL, and the erasure notice's JSON body.
// Each Send is one Attempt: its own io_context, every step an asynchronous
// operation with a deadline, run to completion on the calling thread;
// Cancel stops that io_context from another thread.
#include "api/notice_sender.h"

#include <google/protobuf/util/json_util.h>
#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/api.pb.h"
#include "api/views.h"
#include "base/strings.h"
#include "vault/notices/processor_url.h"

namespace vault::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct HttpsNoticeSender::Tls {
  ssl::context ctx{ssl::context::tls_client};
};

namespace {

absl::Status Failed(std::string_view phrase) { return absl::UnavailableError(std::string(phrase)); }

// The phrase of a failed step (never the library's text, which may quote
// peer data).
absl::Status StepFailed(const beast::error_code& ec, std::string_view step) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) {
    return Failed(Cat("timed out: ", step));
  }
  return Failed(Cat("failed: ", step));
}

std::string HostHeader(const ProcessorUrl& url) {
  const std::string host =
      url.host.find(':') != std::string::npos ? Cat("[", url.host, "]") : url.host;
  const uint16_t default_port = url.tls ? 443 : 80;
  return url.port == default_port ? host : Cat(host, ":", url.port);
}

}  // namespace

class HttpsNoticeSender::Attempt {
 public:
  Attempt(HttpsNoticeSender* sender, const ProcessorUrl& url, const OutboundNotice& notice)
      : sender_(sender), url_(url), notice_(notice), timeout_(sender->options_.timeout) {}

  asio::io_context& ioc() { return ioc_; }
  void Stop() { ioc_.stop(); }

  // Runs the io_context until the operation `start` began has completed;
  // operation_aborted when the sender was cancelled.
  template <class Start>
  beast::error_code Await(Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    if (!Restart()) return asio::error::operation_aborted;
    ioc_.run();
    return result == asio::error::would_block ? asio::error::operation_aborted : result;
  }

  absl::StatusOr<tcp::resolver::results_type> Resolve() {
    tcp::resolver resolver(ioc_);
    asio::steady_timer timer(ioc_);
    tcp::resolver::results_type results;
    beast::error_code ec = asio::error::would_block;
    bool timed_out = false;
    resolver.async_resolve(url_.host, std::to_string(url_.port),
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                             timer.cancel();
                           });
    timer.expires_after(timeout_);
    timer.async_wait([&](beast::error_code e) {
      if (e) return;
      timed_out = true;
      resolver.cancel();
    });
    if (!Restart()) return Failed("failed: resolving the host");
    ioc_.run();
    if (timed_out) return Failed("timed out: resolving the host");
    if (ec || results.empty()) return Failed("cannot resolve the host");
    if (url_.tls) return results;
    // http:// only to loopback, whatever the name resolves to.
    for (const auto& entry : results) {
      if (!entry.endpoint().address().is_loopback()) {
        return Failed("http:// host resolves to an address that is not loopback");
      }
    }
    return results;
  }

  // Writes the notice and reads the answer's header on a connected stream.
  template <class Stream>
  absl::Status Exchange(Stream& stream) {
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, HostHeader(url_));
    req.set(http::field::user_agent, "vaultd");
    req.set(http::field::content_type, "application/json");
    req.set("X-Vaultd-Signature", notice_.signature);
    req.set(http::field::connection, "close");
    req.body() = notice_.body;
    req.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(timeout_);
    beast::error_code ec =
        Await([&](auto handler) { http::async_write(stream, req, std::move(handler)); });
    if (ec) return StepFailed(ec, "sending the notice");
    // The header only: the body is never read (nor logged, nor stored).
    beast::flat_buffer buffer(16 * 1024);
    http::response_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(boost::none);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    ec = Await(
        [&](auto handler) { http::async_read_header(stream, buffer, parser, std::move(handler)); });
    if (ec) return StepFailed(ec, "reading the answer");
    const int status = static_cast<int>(parser.get().result_int());
    if (status >= 200 && status < 300) return absl::OkStatus();
    if (status >= 300 && status < 400) {
      return Failed(Cat("HTTP status ", status, " (redirects are not followed)"));
    }
    return Failed(Cat("HTTP status ", status));
  }

  absl::Status SendPlain(const tcp::resolver::results_type& endpoints) {
    beast::tcp_stream stream(ioc_);
    stream.expires_after(timeout_);
    beast::error_code ec =
        Await([&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return StepFailed(ec, "connecting");
    return Exchange(stream);
  }

  absl::Status SendTls(const tcp::resolver::results_type& endpoints, ssl::context& tls_ctx) {
    beast::ssl_stream<beast::tcp_stream> stream(ioc_, tls_ctx);
    // SNI for names (not for IP literals, RFC 6066); the certificate must
    // name the host (RFC 2818: a DNS or IP subjectAltName).
    if (!url_.host_is_ip &&
        SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 static_cast<void*>(const_cast<char*>(url_.host.c_str()))) != 1) {
      return Failed("failed: TLS handshake");
    }
    bool verify_failed = false;
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback([&verify_failed, check = ssl::host_name_verification(url_.host)](
                                   bool preverified, ssl::verify_context& ctx) {
      const bool ok = check(preverified, ctx);
      if (!ok) verify_failed = true;
      return ok;
    });
    beast::get_lowest_layer(stream).expires_after(timeout_);
    beast::error_code ec = Await([&](auto handler) {
      beast::get_lowest_layer(stream).async_connect(endpoints, std::move(handler));
    });
    if (ec) return StepFailed(ec, "connecting");
    beast::get_lowest_layer(stream).expires_after(timeout_);
    ec = Await([&](auto handler) {
      stream.async_handshake(ssl::stream_base::client, std::move(handler));
    });
    if (verify_failed) return Failed("TLS certificate verification failed");
    if (ec) return StepFailed(ec, "TLS handshake");
    return Exchange(stream);
  }

 private:
  // Readies the io_context for the next step unless the sender was
  // cancelled (checked under the sender's lock, so a Cancel either sees this
  // attempt and stops it, or this sees the Cancel).
  bool Restart() {
    std::lock_guard<std::mutex> lock(sender_->mu_);
    if (sender_->cancelled_) return false;
    ioc_.restart();
    return true;
  }

  HttpsNoticeSender* sender_;
  const ProcessorUrl& url_;
  const OutboundNotice& notice_;
  const std::chrono::milliseconds timeout_;
  asio::io_context ioc_;
};

absl::StatusOr<std::unique_ptr<HttpsNoticeSender>> HttpsNoticeSender::New(
    NoticeSenderOptions options) {
  auto tls = std::make_unique<Tls>();
  tls->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (options.ca_file.empty()) {
    tls->ctx.set_default_verify_paths(ec);
  } else {
    tls->ctx.load_verify_file(options.ca_file, ec);
  }
  if (ec) return absl::InvalidArgumentError("cannot load the processor CA file");
  tls->ctx.set_verify_mode(ssl::verify_peer);
  return std::unique_ptr<HttpsNoticeSender>(
      new HttpsNoticeSender(std::move(options), std::move(tls)));
}

HttpsNoticeSender::HttpsNoticeSender(NoticeSenderOptions options, std::unique_ptr<Tls> tls)
    : options_(std::move(options)), tls_(std::move(tls)) {}
HttpsNoticeSender::~HttpsNoticeSender() = default;

void HttpsNoticeSender::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (active_ != nullptr) active_->Stop();
}

absl::Status HttpsNoticeSender::Send(const OutboundNotice& notice) {
  absl::StatusOr<ProcessorUrl> url = ParseProcessorUrl(notice.url);
  if (!url.ok()) return absl::InvalidArgumentError("the processor URL is not valid");
  Attempt attempt(this, *url, notice);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return absl::CancelledError("notice delivery stopped");
    active_ = &attempt;
  }
  absl::Status result;
  absl::StatusOr<tcp::resolver::results_type> endpoints = attempt.Resolve();
  if (!endpoints.ok()) {
    result = endpoints.status();
  } else if (url->tls) {
    result = attempt.SendTls(*endpoints, tls_->ctx);
  } else {
    result = attempt.SendPlain(*endpoints);
  }
  std::lock_guard<std::mutex> lock(mu_);
  active_ = nullptr;
  return result;
}

absl::StatusOr<std::string> ErasureNoticeBody(const records::ErasureReceipt& receipt) {
  v1::ProcessorNotice notice;
  notice.set_event("erasure");
  *notice.mutable_receipt() = ReceiptView(receipt);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string body;
  if (!google::protobuf::util::MessageToJsonString(notice, &body, options).ok()) {
    return absl::InternalError("notice encoding failed");
  }
  return body;
}

}  // namespace vault::api
