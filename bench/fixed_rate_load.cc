// fixed_rate_load: an open-loop HTTP/1.1 load generator for vaultd (issue
// 14 item 5). Requests are scheduled at fixed intervals (rate per second)
// whatever the server does, sent over a fixed set of keep-alive connections
// (one request in flight per connection, no pipelining); a request that
// finds every connection busy waits in a queue. Latency is measured from
// the request's *scheduled* send time to its whole response, so time spent
// waiting for a free connection counts (no coordinated omission, unlike
// wrk's closed loop).
//
// Usage: fixed_rate_load HOST:PORT JOB RATE [SECONDS=10] [CONNECTIONS=16]
//                        [WARMUP_SECONDS=1]
//   JOB: tokenize (one phone per call, like bench/cmp_tokenize.lua),
//        detokenize (one token per call from $VAULT_TOKENS, reveal masked,
//        X-Purpose: support, like bench/cmp_detokenize.lua) or
//        tokenize_batch100 (100 phones per call, like cmp_tokenize_batch.lua)
//   Environment: VAULT_KEY (the principal's API key; Authorization: Bearer),
//                VAULT_TOKENS (detokenize: a file of tokens, one per line)
// Requests scheduled during the warm-up are sent but not measured. After the
// last scheduled request, answers are awaited for at most 5 s; requests still
// unanswered then count as unfinished, with their latency up to that moment.
// Prints one line:
//   FIXED rate=R connections=C measured=N errors=E unfinished=U achieved=A
//         p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..
// (measured: requests scheduled after the warm-up, unfinished included;
// errors: answers other than 200 and connection failures; achieved: 200
// answers to measured requests per second of the measured window).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

// Request bodies for one job, built like the wrk scripts build them.
class Bodies {
 public:
  Bodies(std::string job, std::vector<std::string> tokens)
      : job_(std::move(job)), tokens_(std::move(tokens)) {}
  bool Valid() const {
    return job_ == "tokenize" || job_ == "tokenize_batch100" ||
           (job_ == "detokenize" && !tokens_.empty());
  }
  bool Detokenize() const { return job_ == "detokenize"; }
  std::string Path() const {
    return Detokenize() ? "/v1/tenants/acme/detokenize" : "/v1/tenants/acme/tokenize";
  }
  std::string Next() {
    ++counter_;
    if (Detokenize()) {
      return "{\"tokens\": [\"" + tokens_[counter_ % tokens_.size()] +
             "\"], \"reveal\": \"masked\"}";
    }
    const int items = job_ == "tokenize" ? 1 : 100;
    std::string body = "{\"items\": [";
    char item[96];
    for (int k = 0; k < items; ++k) {
      // Distinct from the wrk scripts' values (prefix +86136).
      std::snprintf(item, sizeof item, "%s{\"type\": \"phone\", \"value\": \"+86136%08llu\"}",
                    k == 0 ? "" : ",",
                    static_cast<unsigned long long>((counter_ * items + k) % 90000000));
      body += item;
    }
    return body + "]}";
  }

 private:
  std::string job_;
  std::vector<std::string> tokens_;
  uint64_t counter_ = 0;
};

struct Conn {
  explicit Conn(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  bool busy = false;
  Clock::time_point scheduled;
};

struct Settings {
  asio::ip::tcp::endpoint endpoint;
  double rate = 0;
  double seconds = 10;
  double warmup = 1;
  int connections = 16;
  std::string key;
};

class Load {
 public:
  Load(asio::io_context& io, const Settings& s, Bodies* bodies)
      : io_(io), s_(s), bodies_(bodies), timer_(io), deadline_(io) {}

  bool Start() {
    for (int i = 0; i < s_.connections; ++i) {
      conns_.push_back(std::make_unique<Conn>(io_));
      beast::error_code ec;
      conns_.back()->stream.socket().connect(s_.endpoint, ec);
      if (ec) return false;
      conns_.back()->stream.socket().set_option(asio::ip::tcp::no_delay(true));
    }
    t0_ = Clock::now();
    measure_from_ = t0_ + Micros(s_.warmup * 1e6);
    end_ = t0_ + Micros(s_.seconds * 1e6);
    Tick();
    return true;
  }

  void Report() {
    const auto stop = Clock::now();
    uint64_t unfinished = queue_.size();
    for (const auto& q : queue_) Record(q, stop);
    for (const auto& c : conns_) {
      if (c->busy) {
        ++unfinished;
        Record(c->scheduled, stop);
      }
    }
    std::vector<uint32_t>& l = latencies_;
    std::sort(l.begin(), l.end());
    auto pct = [&l](double p) -> unsigned long long {
      if (l.empty()) return 0;
      size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(l.size()));
      return l[std::min(i, l.size() - 1)];
    };
    const double window = s_.seconds - s_.warmup;
    std::printf(
        "FIXED rate=%.0f connections=%d measured=%zu errors=%llu unfinished=%llu achieved=%.1f "
        "p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu\n",
        s_.rate, s_.connections, l.size(), static_cast<unsigned long long>(errors_),
        static_cast<unsigned long long>(unfinished),
        static_cast<double>(answered_) / (window > 0 ? window : 1), pct(50), pct(90), pct(99),
        pct(99.9), l.empty() ? 0ULL : static_cast<unsigned long long>(l.back()));
  }

