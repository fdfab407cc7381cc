// The webhook delivery engine. One thread fans every new event of the outbox out into one
// delivery per matching webhook, in the same store transaction that advances the workspace's
// fan-out cursor (so each event becomes each delivery exactly once); another schedules due
// deliveries onto a pool of sender threads, whose outcomes a recorder thread writes; another
// builds the DataExtract packages of EXTRACT webhooks once their debounce window has passed. Each
// attempt is signed (Standard Webhooks), authenticated (a locally minted token of the linked app,
// or a token from the receiver's own authorization server), posted through the Sender, and recorded
// with its outcome; the next attempt follows the retry schedule. Nothing about a delivery lives
// only in memory: a crash at any moment leaves each delivery delivered or due again, with the same
// webhook-id. Thread-safe; Stop() (or the destructor) waits for attempts in flight.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "store/store.h"
#include "webhooks/client_credentials.h"
#include "webhooks/sender.h"
#include "webhooks/webhooks.h"

namespace arenite::webhooks {

// Delays before the 2nd to 10th attempt (the first is at once), each with +-10% jitter.
inline constexpr int64_t kRetryDelays[] = {5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400};
inline constexpr int kMaxAttempts = 1 + sizeof(kRetryDelays) / sizeof(kRetryDelays[0]);

// The delay before the attempt after `failures` failed ones (1-based), jittered by `unit` in
// [-1, 1], and at least `retry_after` when the receiver asked for that (capped at 24 h).
int64_t RetryDelay(int failures, double unit, std::optional<int64_t> retry_after);

// Mints the Bearer token of an OAUTH2 webhook: an access token of the linked app, with `aud`
// the target URL and a lifetime of `lifetime` seconds.
using TokenMinter =
    std::function<Result<std::string>(const std::string& workspace, const std::string& app_guid,
                                      const std::string& audience, int64_t lifetime)>;

struct DispatcherOptions {
  int sender_threads = 32;
  int64_t token_lifetime = 300;
};

struct TestOutcome {
  bool delivered = false;
  std::optional<int> status;
  int64_t duration_ms = 0;
  std::optional<std::string> error;
  std::optional<std::string> error_class;
  std::string delivery_guid;
};

class Dispatcher {
 public:
  Dispatcher(store::Store& store, const Clock& clock, Webhooks& webhooks, const Sender& sender,
             TokenMinter minter, DispatcherOptions options);
  ~Dispatcher();

  void Start();
  // Stops scheduling, waits for attempts in flight and records them.
  void Stop();
  // Something changed (a commit, a webhook): look again now.
  void Wake();
  // Told after every store commit: wakes the fan-out when events were recorded.
  void OnCommit();

  // Sends one test event now (webhook.test, or the example of `event_type`), records it in the
  // log, and says how it went.
  Result<TestOutcome> SendTest(const std::string& workspace, const std::string& guid,
                               const std::string& event_type);

 private:
  // An event as the fan-out needs it: `object` (after the change, or before a deletion) is
  // read only for webhooks that filter on it, else null.
  struct FanOutEvent {
    std::string guid, type;
    int64_t sequence = 0;
    json::Json object;
  };
  struct Due {
    std::string guid, webhook_guid, workspace;
    std::string event_type;
    std::string body;  // built once from the event row, or stored
    std::string package_path;
    std::string content_type;
    int64_t attempts = 0, schedule_step = 0;
    int64_t requeues = 0;  // redeliveries and recoveries so far
  };
  struct Outcome {
    Due due;
    AttemptResult result;
    json::Json request_headers;
    int64_t started_ms = 0;
  };
  // What the engine remembers of each webhook between attempts; lost on a restart.
  struct State {
    int in_flight = 0;   // attempts on the wire
    int unrecorded = 0;  // scheduled deliveries whose outcome is not recorded yet
    double effective_concurrency = 0;
    double tokens = 0;  // attempts-per-second bucket
    int64_t refilled_ms = 0;
    int64_t paused_until_ms = 0;  // the Clock's time, so a test clock moves it
    int slowdowns = 0;
    std::deque<bool> recent;  // last outcomes, true = delivered
    std::string health;
    // OAUTH2 token cache.
    std::string token;
    int64_t token_expires = 0;
    int64_t token_version = 0;
    // Signing keys and client secret, unsealed, for config_version keys_version.
    std::vector<std::string> keys;
    std::string client_secret;
    int64_t keys_version = 0;
    int64_t keys_valid_until = 0;
    // Whether due deliveries may wait in the store; else the clock time the next one is due.
    bool dirty = true;
    int64_t next_due = 0;
    uint64_t epoch = 0;  // counts MarkDirty calls
    // The Clock second at which the webhook's delivery times were last written after a batch
    // without a failure (last delivery and success then, no failing streak); -1 otherwise.
    int64_t times_written_at = -1;
  };
  static void MarkDirty(State& st) {
    st.dirty = true;
    ++st.epoch;
  }

