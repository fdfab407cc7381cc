#include "http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/crypto.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/connection.h"

namespace arenite::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

// The Date header, formatted at most once a second per thread.
const std::string& HttpDate() {
  thread_local std::time_t cached_at = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
    cached_at = now;
  }
  return cached;
}

// A request id: 16 hex digits from a per-thread generator seeded from the system's random
// source. Ids only tell requests apart in logs; they guard nothing, so they need not come from
// the cryptographic generator (which costs a system call per request).
std::string NewRequestId() {
  thread_local std::mt19937_64 generator([] {
    std::string seed = crypto::RandomBytes(8);
    uint64_t v = 0;
    for (unsigned char c : seed) v = (v << 8) | c;
    return v;
  }());
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = generator();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<size_t>(i)] = kHex[v & 15];
  return id;
}

// One io_context per I/O thread, each run by its thread alone, so that a connection needs no
// strand and threads never contend for one scheduler.
std::vector<std::unique_ptr<boost::asio::io_context>> MakeContexts(int threads) {
  int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts;
  for (int i = 0; i < std::max(1, n); ++i) {
    contexts.push_back(std::make_unique<boost::asio::io_context>(1));
  }
  return contexts;
}

// What a Range header asks of a file of `size` bytes (RFC 9110 section 14): the whole file
// when the header is to be ignored (another range unit, several ranges, which a server may
// ignore), one part for "bytes=START-END", "bytes=START-" or "bytes=-SUFFIX" (the unit in any
// case), or nothing satisfiable (416) for a malformed or out-of-range byte range.
enum class RangeAnswer { kWhole, kPart, kUnsatisfiable };

RangeAnswer ParseRange(std::string_view header, uint64_t size, uint64_t* first, uint64_t* last) {
  size_t eq = header.find('=');
  if (eq == std::string_view::npos || !beast::iequals(header.substr(0, eq), "bytes")) {
    return RangeAnswer::kWhole;
  }
  std::string_view spec = header.substr(eq + 1);
  if (spec.find(',') != std::string_view::npos) return RangeAnswer::kWhole;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos || size == 0) return RangeAnswer::kUnsatisfiable;
  auto number = [](std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 19) return false;
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    *out = v;
    return true;
  };
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  uint64_t x = 0, y = 0;
  if (a.empty()) {
    if (!number(b, &y) || y == 0) return RangeAnswer::kUnsatisfiable;
    *first = y >= size ? 0 : size - y;
    *last = size - 1;
    return RangeAnswer::kPart;
  }
  if (!number(a, &x) || x >= size) return RangeAnswer::kUnsatisfiable;
  if (b.empty()) {
    y = size - 1;
  } else if (!number(b, &y) || y < x) {
    return RangeAnswer::kUnsatisfiable;
  }
  *first = x;
  *last = std::min(y, size - 1);
  return RangeAnswer::kPart;
}

// A file whose size() is the length of one byte range: Beast's file body sends size() bytes from
// the file's current position, so seeking to the range's start and limiting the size sends
// exactly that range.
class RangeFile : public beast::file {
 public:
  void Limit(uint64_t length) { length_ = length; }
  uint64_t size(beast::error_code& ec) const {
    uint64_t real = beast::file::size(ec);
    return length_ ? std::min(real, length_) : real;
  }

 private:
  uint64_t length_ = 0;
};

// Whether a header can be written as it is: a name of RFC 9110 token characters, and a value
// without control characters other than horizontal tab (RFC 9110 section 5.5).
bool WritableHeader(std::string_view name, std::string_view value) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  if (name.empty()) return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    bool token = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 kTokenPunctuation.find(ch) != std::string_view::npos;
    if (!token) return false;
  }
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// Statuses whose answers have no body and no Content-Length (RFC 9110 sections 8.6, 15.3.5 and
// 15.4.5).
bool Bodiless(int status) { return status < 200 || status == 204 || status == 304; }

