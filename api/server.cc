// Server implementation on Boost.Beast. The only includer of Beast/Asio.
#include "api/server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "api/logging.h"
#include "api/request_fiber.h"
#include "base/strings.h"
#include "spdlog/spdlog.h"

namespace vault::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, RequestHandler* handler)
      : options_(std::move(options)),
        handler_(handler),
        ioc_(options_.io_threads > 0
                 ? options_.io_threads
                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        acceptor_(asio::make_strand(ioc_)),
        pool_(options_.handler_threads > 0 ? static_cast<size_t>(options_.handler_threads)
                                           : 8 * std::max(1u, std::thread::hardware_concurrency())),
        ssl_(ssl::context::tls_server) {}

  absl::Status Listen();
  void Run();
  void Shutdown(std::chrono::milliseconds deadline);
  uint16_t port() const { return port_; }

  template <class Stream>
  friend class Session;

  // Handles one request and writes its access-log line.
  HttpResponse HandleAndLog(const HttpRequest& request) {
    const auto start = std::chrono::steady_clock::now();
    HttpResponse response = handler_->Handle(request);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    LogAccess({request.method, response.route, response.status, ms, response.principal,
               response.request_id});
    return response;
  }

  ServerOptions options_;
  RequestHandler* handler_;
  RequestFibers fibers_;  // before ioc_: outlives the handlers that hold fibers
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::thread_pool pool_;
  ssl::context ssl_;
  bool tls_ = false;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> lingering_{0};  // not counted in connections_
  bool stopped_ = false;

  // Takes a linger slot; false (and counted) when all are taken.
  bool TryAcquireLingerSlot() {
    size_t n = lingering_.load();
    do {
      if (n >= options_.max_lingering) {
        if (options_.metrics != nullptr) options_.metrics->Add("linger_skipped");
        return false;
      }
    } while (!lingering_.compare_exchange_weak(n, n + 1));
    if (options_.metrics != nullptr) options_.metrics->AddToGauge("lingering_connections", 1);
    return true;
  }
  void ReleaseLingerSlot() {
    --lingering_;
    if (options_.metrics != nullptr) options_.metrics->AddToGauge("lingering_connections", -1);
  }

 private:
  void DoAccept();
  void RecordCertificateExpiry();
  void RecordClientCaExpiry();
};

