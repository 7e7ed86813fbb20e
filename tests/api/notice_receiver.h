// NoticeReceiver: a processor's endpoint for the erasure-notice tests, on
// loopback: plain HTTP, or HTTPS with a given certificate and key. It
// records each request (target, headers, exact body bytes) and answers with
// a settable status, or holds the connection unanswered ("hang") until the
// peer goes away. One connection at a time, on its own thread.
// Thread-safety: the setters and readers may be called from any thread.
#ifndef VAULT_TESTS_API_NOTICE_RECEIVER_H_
#define VAULT_TESTS_API_NOTICE_RECEIVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vault::testing {

class NoticeReceiver {
 public:
  struct Request {
    std::string target;
    std::string content_type;
    std::string signature;  // X-Vaultd-Signature
    std::string body;
  };

  // Plain HTTP when cert_file is empty.
  explicit NoticeReceiver(const std::string& cert_file = "", const std::string& key_file = "");
  ~NoticeReceiver();
  NoticeReceiver(const NoticeReceiver&) = delete;
  NoticeReceiver& operator=(const NoticeReceiver&) = delete;

  int port() const { return port_; }
  // The status of later answers (default 200), sent with a body that must
  // never show up in vaultd (`kSecretBody`).
  void set_status(int status) { status_ = status; }
  // Read requests but never answer them until cleared.
  void set_hang(bool hang) { hang_ = hang; }
  static constexpr const char* kSecretBody = "response-body-with-personal-data";

  // Waits (bounded) until `n` requests arrived.
  bool WaitForRequests(size_t n, std::chrono::seconds timeout);
  std::vector<Request> requests();
  int tls_handshake_failures() const { return tls_failures_.load(); }

 private:
  void Run();
  void Serve(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, null for plain HTTP
  std::atomic<int> status_{200};
  std::atomic<bool> hang_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int> tls_failures_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace vault::testing

#endif  // VAULT_TESTS_API_NOTICE_RECEIVER_H_