  void Loop();
  void FanOutLoop();
  void RecordLoop();
  void SenderLoop();
  void PackageLoop();
  Status FanOut();
  Status Schedule();
  Status Flush(std::vector<Outcome> outcomes);
  Status Housekeeping();
  Status MakePackage(const Webhook& w);

  Outcome Attempt(const Webhook& w, Due due);
  // The Bearer token for an attempt; `rejected` is the one a receiver just turned down.
  Result<std::string> Bearer(const Webhook& w, const std::string* rejected, AttemptResult& failure);
  // The EVENT body of the event in the row's columns from `first_column` on.
  static std::string EventBody(const store::Row& row, int first_column,
                               const std::string& workspace);

  store::Store& store_;
  const Clock& clock_;
  Webhooks& webhooks_;
  const Sender& sender_;
  TokenMinter minter_;
  TokenSource token_source_;
  DispatcherOptions options_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::atomic<bool> events_dirty_{true};
  std::atomic<bool> config_dirty_{true};
  std::atomic<int64_t> events_seen_{0};
  std::atomic<bool> stopping_packages_{false};

  // Webhooks by guid (enabled ones), reloaded when a change is told.
  std::map<std::string, Webhook> webhooks_by_guid_;
  std::map<std::string, State> states_;  // guarded by mu_
  // EVENT bodies recently built by the scheduler, by event guid, oldest first in
  // bodies_order_; only the loop thread uses them.
  std::unordered_map<std::string, std::string> bodies_;
  std::deque<std::string> bodies_order_;
  // The enabled webhooks as the fan-out last loaded them, by guid; only the fan-out thread
  // uses it.
  std::map<std::string, Webhook> fanout_webhooks_;
  // Workspaces with a webhook that filters by category or phase, whose events the fan-out
  // reads with their objects (as its last write found them; fan-out thread only).
  std::set<std::string> filtered_workspaces_;
  // Deliveries scheduled and not yet recorded (at most kUnrecordedPerSender per sender thread),
  // guarded by mu_.
  std::set<std::string> in_flight_;

  std::deque<std::pair<Webhook, Due>> jobs_;  // guarded by mu_
  std::condition_variable jobs_cv_;
  std::condition_variable record_cv_;
  std::vector<Outcome> outcomes_;  // guarded by mu_
  // Recorded deliveries (guid, webhook) the loop is to take out of in_flight_; guarded by mu_.
  std::vector<std::pair<std::string, std::string>> settled_;

  std::condition_variable fanout_cv_;
  bool fanout_wake_ = false;  // guarded by mu_
  std::condition_variable package_cv_;
  bool package_wake_ = false;

  std::thread loop_thread_, fanout_thread_, package_thread_, record_thread_;
  std::vector<std::thread> senders_;
  // The webhook the next scheduling pass starts with (round-robin), guarded by mu_.
  std::string next_start_;
  int64_t last_housekeeping_ = 0;
  int64_t last_retention_ = 0;
  bool started_ = false;
};

}  // namespace arenite::webhooks