namespace {

HttpRequest ToRequest(const http::request<http::string_body>& req) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  std::string_view target = req.target();
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = req.body();
  return out;
}

}  // namespace

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(Server::Impl* server, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...) {}

  ~Session() {
    if (holds_linger_slot_) {
      server_->ReleaseLingerSlot();
    } else {
      --server_->connections_;
    }
  }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::OnStart, this->shared_from_this()));
  }

 private:
  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnStart() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      Lowest().expires_after(server_->options_.read_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::OnHandshake, this->shared_from_this()));
    } else {
      DoRead(server_->options_.read_timeout);
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return;  // failed handshakes (no client cert, wrong protocol) just close
    DoRead(server_->options_.read_timeout);
  }

  void DoRead(std::chrono::milliseconds timeout) {
    parser_.emplace();
    parser_->body_limit(server_->options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(server_->options_.header_limit));
    Lowest().expires_after(timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::body_limit) {
      linger_ = StartLinger();
      return Respond(MakeErrorResponse(413, "PAYLOAD_TOO_LARGE", "body over the limit", ""), false);
    }
    if (ec == http::error::header_limit) {
      linger_ = StartLinger();
      return Respond(MakeErrorResponse(431, "INVALID_ARGUMENT", "headers over the limit", ""),
                     false);
    }
    if (ec) return Close();  // timeout, reset, malformed
    keep_alive_ = parser_->get().keep_alive() && !server_->draining_;
    if (server_->in_flight_.load() >= server_->options_.max_in_flight) {
      return Respond(
          MakeErrorResponse(429, "RESOURCE_EXHAUSTED", "too many requests in flight", ""),
          keep_alive_);
    }
    if (server_->draining_) {
      return Respond(MakeErrorResponse(503, "UNAVAILABLE", "shutting down", ""), false);
    }
    ++server_->in_flight_;
    auto self = this->shared_from_this();
    HttpRequest request = ToRequest(parser_->get());
    if (RequestHandler::RunsOnIoThread(request.method, request.path)) return HandleHere(request);
    asio::post(server_->pool_, [self, request = std::move(request)]() mutable {
      HttpResponse response = self->server_->HandleAndLog(request);
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Respond(std::move(response), self->keep_alive_, /*counted=*/true);
      });
    });
  }

  // The hot routes: handled on this I/O thread in a fiber, which parks
  // (frees the thread) while its durable write is committed, and continues
  // on this session's strand.
  void HandleHere(HttpRequest& request) {
    auto self = this->shared_from_this();
    auto call =
        std::make_shared<std::pair<HttpRequest, HttpResponse>>(std::move(request), HttpResponse());
    server_->fibers_.Start(
        [self, call] {
          try {
            call->second = self->server_->HandleAndLog(call->first);
          } catch (const std::exception&) {
            call->second = MakeErrorResponse(500, "INTERNAL", "internal error", "");
          }
        },
        [self, call] { self->Respond(std::move(call->second), self->keep_alive_, true); },
        [self](std::function<void()> step) {
          asio::post(self->stream_.get_executor(), std::move(step));
        });
  }

  void Respond(HttpResponse response, bool keep_alive, bool counted = false) {
    counted_ = counted;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(response.status));
    res->set(http::field::server, "vaultd");
    if (!response.content_type.empty()) res->set(http::field::content_type, response.content_type);
    res->set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive && !server_->draining_);
    res->prepare_payload();
    response_ = res;
    Lowest().expires_after(
        linger_ ? std::min(server_->options_.read_timeout, server_->options_.linger_timeout)
                : server_->options_.read_timeout);
    http::async_write(
        stream_, *res,
        beast::bind_front_handler(&Session::OnWrite, this->shared_from_this(), res->keep_alive()));
  }

  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
    if (counted_) --server_->in_flight_;
    counted_ = false;
    response_.reset();
    if (!ec && linger_) return Linger();
    if (ec || !keep_alive) return Close();
    // The whole next request, from its first byte, must arrive within the
    // shorter of the two deadlines: keep-alive gives no extra time to trickle.
    DoRead(std::min(server_->options_.idle_timeout, server_->options_.read_timeout));
  }

  // A refused request (413, 431) may still be arriving: from now on this
  // connection holds a linger slot instead of a slot of max_connections, so
  // refused clients cannot crowd out new ones. False when every linger slot
  // is taken: the connection then closes right after its answer.
  bool StartLinger() {
    if (!server_->TryAcquireLingerSlot()) return false;
    holds_linger_slot_ = true;
    --server_->connections_;
    linger_until_ = std::chrono::steady_clock::now() + server_->options_.linger_timeout;
    return true;
  }

  // After refusing a request whose rest is still arriving (413, 431): read
  // and discard for a moment before closing, so the client receives the
  // answer instead of a reset caused by its unread bytes. Bounded: 2 s
  // without a byte, linger_timeout in all, linger_max_bytes in all.
  void Linger() {
    const auto now = std::chrono::steady_clock::now();
    const size_t max_bytes = server_->options_.linger_max_bytes;
    if (now >= linger_until_ || lingered_bytes_ >= max_bytes) {
      if (server_->options_.metrics != nullptr) server_->options_.metrics->Add("linger_capped");
      return Close();
    }
    Lowest().expires_after(std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(2),
                                                                         linger_until_ - now));
    stream_.async_read_some(
        asio::buffer(discard_.data(), std::min(discard_.size(), max_bytes - lingered_bytes_)),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->lingered_bytes_ += n;
          if (ec == beast::error::timeout &&
              std::chrono::steady_clock::now() >= self->linger_until_) {
            return self->Linger();  // at the time cap: counted and closed there
          }
          if (ec || n == 0) return self->Close();
          self->Linger();
        });
  }

  void Close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      Lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        self->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Server::Impl* server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  bool keep_alive_ = false;
  bool counted_ = false;
  bool linger_ = false;
  bool holds_linger_slot_ = false;  // counted in lingering_, not connections_
  std::chrono::steady_clock::time_point linger_until_;
  size_t lingered_bytes_ = 0;
  std::array<char, 16384> discard_{};
};

