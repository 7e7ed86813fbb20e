// Test HTTP client on Beast.
#include "tests/api/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <optional>

namespace vault::testing {

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
      ssl_ctx_.load_verify_file(tls->ca_file);
      ssl_ctx_.set_verify_mode(ssl::verify_peer);
      if (!tls->cert_file.empty()) {
        ssl_ctx_.use_certificate_chain_file(tls->cert_file);
        ssl_ctx_.use_private_key_file(tls->key_file, ssl::context::pem);
      }
    }
  }

  bool Connect() {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) return false;
    if (tls_) {
      tls_stream_.emplace(ioc_, ssl_ctx_);
      beast::get_lowest_layer(*tls_stream_).connect(results, ec);
      if (ec) return false;
      tls_stream_->handshake(ssl::stream_base::client, ec);
      if (ec) {
        tls_stream_.reset();
        return false;
      }
    } else {
      plain_.emplace(ioc_);
      plain_->connect(results, ec);
      if (ec) {
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
    http::write(stream, req, ec);
    // A server may answer (413) before the whole request is sent: read the
    // answer even when the write was cut short.
    const bool write_failed = static_cast<bool>(ec);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    if (ec) {
      if (write_failed) {
        plain_.reset();
        tls_stream_.reset();
      }
      return out;
    }
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
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

  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body, const std::map<std::string, std::string>& headers) {
    if (!plain_ && !tls_stream_ && !Connect()) return {};
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
  asio::io_context ioc_;
  ssl::context ssl_ctx_;
  bool tls_ = false;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
};

HttpClient::HttpClient(std::string host, int port, const TlsClientOptions* tls)
    : impl_(std::make_unique<Impl>(std::move(host), port, tls)) {}
HttpClient::~HttpClient() = default;
HttpResult HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  return impl_->Request(method, target, body, headers);
}

}  // namespace vault::testing
