// NoticeReceiver on POSIX sockets (poll, so it can stop) and OpenSSL.
#include "tests/api/notice_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace vault::testing {
namespace {

// Reads and writes over a socket, through TLS when `ssl` is set.
struct Conn {
  int fd;
  SSL* ssl = nullptr;
  // Waits up to 5 s for bytes; <= 0 on EOF, error or timeout.
  int Read(char* buf, int n) {
    if (ssl == nullptr || SSL_pending(ssl) == 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return -1;
    }
    return ssl != nullptr ? SSL_read(ssl, buf, n) : static_cast<int>(::recv(fd, buf, n, 0));
  }
  void Write(const std::string& s) {
    if (ssl != nullptr) {
      SSL_write(ssl, s.data(), static_cast<int>(s.size()));
    } else {
      (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    }
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A whole HTTP/1.1 request with a Content-Length body; false if cut short.
bool ReadRequest(Conn& conn, NoticeReceiver::Request* out) {
  std::string data;
  char buf[4096];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    const int n = conn.Read(buf, sizeof buf);
    if (n <= 0 || data.size() > 65536) return false;
    data.append(buf, static_cast<size_t>(n));
  }
  const std::string head = data.substr(0, header_end);
  std::string body = data.substr(header_end + 4);
  size_t length = 0;
  size_t line_start = head.find("\r\n");
  out->target = head.substr(head.find(' ') + 1);
  out->target = out->target.substr(0, out->target.find(' '));
  while (line_start != std::string::npos) {
    line_start += 2;
    const size_t line_end = head.find("\r\n", line_start);
    const std::string line = head.substr(line_start, line_end - line_start);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      const std::string name = Lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") length = std::strtoul(value.c_str(), nullptr, 10);
      if (name == "content-type") out->content_type = value;
      if (name == "x-vaultd-signature") out->signature = value;
    }
    line_start = line_end;
  }
  while (body.size() < length) {
    const int n = conn.Read(buf, sizeof buf);
    if (n <= 0) return false;
    body.append(buf, static_cast<size_t>(n));
  }
  out->body = body.substr(0, length);
  return true;
}

}  // namespace

NoticeReceiver::NoticeReceiver(const std::string& cert_file, const std::string& key_file) {
  if (!cert_file.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      return;
    }
    ssl_ctx_ = ctx;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Run(); });
}

NoticeReceiver::~NoticeReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

void NoticeReceiver::Run() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    Serve(fd);
    ::close(fd);
  }
}

void NoticeReceiver::Serve(int fd) {
  Conn conn{fd};
  if (ssl_ctx_ != nullptr) {
    conn.ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(conn.ssl, fd);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (SSL_accept(conn.ssl) != 1) {
      ++tls_failures_;
      ERR_clear_error();
      SSL_free(conn.ssl);
      return;
    }
  }
  Request request;
  if (ReadRequest(conn, &request)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    cv_.notify_all();
    // Hang: hold the connection until the peer goes away (or we stop).
    while (hang_ && !stop_) {
      pollfd p{fd, POLLIN, 0};
      char c;
      if (::poll(&p, 1, 100) > 0 && ::recv(fd, &c, 1, MSG_PEEK) <= 0) break;
    }
    if (!hang_) {
      const std::string body = kSecretBody;
      conn.Write("HTTP/1.1 " + std::to_string(status_.load()) +
                 " X\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }
  if (conn.ssl != nullptr) {
    SSL_shutdown(conn.ssl);
    SSL_free(conn.ssl);
  }
}

bool NoticeReceiver::WaitForRequests(size_t n, std::chrono::seconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

std::vector<NoticeReceiver::Request> NoticeReceiver::requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

}  // namespace vault::testing