absl::Status Server::Impl::Listen() {
  beast::error_code ec;
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    ssl_.use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) return absl::InvalidArgumentError("cannot load the TLS certificate");
    RecordCertificateExpiry();
    ssl_.use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError("cannot load the TLS private key");
    if (!options_.tls_client_ca_file.empty()) {
      ssl_.load_verify_file(options_.tls_client_ca_file, ec);
      if (ec) return absl::InvalidArgumentError("cannot load the TLS client CA");
      ssl_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
      RecordClientCaExpiry();
    }
    tls_ = true;
  }
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return absl::InvalidArgumentError("listen address is not an IP address");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(Cat("cannot listen: ", ec.message()));
  port_ = acceptor_.local_endpoint().port();
  if (options_.metrics != nullptr) {
    options_.metrics->AddToGauge("lingering_connections", 0);
    options_.metrics->SetGauge("lingering_connections_limit",
                               static_cast<double>(options_.max_lingering));
  }
  DoAccept();
  return absl::OkStatus();
}

// Gauge tls_certificate_expiry_timestamp_seconds: the served certificate's
// notAfter (Unix seconds), for alerts before it expires.
void Server::Impl::RecordCertificateExpiry() {
  X509* cert = SSL_CTX_get0_certificate(ssl_.native_handle());
  struct tm not_after {};
  if (options_.metrics == nullptr || cert == nullptr ||
      ASN1_TIME_to_tm(X509_get0_notAfter(cert), &not_after) != 1) {
    return;
  }
  options_.metrics->SetGauge("tls_certificate_expiry_timestamp_seconds",
                             static_cast<double>(timegm(&not_after)));
}

// Gauge tls_client_ca_expiry_timestamp_seconds: the earliest notAfter of
// the client CA certificates (mTLS); clients' certificates stop verifying
// after it.
void Server::Impl::RecordClientCaExpiry() {
  X509_STORE* store = SSL_CTX_get_cert_store(ssl_.native_handle());
  if (options_.metrics == nullptr || store == nullptr) return;
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  double earliest = 0;
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i));
    struct tm not_after {};
    if (cert == nullptr || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &not_after) != 1) continue;
    const auto t = static_cast<double>(timegm(&not_after));
    if (earliest == 0 || t < earliest) earliest = t;
  }
  if (earliest != 0) options_.metrics->SetGauge("tls_client_ca_expiry_timestamp_seconds", earliest);
}

void Server::Impl::DoAccept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      return DoAccept();
    }
    if (connections_.load() >= options_.max_connections || draining_) {
      beast::error_code ignored;
      socket.close(ignored);  // over the connection limit
      return DoAccept();
    }
    ++connections_;
    socket.set_option(tcp::no_delay(true));
    if (tls_) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(this, std::move(socket), ssl_)
          ->Start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(this, std::move(socket))->Start();
    }
    DoAccept();
  });
}

void Server::Impl::Run() {
  const int n = options_.io_threads > 0
                    ? options_.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void Server::Impl::Shutdown(std::chrono::milliseconds deadline) {
  if (stopped_) return;
  stopped_ = true;
  draining_ = true;
  asio::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Parked requests finish as soon as their writes are durable (the
  // committer does not need these threads); give them a moment past the
  // deadline, then never resume the rest.
  fibers_.Close(std::chrono::seconds(5));
  ioc_.stop();
  for (std::thread& t : threads_) t.join();
  pool_.join();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { impl_->Shutdown(std::chrono::milliseconds(0)); }
uint16_t Server::port() const { return impl_->port(); }
void Server::Shutdown(std::chrono::milliseconds deadline) { impl_->Shutdown(deadline); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                                      RequestHandler* handler) {
  auto impl = std::make_unique<Impl>(std::move(options), handler);
  if (absl::Status s = impl->Listen(); !s.ok()) return s;
  impl->Run();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace vault::api
