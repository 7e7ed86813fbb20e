// HTTP client on Beast.
#include "client/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace vault::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class HttpClient::Impl {
 public:
  Impl(std::string host, int port, const TlsClientOptions* tls)
      : host_(std::move(host)), port_(port), ssl_ctx_(ssl::context::tls_client) {
    if (tls != nullptr) {
      tls_ = true;
      boost::system::error_code ec;
      if (tls->ca_file.empty()) {
        ssl_ctx_.set_default_verify_paths(ec);
      } else {
        ssl_ctx_.load_verify_file(tls->ca_file, ec);
      }
      if (ec) setup_error_ = "cannot load the CA file: " + ec.message();
      ssl_ctx_.set_verify_mode(ssl::verify_peer);
      if (!tls->cert_file.empty()) {
        ssl_ctx_.use_certificate_chain_file(tls->cert_file, ec);
        if (!ec) ssl_ctx_.use_private_key_file(tls->key_file, ssl::context::pem, ec);
        if (ec) setup_error_ = "cannot load the client certificate or key: " + ec.message();
      }
    }
  }

  bool Connect(std::string* error) {
    if (!setup_error_.empty()) {
      *error = setup_error_;
      return false;
    }
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) {
      *error = "cannot resolve " + host_ + ": " + ec.message();
      return false;
    }
    if (tls_) {
      tls_stream_.emplace(ioc_, ssl_ctx_);
      beast::get_lowest_layer(*tls_stream_).expires_after(timeout_);
      beast::get_lowest_layer(*tls_stream_).connect(results, ec);
      if (!ec) {
        // Server name indication and host-name verification.
        SSL_ctrl(tls_stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                 TLSEXT_NAMETYPE_host_name, static_cast<void*>(const_cast<char*>(host_.c_str())));
        tls_stream_->set_verify_callback(ssl::host_name_verification(host_));
        beast::get_lowest_layer(*tls_stream_).expires_after(timeout_);
        tls_stream_->handshake(ssl::stream_base::client, ec);
      }
      if (ec) {
        *error = "cannot connect to " + host_ + ":" + std::to_string(port_) + ": " + ec.message();
        tls_stream_.reset();
        return false;
      }
    } else {
      plain_.emplace(ioc_);
      plain_->expires_after(timeout_);
      plain_->connect(results, ec);
      if (ec) {
        *error = "cannot connect to " + host_ + ":" + std::to_string(port_) + ": " + ec.message();
        plain_.reset();
        return false;
      }
    }
    return true;
  }

  template <class Stream>
  HttpResult Do(Stream& stream, http::request<http::string_body>& req) {
    HttpResult out;
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(timeout_);
    http::write(stream, req, ec);
    // A server may answer (413) before the whole request is sent: read the
    // answer even when the write was cut short.
    const bool write_failed = static_cast<bool>(ec);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(256ULL << 20);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    http::read(stream, buffer, parser, ec);
    if (ec) {
      out.error = "no answer from the server: " + ec.message();
      plain_.reset();
      tls_stream_.reset();
      (void)write_failed;
      return out;
    }
    http::response<http::string_body> res = parser.release();
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    if (!res.keep_alive()) {
      plain_.reset();
      tls_stream_.reset();
    }
    return out;
  }

  HttpResult Request(const std::string& method, const std::string& target, const std::string& body,
                     const std::map<std::string, std::string>& headers) {
    if (!plain_ && !tls_stream_) {
      HttpResult failed;
      if (!Connect(&failed.error)) return failed;
    }
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, host_);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    req.keep_alive(true);
    return tls_ ? Do(*tls_stream_, req) : Do(*plain_, req);
  }

  std::string host_;
  int port_;
  std::chrono::milliseconds timeout_{30000};
  asio::io_context ioc_;
  ssl::context ssl_ctx_;
  bool tls_ = false;
  std::string setup_error_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
};

HttpClient::HttpClient(std::string host, int port, const TlsClientOptions* tls)
    : impl_(std::make_unique<Impl>(std::move(host), port, tls)) {}
HttpClient::~HttpClient() = default;
void HttpClient::set_timeout(std::chrono::milliseconds timeout) { impl_->timeout_ = timeout; }
HttpResult HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  return impl_->Request(method, target, body, headers);
}

}  // namespace vault::client
