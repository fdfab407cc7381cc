// The reference webhook receiver behind `arenite receive`: it checks every delivery (Standard
// Webhooks signature, timestamp within five minutes, and when an issuer is configured the Bearer
// token), answers 401 to anything that fails, writes each event once (by webhook-id, across
// restarts) to DIR/events.jsonl, and applies each DataExtract package, in one transaction, to
// the SQLite replica DIR/replica.db. Handle() is thread-safe; deliveries are applied one at a
// time in arrival order.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "http/request.h"
#include "store/store.h"

namespace arenite::webhooks {

struct ReceiverOptions {
  std::string out_dir;
  std::string signing_secret;  // whsec_...
  int64_t tolerance_seconds = 300;
  // Checks the Authorization header when set; an Error means 401.
  std::function<Status(std::optional<std::string_view> authorization)> check_bearer;
  // Fetches a package too large to be delivered from its download URL (an extract.package
  // event); unset, such events are only written to events.jsonl.
  std::function<Result<std::string>(const std::string& url)> fetch_package;
};

class Receiver {
 public:
  static Result<std::unique_ptr<Receiver>> Open(ReceiverOptions options, const Clock& clock);
  ~Receiver();

  http::Reply Handle(http::Request& request);

 private:
  Receiver(ReceiverOptions options, const Clock& clock)
      : options_(std::move(options)), clock_(clock) {}
  Status LoadSeen();
  http::Reply AcceptEvent(const std::string& id, const http::Request& request);
  http::Reply AcceptPackage(const std::string& id, std::string_view body);

  ReceiverOptions options_;
  const Clock& clock_;
  std::string key_;
  std::unique_ptr<store::Store> replica_;
  std::mutex mu_;
  std::set<std::string, std::less<>> seen_;
  int events_fd_ = -1;
};

}  // namespace arenite::webhooks