// Headers that frame the message, which only the server writes.
bool FramingHeader(std::string_view name) {
  for (std::string_view framing : {"Content-Length", "Transfer-Encoding", "Connection"}) {
    if (beast::iequals(name, framing)) return true;
  }
  return false;
}

// A header name fit for a log line: what is not a token character shows as '?'.
std::string Printable(std::string_view name) {
  std::string out(name.substr(0, 64));
  for (char& c : out) {
    if (!WritableHeader(std::string_view(&c, 1), "")) c = '?';
  }
  return out;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

using RequestParser = bhttp::request_parser<bhttp::string_body>;

// How much one read asks for: a whole TLS record's plaintext.
constexpr size_t kReadSize = 16 * 1024;
// The longest chunk-size line or trailer field of a chunked body.
constexpr size_t kMaxBodyLine = 64 * 1024;

// Feeds what `buffer` holds to the parser, reading more from the connection while the parser
// needs it, until done(parser). What the parser does not take (a pipelined request's first
// bytes) stays in `buffer`. The deadline `timeout` starts only when a read is needed. Errors
// are those of Beast's http::read: the parser's, end_of_stream when the peer closed before a
// byte of the message, or the connection's.
//
// The header may be `max_header_bytes` long in all. Beast's parser checks its header limit
// against what one put() is given, and takes complete fields as they come, so the whole is
// counted here: what it took of the header so far and what it left waiting in the buffer.
template <typename Done>
awaitable<beast::error_code> Parse(Connection& connection, beast::flat_buffer& buffer,
                                   RequestParser& parser, size_t max_header_bytes,
                                   std::chrono::seconds timeout, Done done) {
  bool deadline_set = false;
  size_t header_bytes = 0;
  for (;;) {
    if (done(parser)) co_return beast::error_code{};
    if (buffer.size() > 0) {
      bool in_header = !parser.is_header_done();
      beast::error_code ec;
      size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      // The parser's own verdict first: a header it took whole and refused (a body over the
      // limit, a bad Content-Length) is that error, whatever follows it in the buffer.
      if (ec && ec != bhttp::error::need_more) co_return ec;
      if (in_header) {
        header_bytes += used;
        // Unfinished, it needs at least one more byte than it has.
        bool over = parser.is_header_done() ? header_bytes > max_header_bytes
                                            : header_bytes + buffer.size() >= max_header_bytes;
        if (over) co_return bhttp::error::header_limit;
      } else if (ec && used == 0 && buffer.size() >= kMaxBodyLine) {
        // The body's bytes are taken as they come; only a chunk-size line or a trailer is
        // waited for whole, and one this long never ends.
        co_return bhttp::error::buffer_overflow;
      }
      if (!ec && used > 0) continue;
    }
    if (!deadline_set) {
      connection.ExpiresAfter(timeout);
      deadline_set = true;
    }
    auto [ec, n] = co_await connection.ReadSome(buffer.prepare(kReadSize));
    if (ec == asio::error::eof) {
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      beast::error_code eof;
      parser.put_eof(eof);
      co_return eof ? eof : beast::error_code(bhttp::error::partial_message);
    }
    if (ec) co_return ec;
    buffer.commit(n);
  }
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions opts, const Router& r)
      : options(std::move(opts)),
        router(r),
        logger(log::Get("http")),
        requests(prometheus::BuildCounter()
                     .Name("arenite_http_requests_total")
                     .Help("HTTP requests answered, by route, method and status")
                     .Register(metrics::Registry())),
        latency(prometheus::BuildHistogram()
                    .Name("arenite_http_request_duration_seconds")
                    .Help("Time from a request's last byte read to its reply written")
                    .Register(metrics::Registry())),
        open_gauge(prometheus::BuildGauge()
                       .Name("arenite_http_open_connections")
                       .Help("Connections currently open")
                       .Register(metrics::Registry())
                       .Add({})),
        contexts(MakeContexts(options.io_threads)),
        io(*contexts.front()),
        workers(static_cast<size_t>(std::max(1, options.worker_threads))),
        acceptor(io) {
    for (auto& context : contexts) guards.push_back(asio::make_work_guard(*context));
  }

  ServerOptions options;
  const Router& router;
  std::atomic<int> connections{0};
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  // Every open connection, so that Stop can end those waiting for their next request. A
  // handle's fields are only touched on its connection's executor; the set itself is guarded
  // by the mutex.
  struct IdleConnection {
    Connection* connection;
    asio::any_io_executor executor;
    bool waiting;
  };
  std::mutex idle_mu;
  std::set<std::shared_ptr<IdleConnection>> idle;
  std::shared_ptr<spdlog::logger> logger;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  prometheus::Gauge& open_gauge;
  // Declared after everything a connection touches, so that connections still open after a
  // timed-out drain are destroyed (with their contexts) while those members are alive.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  asio::io_context& io;  // the first context; it also runs the acceptor and the drain
  asio::thread_pool workers;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  size_t next_context = 0;
  std::vector<std::thread> threads;

  Status SetUpTls() {
    try {
      tls.emplace(ssl::context::tls_server);
      tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
      tls->use_certificate_chain_file(options.cert_file);
      tls->use_private_key_file(options.key_file, ssl::context::pem);
    } catch (const std::exception& e) {
      return Internal(std::string("cannot load the TLS certificate or key: ") + e.what());
    }
    return OkStatus();
  }

  void Finish() {
    if (stopped.exchange(true)) return;
    for (auto& guard : guards) guard.reset();
    for (auto& context : contexts) context->stop();
  }

  void ConnectionClosed() {
    open_gauge.Decrement();
    if (--connections == 0 && draining && !stopped) asio::post(io, [this] { Finish(); });
  }

  Reply Invoke(const Route& route, Request& request) {
    try {
      return route.handler(request);
    } catch (const std::exception& e) {
      logger->error("req={} handler for {} threw: {}", request.request_id, route.pattern, e.what());
      return ErrorReply(Internal());
    }
  }

  // Parses, routes and runs one request; the reply is complete on return.
  awaitable<Reply> Dispatch(bhttp::request<bhttp::string_body>& raw, Request& request) {
    request.method = std::string(raw.method_string());
    for (const auto& field : raw) {
      request.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(raw.body());
    Status parsed =
        ParseTarget(std::string_view(raw.target().data(), raw.target().size()), request);
    if (!parsed.ok()) co_return ErrorReply(parsed.error());

    int status = 404;
    std::string allow;
    const Route* route = router.Match(request, &status, &allow);
    if (!route) {
      Reply reply =
          status == 405
              ? ErrorReply(MakeError(405, kErrMethodNotAllowed, "method not allowed on this path"))
              : ErrorReply(MakeError(404, kErrNotFoundPath, "no resource at this path"));
      if (!allow.empty()) reply.headers.Set("Allow", allow);
      co_return reply;
    }
    if (route->options.on_io_thread || route->options.short_read ||
        (route->options.on_io_thread_if && route->options.on_io_thread_if(request))) {
      co_return Invoke(*route, request);
    }
    co_return co_await asio::co_spawn(
        workers, [&]() -> awaitable<Reply> { co_return Invoke(*route, request); }, use_awaitable);
  }

  // Passes add(name, value) the headers every reply carries, then the handler's own. False,
  // logged, when the handler set one that cannot be written as it is (WritableHeader,
  // FramingHeader): a bug, which the caller answers with a 500.
  template <typename Add>
  bool EachHeader(const Request& request, const Reply& reply, Add add) {
    add("Date", HttpDate());
    add("X-Request-Id", request.request_id);
    add("X-Content-Type-Options", "nosniff");
    if (options.tls) add("Strict-Transport-Security", "max-age=31536000");
    if (!reply.headers.Get("Cache-Control")) add("Cache-Control", "no-store");
    if (!reply.content_type.empty()) {
      if (!WritableHeader("Content-Type", reply.content_type)) {
        logger->error("req={} a reply's content type cannot be written", request.request_id);
        return false;
      }
      add("Content-Type", reply.content_type);
    }
    for (const auto& [name, value] : reply.headers.All()) {
      if (!WritableHeader(name, value) || FramingHeader(name)) {
        logger->error("req={} a reply header cannot be written: {}", request.request_id,
                      Printable(name));
        return false;
      }
      add(name, value);
    }
    return true;
  }

  // Sends reply.file_path, or the part a Range header asks for. Returns nullopt, having turned
  // `reply` into an error reply, when the file cannot be sent.
  awaitable<std::optional<beast::error_code>> WriteFile(Connection& connection,
                                                        const Request& request, Reply& reply,
                                                        unsigned version, bool keep_alive,
                                                        bool head) {
    bhttp::response<bhttp::basic_file_body<RangeFile>> res{bhttp::status::ok, version};
    if (!EachHeader(request, reply, [&](std::string_view name, std::string_view value) {
          res.insert(name, value);
        })) {
      reply = ErrorReply(Internal());
      co_return std::nullopt;
    }
    beast::error_code ec;
    RangeFile file;
    file.open(reply.file_path.c_str(), beast::file_mode::scan, ec);
    uint64_t size = ec ? 0 : file.size(ec);
    if (ec) {
      reply = ErrorReply(NotFound("the file is no longer available"));
      co_return std::nullopt;
    }
    uint64_t first = 0, last = size == 0 ? 0 : size - 1;
    // No ETag or Last-Modified is sent, so an If-Range can never match: the whole file then.
    auto range = request.Header("If-Range") ? std::nullopt : request.Header("Range");
    RangeAnswer answer = range ? ParseRange(*range, size, &first, &last) : RangeAnswer::kWhole;
    if (answer == RangeAnswer::kUnsatisfiable) {
      reply = ErrorReply(MakeError(416, kErrBadRequest, "the requested range is invalid"));
      reply.headers.Set("Content-Range", "bytes */" + std::to_string(size));
      co_return std::nullopt;
    }
    if (answer == RangeAnswer::kPart) {
      res.result(bhttp::status::partial_content);
      res.set(bhttp::field::content_range, "bytes " + std::to_string(first) + "-" +
                                               std::to_string(last) + "/" + std::to_string(size));
      file.Limit(last - first + 1);
      file.seek(first, ec);
    }
    res.body().reset(std::move(file), ec);
    if (ec) {
      reply = ErrorReply(Internal("cannot read the file"));
      co_return std::nullopt;
    }
    res.set(bhttp::field::accept_ranges, "bytes");
    res.keep_alive(keep_alive);
    res.prepare_payload();
    // Beast's serializer hands out the head and then the file a few KiB at a time; they go out
    // gathered into writes of up to kGather bytes, so that a download is not cut into small
    // TLS records.
    constexpr size_t kGather = 64 * 1024;
    bhttp::response_serializer<bhttp::basic_file_body<RangeFile>> serializer(res);
    serializer.split(head);
    auto finished = [&] { return head ? serializer.is_header_done() : serializer.is_done(); };
    std::string out;
    while (!finished()) {
      out.clear();
      while (!finished() && out.size() < kGather) {
        size_t taken = 0;
        serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
          for (auto piece : beast::buffers_range_ref(buffers)) {
            out.append(static_cast<const char*>(piece.data()), piece.size());
            taken += piece.size();
          }
        });
        if (ec) co_return ec;
        serializer.consume(taken);
      }
      if (auto wec = co_await connection.Write(out)) co_return wec;
    }
    co_return beast::error_code{};
  }

  // The status line and header block of an in-memory reply of `body_size` bytes: the headers of
  // EachHeader, then Content-Length (none for 1xx, 204 and 304, which have no body), then
  // Connection where keep-alive is not the version's default. Written as one string rather than
  // through Beast's fields and serializer, which allocate a node per field and walk a
  // composed buffer sequence for every reply: the most frequent thing the server does. Nullopt
  // when a handler's header cannot be written as it is (a bug, answered as such).
  std::optional<std::string> ReplyHead(const Request& request, const Reply& reply, unsigned version,
                                       bool keep_alive, size_t body_size) {
    std::string out;
    out.reserve(384 + 64 * reply.headers.All().size());
    out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(reply.status));
    out.push_back(' ');
    out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(reply.status)));
    out.append("\r\n");
    if (!EachHeader(request, reply, [&out](std::string_view name, std::string_view value) {
          AppendHeader(out, name, value);
        })) {
      return std::nullopt;
    }
    if (!Bodiless(reply.status)) AppendHeader(out, "Content-Length", std::to_string(body_size));
    if (version == 10 && keep_alive) AppendHeader(out, "Connection", "keep-alive");
    if (version != 10 && !keep_alive) AppendHeader(out, "Connection", "close");
    out.append("\r\n");
    return out;
  }

  awaitable<beast::error_code> WriteReply(Connection& connection, const Request& request,
                                          Reply& reply, unsigned version, bool keep_alive,
                                          bool head) {
    connection.ExpiresAfter(std::chrono::seconds(options.body_timeout_seconds));
    if (!reply.file_path.empty()) {
      auto sent = co_await WriteFile(connection, request, reply, version, keep_alive, head);
      if (sent) co_return *sent;
    }
    // A status outside what the status line can carry is a handler's bug.
    if (reply.status < 100 || reply.status > 599) reply = ErrorReply(Internal());
    if (Bodiless(reply.status)) reply.body.clear();
    std::optional<std::string> written =
        ReplyHead(request, reply, version, keep_alive, reply.body.size());
    if (!written) {
      reply = ErrorReply(Internal());
      written = ReplyHead(request, reply, version, keep_alive, reply.body.size());
    }
    std::string out = std::move(*written);
    // A HEAD answer says how long the body would be and sends none. A small body goes out in the
    // same write as the head; a larger one follows in a write of its own rather than being
    // copied.
    if (head) reply.body.clear();
    constexpr size_t kJoinUpTo = 16 * 1024;
    if (reply.body.size() <= kJoinUpTo) {
      out.append(reply.body);
      co_return co_await connection.Write(out);
    }
    if (auto ec = co_await connection.Write(out)) co_return ec;
    co_return co_await connection.Write(reply.body);
  }

  awaitable<beast::error_code> WriteError(Connection& connection, const Error& error,
                                          unsigned version) {
    Request request;
    request.request_id = NewRequestId();
    Reply reply = ErrorReply(error);
    logger->info("req={} - - {} 0.0ms rejected before routing: {}", request.request_id,
                 error.status, error.message);
    co_return co_await WriteReply(connection, request, reply, version, false, false);
  }

  // Waits, up to the idle timeout, for the first bytes of the next request and keeps them in
  // `buffer`. Returns false when the connection should close (timeout, EOF, or draining).
  awaitable<bool> WaitForRequest(Connection& connection, beast::flat_buffer& buffer,
                                 IdleConnection& handle) {
    // Stop sets `draining` before it cancels the waiting connections on their executors, so
    // either this sees it or the cancellation sees `waiting`.
    if (draining) co_return false;
    handle.waiting = true;
    connection.ExpiresAfter(std::chrono::seconds(options.idle_timeout_seconds));
    auto [ec, n] = co_await connection.ReadSome(buffer.prepare(kReadSize));
    handle.waiting = false;
    if (ec) co_return false;
    buffer.commit(n);
    co_return true;
  }

  // Serves the connection's requests until it should close. True when the client may still be
  // sending what no request took (a refused request's rest), which closing should wait for.
  awaitable<bool> ServeRequests(Connection& connection, const std::string& remote) {
    beast::flat_buffer buffer;
    auto handle = std::make_shared<IdleConnection>(
        IdleConnection{&connection, connection.socket().get_executor(), false});
    {
      std::lock_guard lock(idle_mu);
      idle.insert(handle);
    }
    struct Unregister {
      Impl* impl;
      std::shared_ptr<IdleConnection> handle;
      ~Unregister() {
        handle->waiting = false;
        std::lock_guard lock(impl->idle_mu);
        impl->idle.erase(handle);
      }
    } unregister{this, handle};
    for (;;) {
      if (buffer.size() == 0 && !co_await WaitForRequest(connection, buffer, *handle))
        co_return false;

      RequestParser parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      auto ec = co_await Parse(connection, buffer, parser, options.max_header_bytes,
                               std::chrono::seconds(options.header_timeout_seconds),
                               [](const RequestParser& p) { return p.is_header_done(); });
      if (ec == bhttp::error::header_limit) {
        co_await WriteError(connection,
                            MakeError(431, kErrHeadersTooLarge, "request headers too large"), 11);
        co_return true;
      }
      if (ec == bhttp::error::body_limit) {
        co_await WriteError(connection, MakeError(413, kErrBodyTooLarge, "request body too large"),
                            11);
        co_return true;
      }
      if (ec) {
        bool bad_input =
            ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
        if (!bad_input) co_return false;  // closed, timed out, or cut short
        co_await WriteError(connection, BadRequest("malformed HTTP request"), 11);
        co_return true;
      }
      auto& header = parser.get();
      unsigned version = header.version();
      if (version != 11 && version != 10) {
        co_await WriteError(connection, MakeError(505, kErrBadRequest, "HTTP/1.1 only"), 11);
        co_return true;
      }
      if (!parser.is_done()) {
        auto expect = header[bhttp::field::expect];
        if (version == 11 && beast::iequals(expect, "100-continue") && buffer.size() == 0) {
          if (co_await connection.Write("HTTP/1.1 100 Continue\r\n\r\n")) co_return false;
        }
        auto bec = co_await Parse(connection, buffer, parser, options.max_header_bytes,
                                  std::chrono::seconds(options.body_timeout_seconds),
                                  [](const RequestParser& p) { return p.is_done(); });
        if (bec == bhttp::error::body_limit) {
          co_await WriteError(connection,
                              MakeError(413, kErrBodyTooLarge, "request body too large"), version);
          co_return true;
        }
        if (bec) {
          if (bec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
              bec != bhttp::error::partial_message) {
            co_await WriteError(connection, BadRequest("malformed HTTP request body"), version);
            co_return true;
          }
          co_return false;
        }
      }
      connection.ExpiresNever();

      auto start = std::chrono::steady_clock::now();
      auto raw = parser.release();
      bool keep_alive = raw.keep_alive();
      bool head = raw.method() == bhttp::verb::head;
      Request request;
      request.remote_address = remote;
      request.secure = options.tls;
      request.request_id = NewRequestId();
      Reply reply = co_await Dispatch(raw, request);
      keep_alive = keep_alive && !draining;
      int status = reply.status;
      auto wec = co_await WriteReply(connection, request, reply, version, keep_alive, head);
      Record(request, status, start);
      if (wec || !keep_alive) co_return false;
    }
  }

  // The counter for (route, method, status) and the histogram for the route. Family::Add takes
  // a lock and hashes the labels, so each thread keeps what it found; the metrics themselves
  // live as long as the registry.
  std::pair<prometheus::Counter*, prometheus::Histogram*> RouteMetrics(const std::string& route,
                                                                       const std::string& method,
                                                                       int status) {
    thread_local std::unordered_map<std::string,
                                    std::pair<prometheus::Counter*, prometheus::Histogram*>>
        cache;
    thread_local std::string key;
    key.assign(reinterpret_cast<const char*>(this), sizeof(this));
    key.append(route).push_back('\n');
    key.append(method).push_back('\n');
    key.append(std::to_string(status));
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    // Unknown methods could make the label set unbounded; they share one label.
    static const std::vector<std::string> kMethods = {"GET",    "HEAD",    "POST", "PUT",
                                                      "DELETE", "OPTIONS", "PATCH"};
    bool known = std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end();
    auto* counter = &requests.Add({{"route", route},
                                   {"method", known ? method : "OTHER"},
                                   {"status", std::to_string(status)}});
    auto* histogram = &latency.Add({{"route", route}}, kBuckets);
    if (cache.size() > 10000) cache.clear();
    return cache.emplace(key, std::make_pair(counter, histogram)).first->second;
  }

  void Record(const Request& request, int status, std::chrono::steady_clock::time_point start) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    static const std::string kNoRoute = "-";
    const std::string& route = request.route.empty() ? kNoRoute : request.route;
    auto [counter, histogram] = RouteMetrics(route, request.method, status);
    counter->Increment();
    histogram->Observe(seconds);
    logger->info("req={} {} {} {} {:.1f}ms ws={} addr={}", request.request_id, request.method,
                 route, status, seconds * 1000,
                 request.workspace_id.empty() ? "-" : request.workspace_id, request.remote_address);
  }

  awaitable<void> Session(tcp::socket socket) {
    struct Closer {
      Impl* impl;
      ~Closer() { impl->ConnectionClosed(); }
    } closer{this};
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string("unknown") : endpoint.address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    Connection connection(std::move(socket), tls ? tls->native_handle() : nullptr);
    if (!connection.ok()) {
      logger->error("cannot set up TLS for a connection from {}", remote);
      co_return;
    }
    connection.ExpiresAfter(std::chrono::seconds(options.header_timeout_seconds));
    if (co_await connection.Handshake()) co_return;
    bool unread = co_await ServeRequests(connection, remote);
    connection.ExpiresAfter(std::chrono::seconds(2));
    co_await connection.Shutdown(unread);
  }

  awaitable<void> Accept() {
    for (;;) {
      asio::io_context& target = *contexts[next_context];
      next_context = (next_context + 1) % contexts.size();
      auto [ec, socket] = co_await acceptor.async_accept(target, kTuple);
      if (ec) {
        if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
        // Out of descriptors or similar: back off a little instead of spinning.
        logger->warn("accept failed: {}", ec.message());
        asio::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(kTuple);
        continue;
      }
      if (connections >= options.max_connections || draining) {
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++connections;
      open_gauge.Increment();
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), [](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            log::Get("http")->error("connection ended by an exception: {}", ex.what());
          }
        }
      });
    }
  }
};