 private:
  static Clock::duration Micros(double us) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::micro>(us));
  }
  Clock::time_point Scheduled(uint64_t i) const {
    return t0_ + Micros(static_cast<double>(i) * 1e6 / s_.rate);
  }

  // Queues every request whose time has come, hands them to idle
  // connections and sleeps until the next one is due.
  void Tick() {
    const auto now = Clock::now();
    while (Scheduled(next_) <= now && Scheduled(next_) < end_) queue_.push_back(Scheduled(next_++));
    Dispatch();
    if (Scheduled(next_) < end_) {
      timer_.expires_at(Scheduled(next_));
      timer_.async_wait([this](beast::error_code ec) {
        if (!ec) Tick();
      });
      return;
    }
    scheduling_done_ = true;
    deadline_.expires_at(end_ + std::chrono::seconds(5));
    deadline_.async_wait([this](beast::error_code ec) {
      if (!ec) io_.stop();
    });
    StopIfDone();
  }

  void Dispatch() {
    for (auto& c : conns_) {
      if (queue_.empty()) return;
      if (!c->busy) {
        const Clock::time_point scheduled = queue_.front();
        queue_.pop_front();
        Send(*c, scheduled);
      }
    }
  }

  void Send(Conn& c, Clock::time_point scheduled) {
    c.busy = true;
    c.scheduled = scheduled;
    c.req = {};
    c.req.method(http::verb::post);
    c.req.target(bodies_->Path());
    c.req.version(11);
    c.req.set(http::field::host, "vaultd");
    c.req.set(http::field::content_type, "application/json");
    c.req.set(http::field::authorization, "Bearer " + s_.key);
    if (bodies_->Detokenize()) c.req.set("X-Purpose", "support");
    c.req.body() = bodies_->Next();
    c.req.prepare_payload();
    http::async_write(c.stream, c.req, [this, &c](beast::error_code ec, size_t) {
      if (ec) {
        Reconnect(c);
        return Finish(c, false);
      }
      c.res = {};
      http::async_read(c.stream, c.buffer, c.res, [this, &c](beast::error_code ec2, size_t) {
        if (ec2 || !c.res.keep_alive()) Reconnect(c);
        Finish(c, !ec2 && c.res.result() == http::status::ok);
      });
    });
  }

  void Reconnect(Conn& c) {
    beast::error_code ignored;
    c.stream.socket().close(ignored);
    c.buffer.clear();
    c.stream.socket().connect(s_.endpoint, ignored);
  }

  void Finish(Conn& c, bool ok) {
    c.busy = false;
    if (!ok) ++errors_;
    if (ok && c.scheduled >= measure_from_) ++answered_;
    Record(c.scheduled, Clock::now());
    Dispatch();
    StopIfDone();
  }

  void Record(Clock::time_point scheduled, Clock::time_point done) {
    if (scheduled < measure_from_) return;
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(done - scheduled).count();
    latencies_.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
  }

  void StopIfDone() {
    if (!scheduling_done_ || !queue_.empty()) return;
    for (const auto& c : conns_) {
      if (c->busy) return;
    }
    io_.stop();
  }

  asio::io_context& io_;
  Settings s_;
  Bodies* bodies_;
  asio::steady_timer timer_, deadline_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::deque<Clock::time_point> queue_;
  Clock::time_point t0_, measure_from_, end_;
  uint64_t next_ = 0, errors_ = 0, answered_ = 0;
  bool scheduling_done_ = false;
  std::vector<uint32_t> latencies_;
};

std::vector<std::string> ReadLines(const char* path) {
  std::vector<std::string> lines;
  if (path == nullptr) return lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: fixed_rate_load HOST:PORT JOB RATE [SECONDS] [CONNECTIONS] [WARMUP]\n");
    return 2;
  }
  const std::string addr = argv[1];
  const size_t colon = addr.rfind(':');
  const char* key = std::getenv("VAULT_KEY");
  Bodies bodies(argv[2], ReadLines(std::getenv("VAULT_TOKENS")));
  Settings s;
  s.rate = std::atof(argv[3]);
  if (argc > 4) s.seconds = std::atof(argv[4]);
  if (argc > 5) s.connections = std::atoi(argv[5]);
  if (argc > 6) s.warmup = std::atof(argv[6]);
  if (colon == std::string::npos || key == nullptr || !bodies.Valid() || s.rate <= 0 ||
      s.connections <= 0 || s.warmup >= s.seconds) {
    std::fprintf(stderr,
                 "fixed_rate_load: bad arguments or environment (VAULT_KEY, VAULT_TOKENS)\n");
    return 2;
  }
  s.key = key;
  beast::error_code ec;
  const auto ip = asio::ip::make_address(addr.substr(0, colon), ec);
  if (ec) {
    std::fprintf(stderr, "fixed_rate_load: HOST must be an IP address\n");
    return 2;
  }
  s.endpoint = {ip, static_cast<uint16_t>(std::atoi(addr.c_str() + colon + 1))};
  asio::io_context io(1);
  Load load(io, s, &bodies);
  if (!load.Start()) {
    std::fprintf(stderr, "fixed_rate_load: cannot connect to %s\n", addr.c_str());
    return 1;
  }
  io.run();
  load.Report();
  return 0;
}