Server::Server(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() {
  Stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->workers.join();
}

Result<uint16_t> Server::Start() {
  Impl& s = *impl_;
  if (s.options.tls) ARENITE_RETURN_IF_ERROR(s.SetUpTls());
  beast::error_code ec;
  auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) return BadRequest("the listen address is not an IP address: " + s.options.host);
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(500, kErrInternal,
                     "cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) +
                         ": " + ec.message());
  }
  asio::co_spawn(s.io, s.Accept(), asio::detached);
  return s.acceptor.local_endpoint().port();
}

void Server::Run() {
  Impl& s = *impl_;
  // Every context gets a thread of its own, so that the caller's thread, which goes on after
  // Run, never carries what on_io_thread_start set up.
  for (size_t i = 0; i < s.contexts.size(); ++i) {
    s.threads.emplace_back([&s, i] {
      if (s.options.on_io_thread_start) s.options.on_io_thread_start();
      s.contexts[i]->run();
    });
  }
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  // A handler that outlived the drain still uses what the caller owns: wait for it here, before
  // the caller destroys those objects.
  s.workers.join();
}

void Server::Stop() {
  Impl& s = *impl_;
  if (s.draining.exchange(true)) return;
  asio::post(s.io, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    {
      std::lock_guard lock(s.idle_mu);
      for (const auto& handle : s.idle) {
        asio::post(handle->executor, [handle] {
          if (handle->waiting) handle->connection->Cancel();
        });
      }
    }
    if (s.connections == 0) {
      s.Finish();
      return;
    }
    auto deadline = std::make_shared<asio::steady_timer>(
        s.io, std::chrono::seconds(s.options.drain_timeout_seconds));
    deadline->async_wait([&s, deadline](beast::error_code) {
      if (s.connections > 0) {
        s.logger->warn("drain timed out with {} connections open", s.connections.load());
      }
      s.Finish();
    });
  });
}

int Server::open_connections() const { return impl_->connections; }

}  // namespace arenite::http
