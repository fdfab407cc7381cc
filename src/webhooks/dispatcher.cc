#include "webhooks/dispatcher.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "core/guid.h"
#include "core/log.h"
#include "core/metrics.h"
#include "extract/package.h"
#include "extract/views.h"
#include "plm/events.h"
#include "webhooks/event_types.h"
#include "webhooks/signing.h"

namespace arenite::webhooks {
namespace {

constexpr size_t kHealthWindow = 20;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr char kUserAgent[] = "arenite-webhooks/1";
// How many recently built EVENT bodies the scheduler keeps.
constexpr size_t kCachedBodies = 1024;
// How many deliveries a scheduling pass gives a webhook in each turn of dealing out its room.
constexpr int64_t kDealt = 8;
// Deliveries scheduled and not yet recorded, per sender thread: this bounds what a crash can
// make arrive twice (those sent before it), and it must cover the writer's round trip at full
// rate, since outcomes are recorded behind whatever API writes are queued there.
constexpr int64_t kUnrecordedPerSender = 16;
// The fewest deliveries a scheduling pass hands a webhook that has at least twice as many out.
constexpr int64_t kMinPass = 16;

struct Metrics {
  prometheus::Family<prometheus::Counter>& deliveries;
  prometheus::Family<prometheus::Counter>& auth_rejections;
  prometheus::Family<prometheus::Counter>& disabled;
  prometheus::Histogram& latency;
  prometheus::Gauge& queue_depth;
  prometheus::Gauge& oldest_due_age;

  static Metrics& Get() {
    static Metrics* m = [] {
      auto& r = metrics::Registry();
      return new Metrics{
          prometheus::BuildCounter()
              .Name("arenite_webhook_deliveries_total")
              .Help(
                  "Webhook delivery attempts by outcome (delivered, retrying, failed) and webhook")
              .Register(r),
          prometheus::BuildCounter()
              .Name("arenite_webhook_auth_rejections_total")
              .Help("Attempts a receiver answered with 401 or 403, by webhook")
              .Register(r),
          prometheus::BuildCounter()
              .Name("arenite_webhooks_disabled_total")
              .Help("Webhooks disabled by arenite, by reason (GONE, FAILING)")
              .Register(r),
          prometheus::BuildHistogram()
              .Name("arenite_webhook_attempt_duration_seconds")
              .Help("Duration of webhook delivery attempts")
              .Register(r)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5, 1, 2.5, 5, 10, 15}),
          prometheus::BuildGauge()
              .Name("arenite_webhook_queue_depth")
              .Help("Deliveries pending or waiting for a retry")
              .Register(r)
              .Add({}),
          prometheus::BuildGauge()
              .Name("arenite_webhook_oldest_due_age_seconds")
              .Help("How long the oldest due delivery has waited")
              .Register(r)
              .Add({})};
    }();
    return *m;
  }
};

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
}

json::Json HeadersJson(const std::vector<std::pair<std::string, std::string>>& headers) {
  json::Json out = json::Json::object();
  for (const auto& [k, v] : headers) out[k] = v;
  return out;
}

store::Value TextOrNull(const std::string& text) {
  return text.empty() ? store::Value(nullptr) : store::Value(text);
}

store::Value ClassOrNull(ErrorClass c) {
  return c == ErrorClass::kNone ? store::Value(nullptr) : store::Value(ErrorClassName(c));
}

// Logs an attempt of `delivery` as its number `number` (the delivery's count, already raised
// for it). One row by VALUES: an INSERT ... SELECT would open a statement journal in SQLite,
// which cost more than the insert itself.
Status InsertAttempt(store::Tx& tx, const std::string& delivery, int64_t number, int64_t started_ms,
                     const json::Json& request_headers, const AttemptResult& r) {
  auto done = tx.Exec(
      "INSERT INTO webhook_attempts (delivery_guid, number, started_ms, duration_ms, "
      "request_headers, response_status, response_headers, response_body, error_class, "
      "error, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {delivery, number, started_ms, r.duration_ms, request_headers.dump(),
       store::Nullable(r.status),
       HeadersJson(r.response_headers).dump(-1, ' ', false, json::Json::error_handler_t::replace),
       store::Blob{r.response_body}, ClassOrNull(r.error_class), TextOrNull(r.error),
       TextOrNull(r.address)});
  if (!done.ok()) return std::move(done).error();
  return OkStatus();
}

// Whether an event's object passes a webhook's category and lifecycle phase filters. Objects
// without a category (or phase) are not held back by that filter.
bool PassesFilters(const Webhook& w, const json::Json& object) {
  auto check = [&](const std::vector<std::string>& allowed, const char* field) {
    if (allowed.empty() || !object.is_object()) return true;
    auto it = object.find(field);
    if (it == object.end() || !it->is_object()) return true;
    std::string guid = json::StringOr(*it, "guid");
    return std::find(allowed.begin(), allowed.end(), guid) != allowed.end();
  };
  return check(w.category_guids, "category") && check(w.phase_guids, "lifecyclePhase");
}

constexpr char kDueColumns[] =
    "d.guid, d.webhook_guid, d.workspace_guid, d.event_type, d.body, d.package_path, "
    "d.content_type, d.attempts, d.schedule_step, d.next_attempt_at, e.guid, e.type, "
    "e.sequence, e.object_type, e.object_guid, e.actor, e.before_json, e.after_json, "
    "e.created_at, d.requeues";

}  // namespace

int64_t RetryDelay(int failures, double unit, std::optional<int64_t> retry_after) {
  int index = std::clamp(failures, 1, static_cast<int>(std::size(kRetryDelays))) - 1;
  double base = static_cast<double>(kRetryDelays[index]);
  int64_t delay = static_cast<int64_t>(base * (1.0 + 0.1 * std::clamp(unit, -1.0, 1.0)) + 0.5);
  if (retry_after && *retry_after > delay) delay = std::min<int64_t>(*retry_after, 86400);
  return std::max<int64_t>(delay, 1);
}

Dispatcher::Dispatcher(store::Store& store, const Clock& clock, Webhooks& webhooks,
                       const Sender& sender, TokenMinter minter, DispatcherOptions options)
    : store_(store),
      clock_(clock),
      webhooks_(webhooks),
      sender_(sender),
      minter_(std::move(minter)),
      token_source_(sender, clock),
      options_(options) {
  Metrics::Get();
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  loop_thread_ = std::thread([this] { Loop(); });
  fanout_thread_ = std::thread([this] { FanOutLoop(); });
  record_thread_ = std::thread([this] { RecordLoop(); });
  package_thread_ = std::thread([this] { PackageLoop(); });
  for (int i = 0; i < std::max(1, options_.sender_threads); ++i) {
    senders_.emplace_back([this] { SenderLoop(); });
  }
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  // A package being built is abandoned; its webhook stays due and builds it at the next start.
  stopping_packages_ = true;
  wake_.notify_all();
  fanout_cv_.notify_all();
  jobs_cv_.notify_all();
  package_cv_.notify_all();
  for (auto& t : senders_) t.join();
  // The recorder ends once every outcome of the senders is recorded.
  record_cv_.notify_all();
  if (record_thread_.joinable()) record_thread_.join();
  if (package_thread_.joinable()) package_thread_.join();
  if (loop_thread_.joinable()) loop_thread_.join();
  if (fanout_thread_.joinable()) fanout_thread_.join();
  // Attempts that finished while stopping are recorded; jobs never started stay due.
  std::vector<Outcome> last;
  {
    std::lock_guard lock(mu_);
    last.swap(outcomes_);
  }
  if (!last.empty()) (void)Flush(std::move(last));
}

void Dispatcher::Wake() {
  events_dirty_ = true;
  config_dirty_ = true;
  {
    std::lock_guard lock(mu_);
    woken_ = true;
    fanout_wake_ = true;
  }
  wake_.notify_one();
  fanout_cv_.notify_one();
}

void Dispatcher::OnCommit() {
  int64_t recorded = plm::EventsRecorded();
  if (recorded == events_seen_.exchange(recorded)) return;
  events_dirty_ = true;
  {
    std::lock_guard lock(mu_);
    fanout_wake_ = true;
  }
  fanout_cv_.notify_one();
}

// Records outcomes as they come, so that the scheduling loop never waits for a commit.
void Dispatcher::RecordLoop() {
  auto logger = log::Get("webhooks");
  for (;;) {
    std::vector<Outcome> done;
    {
      std::unique_lock lock(mu_);
      record_cv_.wait(lock, [&] { return stopping_ || !outcomes_.empty(); });
      if (outcomes_.empty()) return;  // stopping, and nothing left to record
      done.swap(outcomes_);
    }
    if (Status s = Flush(std::move(done)); !s.ok()) {
      logger->error("cannot record delivery attempts: {}", s.error().message);
    }
    {
      std::lock_guard lock(mu_);
      woken_ = true;
    }
    wake_.notify_one();
  }
}

void Dispatcher::Loop() {
  auto logger = log::Get("webhooks");
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(250), [&] { return woken_ || stopping_; });
      woken_ = false;
      if (stopping_) return;
      for (const auto& [delivery, webhook] : settled_) {
        in_flight_.erase(delivery);
        State& st = states_[webhook];
        st.unrecorded = std::max(0, st.unrecorded - 1);
        MarkDirty(st);
      }
      settled_.clear();
    }
    if (config_dirty_.exchange(false)) {
      auto enabled = webhooks_.Enabled();
      if (enabled.ok()) {
        std::lock_guard lock(mu_);
        webhooks_by_guid_.clear();
        for (auto& w : *enabled) {
          State& st = states_[w.guid];
          MarkDirty(st);
          // The store's health is the truth after a change (disabled, switched back on): the
          // outcomes remembered before a switch back on no longer count.
          if (w.health == "UNKNOWN" && st.health != "UNKNOWN") st.recent.clear();
          if (w.health == "UNKNOWN" || w.health == "DISABLED") st.health = w.health;
          if (st.effective_concurrency <= 0 ||
              st.effective_concurrency > static_cast<double>(w.max_concurrent)) {
            st.effective_concurrency = static_cast<double>(w.max_concurrent);
          }
          std::string guid = w.guid;
          webhooks_by_guid_.emplace(std::move(guid), std::move(w));
        }
      } else {
        config_dirty_ = true;
        logger->error("cannot load webhooks: {}", enabled.error().message);
      }
    }
    if (Status s = Schedule(); !s.ok()) {
      logger->error("cannot schedule webhook deliveries: {}", s.error().message);
    }
    if (Status s = Housekeeping(); !s.ok()) {
      logger->warn("webhook housekeeping failed: {}", s.error().message);
    }
  }
}

// Fans new events out on a thread of its own, so that its commits never hold scheduling up.
void Dispatcher::FanOutLoop() {
  auto logger = log::Get("webhooks");
  for (;;) {
    {
      std::unique_lock lock(mu_);
      fanout_cv_.wait_for(lock, std::chrono::milliseconds(250),
                          [&] { return fanout_wake_ || stopping_; });
      fanout_wake_ = false;
      if (stopping_) return;
    }
    if (!events_dirty_.exchange(false)) continue;
    if (Status s = FanOut(); !s.ok()) {
      events_dirty_ = true;  // tried again at the next wake, or within 250 ms
      logger->error("cannot fan events out to webhooks: {}", s.error().message);
    }
  }
}

Status Dispatcher::FanOut() {
  // Which workspaces have events their webhooks have not seen yet.
  // (Each batch below reads its cursor again, in the snapshot it reads the events in.)
  std::vector<std::string> behind;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    return tx.Query(
        "SELECT c.workspace_guid FROM webhook_cursors c WHERE EXISTS (SELECT 1 FROM "
        "events e WHERE e.workspace_guid = c.workspace_guid AND e.sequence > c.sequence)",
        {}, [&](const store::Row& r) {
          behind.push_back(r.String(0));
          return true;
        });
  }));
  constexpr int64_t kBatch = 1000;
  Status first_error = OkStatus();
  for (const auto& workspace : behind) {
    bool more = true;
    while (more) {
      std::set<std::string> touched;
      more = false;
      // The events are read in a snapshot of their own, not in the write: the store's single
      // writer, which every commit waits for, then spends its time on the deliveries only. Only
      // the fan-out moves cursors; the write checks that it is where the read found it.
      // The objects (for the category and phase filters) are read and parsed only while a
      // webhook of the workspace has filters; a write that meets one unexpectedly (just
      // created) sends the batch back to be read with them.
      bool with_objects = filtered_workspaces_.count(workspace) > 0;
      std::optional<int64_t> read_from;
      std::vector<FanOutEvent> events;
      Status read = store_.Read([&](store::Tx& tx) -> Status {
        ARENITE_ASSIGN_OR_RETURN(
            read_from, tx.QueryInt("SELECT sequence FROM webhook_cursors WHERE workspace_guid = ?",
                                   {workspace}));
        if (!read_from) return OkStatus();
        return tx.Query(
            "SELECT guid, sequence, type, CASE WHEN ? = 1 THEN COALESCE(after_json, "
            "before_json) END FROM events WHERE workspace_guid = ? AND sequence > ? ORDER BY "
            "sequence LIMIT ?",
            {int64_t{with_objects ? 1 : 0}, workspace, *read_from, kBatch},
            [&](const store::Row& r) {
              FanOutEvent e;
              e.guid = r.String(0);
              e.sequence = r.Int(1);
              e.type = r.String(2);
              if (with_objects && !r.IsNull(3)) {
                e.object = json::Json::parse(r.Text(3), nullptr, false);
              }
              events.push_back(std::move(e));
              return true;
            });
      });
      if (!read.ok()) {
        log::Get("webhooks")
            ->error("cannot read the events of workspace {}: {}", workspace, read.error().message);
        if (first_error.ok()) first_error = read;
        break;
      }
      if (!read_from || events.empty()) break;
      Status fanned = store_.Write([&](store::Tx& tx) -> Status {
        touched.clear();
        more = false;
        ARENITE_ASSIGN_OR_RETURN(
            auto cursor,
            tx.QueryInt("SELECT sequence FROM webhook_cursors WHERE workspace_guid = ?",
                        {workspace}));
        if (!cursor) return OkStatus();
        if (*cursor != *read_from) {
          more = true;  // moved since the read (another process fanned out): read again
          return OkStatus();
        }
        // Inside the transaction, so a webhook created a moment ago is matched too. Each
        // webhook is loaded again only when its configuration changed. A webhook that arenite
        // disabled because its target failed for days still gets its events recorded, as
        // FAILED deliveries that were never sent, so that once its target works again a
        // recovery sends them and nothing is lost; for as long as deliveries are kept after its
        // disabling (the retention period, counted from the start of its failures plus the
        // failing time that disables), so that a webhook nobody switches on again does not
        // gather rows for good. One whose target answered 410 Gone, or that an administrator
        // disabled, gets none.
        std::vector<const Webhook*> hooks;
        std::vector<std::pair<std::string, int64_t>> versions;
        ARENITE_RETURN_IF_ERROR(tx.Query(
            "SELECT guid, config_version FROM webhooks WHERE workspace_guid = ? AND (enabled = 1 "
            "OR (disabled_reason = 'FAILING' AND failing_since >= ?)) ORDER BY guid",
            {workspace, clock_.Now() - webhooks_.options().retention_seconds -
                            webhooks_.options().disable_after_seconds},
            [&](const store::Row& r) {
              versions.emplace_back(r.String(0), r.Int(1));
              return true;
            }));
        for (const auto& [g, version] : versions) {
          auto cached = fanout_webhooks_.find(g);
          if (cached == fanout_webhooks_.end() || cached->second.config_version != version) {
            ARENITE_ASSIGN_OR_RETURN(Webhook w, Webhooks::Load(tx, "guid = ?", {g}));
            cached = fanout_webhooks_.insert_or_assign(g, std::move(w)).first;
          }
          hooks.push_back(&cached->second);
        }
        // Those of the workspace that are gone or disabled leave the cache.
        std::erase_if(fanout_webhooks_, [&](const auto& entry) {
          return entry.second.workspace_id == workspace &&
                 !std::binary_search(
                     versions.begin(), versions.end(), std::make_pair(entry.first, int64_t{0}),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
        });
        bool filtered = std::any_of(hooks.begin(), hooks.end(), [](const Webhook* w) {
          return !w->category_guids.empty() || !w->phase_guids.empty();
        });
        if (filtered) {
          filtered_workspaces_.insert(workspace);
        } else {
          filtered_workspaces_.erase(workspace);
        }
        if (filtered && !with_objects) {
          more = true;  // read again, with the objects the filters look at
          return OkStatus();
        }
        more = static_cast<int64_t>(events.size()) == kBatch;
        int64_t now = clock_.Now(), now_ms = clock_.NowMillis();
        for (const auto& e : events) {
          for (const Webhook* hook : hooks) {
            const Webhook& w = *hook;
            if (e.sequence <= w.from_sequence || !w.Wants(e.type) || !PassesFilters(w, e.object)) {
              continue;
            }
            if (!w.enabled) {
              // An EXTRACT webhook's next package holds what changed since its last one anyway.
              if (w.payload == kPayloadExtract) continue;
              ARENITE_RETURN_IF_ERROR(tx.Exec(
                  "INSERT INTO webhook_deliveries (guid, workspace_guid, webhook_guid, event_guid, "
                  "event_type, content_type, status, attempts, schedule_step, last_error, "
                  "last_error_class, created_at, created_ms) VALUES (?, ?, ?, ?, ?, "
                  "'application/json', 'FAILED', 0, 0, ?, 'policy', ?, ?)",
                  {NewOrderedGuid(), workspace, w.guid, e.guid, e.type,
                   "not sent: the webhook was disabled (" + w.disabled_reason.value_or("") +
                       "); enable it and recover its failed deliveries",
                   now, now_ms}));
              continue;
            }
            if (w.payload == kPayloadExtract) {
              ARENITE_RETURN_IF_ERROR(
                  tx.Exec("UPDATE webhooks SET extract_due_at = COALESCE(extract_due_at, ?) "
                          "WHERE guid = ?",
                          {now + webhooks_.options().debounce_seconds, w.guid}));
              continue;
            }
            ARENITE_RETURN_IF_ERROR(tx.Exec(
                "INSERT INTO webhook_deliveries (guid, workspace_guid, webhook_guid, event_guid, "
                "event_type, content_type, status, attempts, schedule_step, next_attempt_at, "
                "created_at, created_ms) VALUES (?, ?, ?, ?, ?, 'application/json', 'PENDING', 0, "
                "0, ?, ?, ?)",
                {NewOrderedGuid(), workspace, w.guid, e.guid, e.type, now, now, now_ms}));
            touched.insert(w.guid);
          }
        }
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("UPDATE webhook_cursors SET sequence = ? WHERE workspace_guid = ?",
                    {events.back().sequence, workspace}));
        return OkStatus();
      });
      if (!fanned.ok()) {
        // One workspace's trouble does not hold the others back; it is tried again later.
        log::Get("webhooks")
            ->error("cannot fan out the events of workspace {}: {}", workspace,
                    fanned.error().message);
        if (first_error.ok()) first_error = fanned;
        break;
      }
      if (!touched.empty()) {
        {
          std::lock_guard lock(mu_);
          for (const auto& g : touched) MarkDirty(states_[g]);
          woken_ = true;
        }
        wake_.notify_one();
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    package_wake_ = true;
  }
  package_cv_.notify_one();
  return first_error;
}

std::string Dispatcher::EventBody(const store::Row& r, int c, const std::string& workspace) {
  // Columns from c: guid, type, sequence, object_type, object_guid, actor, before, after,
  // created_at. The images go out as stored: only RecordEvent writes them, as JSON dumps.
  auto image = [&](int col) {
    return r.IsNull(col) ? std::nullopt : std::optional<std::string_view>(r.Text(col));
  };
  StoredEvent e;
  e.guid = r.Text(c);
  e.workspace_id = workspace;
  e.type = r.Text(c + 1);
  e.sequence = r.Int(c + 2);
  e.object_type = r.Text(c + 3);
  e.object_guid = r.Text(c + 4);
  e.actor = r.Text(c + 5);
  e.before = image(c + 6);
  e.after = image(c + 7);
  e.created_at = r.Int(c + 8);
  return EventBodyText(e);
}

Status Dispatcher::Schedule() {
  int64_t now = clock_.Now(), now_ms = SteadyMillis(), clock_ms = clock_.NowMillis();
  // A copy of what is to be looked at, so the store is read without holding the lock.
  // The webhooks are those of webhooks_by_guid_, which only this thread changes.
  struct Plan {
    const Webhook* webhook = nullptr;
    bool extract = false;
    int64_t free = 0;                     // deliveries it may be given in this pass
    int64_t unrecorded = 0;               // scheduled and not yet recorded: still due in the store
    int64_t out = 0;                      // its attempts queued or on the wire
    int64_t concurrency = 0;              // attempts it may have out at once
    uint64_t epoch = 0;                   // the webhook's dirty-mark count when planned
    int64_t seen = 0;                     // due deliveries read, out or not
    std::vector<std::string> candidates;  // due, oldest first
    std::optional<int64_t> next_due;
  };
  std::vector<Plan> plans;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return OkStatus();
    // Keep the senders busy, not the queue long: due deliveries wait in the store. What a
    // crash can make arrive twice is bounded too: attempts made but not yet recorded.
    int64_t threads = options_.sender_threads;
    int64_t queue_room =
        std::min(threads * 2 - static_cast<int64_t>(jobs_.size()),
                 threads * kUnrecordedPerSender - static_cast<int64_t>(in_flight_.size()));
    if (queue_room <= 0 || webhooks_by_guid_.empty()) return OkStatus();
    // With other webhooks about, none may hold more than three quarters of the sender threads,
    // so that a slow receiver leaves threads for the others.
    int64_t most_held =
        webhooks_by_guid_.size() > 1 ? std::max<int64_t>(1, threads - threads / 4) : threads;
    // Round-robin: each pass starts where the last one ran out of room.
    auto it = webhooks_by_guid_.lower_bound(next_start_);
    for (size_t k = 0; k < webhooks_by_guid_.size(); ++k, ++it) {
      if (it == webhooks_by_guid_.end()) it = webhooks_by_guid_.begin();
      const std::string& guid = it->first;
      Webhook& w = it->second;
      State& st = states_[guid];
      if (!st.dirty && now < st.next_due) continue;
      if (st.paused_until_ms > clock_ms) continue;
      double elapsed = static_cast<double>(now_ms - st.refilled_ms) / 1000.0;
      st.refilled_ms = now_ms;
      st.tokens = std::min(static_cast<double>(w.max_per_second),
                           st.tokens + elapsed * static_cast<double>(w.max_per_second));
      bool extract = w.payload == kPayloadExtract;
      int64_t concurrency =
          extract ? 1 : std::max<int64_t>(1, static_cast<int64_t>(st.effective_concurrency));
      int64_t free = std::min<int64_t>(
          {concurrency - st.in_flight, most_held - st.in_flight, static_cast<int64_t>(st.tokens)});
      if (free <= 0) continue;
      Plan plan;
      plan.webhook = &w;
      plan.extract = extract;
      plan.free = free;
      plan.unrecorded = st.unrecorded;
      plan.out = st.in_flight;
      plan.concurrency = concurrency;
      plan.epoch = st.epoch;
      plans.push_back(std::move(plan));
    }
    // The room is dealt out in turn, up to kDealt deliveries to a webhook at a time, so that
    // one busy webhook cannot take it all, while the outcomes that one commit records still
    // fall on few webhooks (each is a page of the due index and a row of webhooks to write);
    // the bound on what is queued and unrecorded holds for the whole pass.
    std::vector<int64_t> share(plans.size(), 0);
    for (bool gave = true; gave && queue_room > 0;) {
      gave = false;
      for (size_t i = 0; i < plans.size() && queue_room > 0; ++i) {
        int64_t more = std::min({kDealt, plans[i].free - share[i], queue_room});
        if (more > 0) {
          share[i] += more;
          queue_room -= more;
          gave = true;
        }
      }
    }
    // A webhook with plenty of attempts still out waits until it can be handed a batch: each
    // pass is a read of the store, and every outcome wakes the loop, so passes of one or two
    // deliveries each took a third of a core at a few thousand deliveries a second. Its own
    // attempts still out bring the wake-ups that let a later pass through. Only a webhook
    // allowed at least 3 batches at once waits so, which keeps at least two thirds of its
    // concurrency on the wire; the pass goes ahead if any webhook cannot wait, or is held to
    // fewer attempts a second than a batch takes to gather.
    bool all_can_wait = true;
    for (size_t i = 0; i < plans.size() && all_can_wait; ++i) {
      all_can_wait = share[i] < kMinPass && plans[i].out >= 2 * kMinPass &&
                     plans[i].concurrency >= 3 * kMinPass &&
                     plans[i].webhook->max_per_second >= 2 * kMinPass;
    }
    if (all_can_wait) return OkStatus();
    // Those left without room (the last in turn) come first in the next pass.
    size_t served = 0;
    while (served < plans.size() && share[served] > 0) ++served;
    if (served < plans.size()) {
      next_start_ = plans[served].webhook->guid;
      plans.resize(served);
    } else {
      auto after = webhooks_by_guid_.upper_bound(next_start_);
      next_start_ = after == webhooks_by_guid_.end() ? std::string() : after->first;
    }
    for (size_t i = 0; i < plans.size(); ++i) plans[i].free = share[i];
  }
  if (plans.empty()) return OkStatus();

  std::unordered_map<std::string, size_t> plan_of;  // webhook guid -> index in plans
  for (size_t i = 0; i < plans.size(); ++i) plan_of.emplace(plans[i].webhook->guid, i);
  std::unordered_map<std::string, Due> loaded;  // delivery guid -> row
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    // 1. The due deliveries of every planned webhook, by guid only (from a covering index), in
    // a few statements of up to 64 webhooks each. An EVENT webhook reads as many as it may be
    // given plus those still out (they stay due until recorded), plus one more: the first one
    // not yet due says when to look again, and one more due one that the webhook missed this
    // pass. Packages go in order of their sequence range: only the oldest one not yet delivered
    // is read (test events of the webhook do not count, and are read apart, the next due one of
    // each EXTRACT webhook), and a package that FAILED holds the
    // ones after it back until it is redelivered or recovered, so that a replica never misses
    // its rows.
    auto read_parts = [&](bool extract) -> Status {
      std::vector<size_t> of_kind;
      for (size_t i = 0; i < plans.size(); ++i) {
        if (plans[i].extract == extract) of_kind.push_back(i);
      }
      for (size_t at = 0; at < of_kind.size();) {
        size_t n = std::min<size_t>(of_kind.size() - at, 64);
        size_t parts = 1;
        while (parts < n) parts *= 4;  // a few statement shapes, so they stay prepared
        std::string sql;
        store::Params params;
        for (size_t k = 0; k < parts; ++k) {
          const Plan* p = k < n ? &plans[of_kind[at + k]] : nullptr;
          if (k > 0) sql += " UNION ALL ";
          sql +=
              "SELECT * FROM (SELECT webhook_guid, guid, next_attempt_at, status FROM "
              "webhook_deliveries WHERE webhook_guid = ? AND ";
          sql += extract ? "event_type = 'extract.package' AND status IN ('PENDING', 'RETRYING', "
                           "'FAILED') ORDER BY sequence_to, created_ms LIMIT 1"
                         : "status IN ('PENDING', 'RETRYING') AND next_attempt_at IS NOT NULL "
                           "ORDER BY next_attempt_at, created_ms LIMIT ?";
          sql += ") AS p" + std::to_string(k);
          params.emplace_back(p ? p->webhook->guid : std::string());
          if (!extract) params.emplace_back(p ? p->free + p->unrecorded + 1 : int64_t{0});
          if (extract) {
            // And the webhook's next test event due again (a retry or a redelivery of one).
            sql +=
                " UNION ALL SELECT * FROM (SELECT webhook_guid, guid, next_attempt_at, status FROM "
                "webhook_deliveries WHERE webhook_guid = ? AND event_type <> 'extract.package' AND "
                "status IN ('PENDING', 'RETRYING') AND next_attempt_at IS NOT NULL ORDER BY "
                "next_attempt_at, created_ms LIMIT 1) AS t" +
                std::to_string(k);
            params.emplace_back(p ? p->webhook->guid : std::string());
          }
        }
        ARENITE_RETURN_IF_ERROR(tx.Query(sql, params, [&](const store::Row& r) {
          auto found = plan_of.find(std::string(r.Text(0)));
          if (found == plan_of.end()) return true;
          Plan& p = plans[found->second];
          std::optional<int64_t> next = r.OptInt(2);
          bool due = next && *next <= now && r.Text(3) != kFailed;
          if (due) {
            ++p.seen;
            p.candidates.push_back(r.String(1));
          } else if (next && (!p.next_due || *next < *p.next_due)) {
            // The soonest of what is not due yet (a package, an EXTRACT webhook's test event);
            // a FAILED package has no next attempt: it waits.
            p.next_due = next;
          }
          return true;
        }));
        at += n;
      }
      return OkStatus();
    };
    ARENITE_RETURN_IF_ERROR(read_parts(false));
    ARENITE_RETURN_IF_ERROR(read_parts(true));
    // 2. Without those still out or not yet recorded, the rows (with their events) of just
    // those that are to go, in statements of a few fixed sizes.
    std::vector<std::string> wanted;
    {
      std::lock_guard lock(mu_);
      for (auto& p : plans) {
        std::erase_if(p.candidates, [&](const std::string& g) { return in_flight_.count(g) > 0; });
        // One more than the room: its presence says that the webhook has more due.
        if (static_cast<int64_t>(p.candidates.size()) > p.free + 1) p.candidates.resize(p.free + 1);
        for (size_t i = 0; i < p.candidates.size() && static_cast<int64_t>(i) < p.free; ++i) {
          wanted.push_back(p.candidates[i]);
        }
      }
    }
    for (size_t at = 0; at < wanted.size();) {
      size_t n = std::min<size_t>(wanted.size() - at, 512);
      size_t slots = 8;
      while (slots < n) slots *= 4;
      std::string sql = std::string("SELECT ") + kDueColumns +
                        " FROM webhook_deliveries d LEFT JOIN events e ON e.guid = d.event_guid "
                        "WHERE d.guid IN (";
      store::Params params;
      for (size_t k = 0; k < slots; ++k) {
        sql += k > 0 ? ", ?" : "?";
        params.emplace_back(k < n ? wanted[at + k] : std::string());
      }
      sql += ")";
      ARENITE_RETURN_IF_ERROR(tx.Query(sql, params, [&](const store::Row& r) {
        Due d;
        d.guid = r.String(0);
        d.webhook_guid = r.String(1);
        d.workspace = r.String(2);
        d.event_type = r.String(3);
        if (!r.IsNull(4)) {
          d.body = r.String(4);
        } else if (!r.IsNull(10)) {
          // With many webhooks on the same events, each event's body is built once while it
          // is recent (an event never changes).
          std::string event = r.String(10);
          auto cached = bodies_.find(event);
          if (cached == bodies_.end()) {
            if (bodies_order_.size() >= kCachedBodies) {
              bodies_.erase(bodies_order_.front());
              bodies_order_.pop_front();
            }
            bodies_order_.push_back(event);
            cached = bodies_.emplace(std::move(event), EventBody(r, 10, d.workspace)).first;
          }
          d.body = cached->second;
        }
        if (!r.IsNull(5)) d.package_path = r.String(5);
        d.content_type = r.String(6);
        d.attempts = r.Int(7);
        d.schedule_step = r.Int(8);
        d.requeues = r.Int(19);
        std::string guid = d.guid;
        loaded.emplace(std::move(guid), std::move(d));
        return true;
      }));
      at += n;
    }
    return OkStatus();
  }));
  std::lock_guard lock(mu_);
  size_t queued = 0;
  for (auto& plan : plans) {
    const Webhook& w = *plan.webhook;
    State& st = states_[w.guid];
    // An EVENT webhook saw everything due when the read ended before its limit.
    bool all_seen = plan.extract || plan.seen <= plan.free + plan.unrecorded;
    int64_t sent = 0;
    for (const auto& g : plan.candidates) {
      if (in_flight_.count(g)) continue;
      if (sent >= plan.free) {
        all_seen = false;
        break;
      }
      auto row = loaded.find(g);
      if (row == loaded.end()) continue;
      in_flight_.insert(g);
      st.in_flight++;
      st.unrecorded++;
      st.tokens -= 1;
      jobs_.emplace_back(w, std::move(row->second));
      ++sent;
    }
    // Clean only if nothing marked it while the store was read: else what was marked (a new
    // package, a settled delivery) could wait for the next unrelated change.
    if (all_seen && st.epoch == plan.epoch) {
      st.dirty = false;
      st.next_due = plan.next_due.value_or(kNever);
    }
    queued += static_cast<size_t>(sent);
  }
  // One sender woken per job: waking them all for a few jobs sends most back to sleep at once,
  // two context switches each for nothing.
  if (queued >= static_cast<size_t>(std::max(1, options_.sender_threads))) {
    jobs_cv_.notify_all();
  } else {
    for (size_t i = 0; i < queued; ++i) jobs_cv_.notify_one();
  }
  return OkStatus();
}

void Dispatcher::SenderLoop() {
  for (;;) {
    std::pair<Webhook, Due> job;
    {
      std::unique_lock lock(mu_);
      jobs_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;  // jobs not begun stay due in the store
      job = std::move(jobs_.front());
      jobs_.pop_front();
      if (!webhooks_by_guid_.count(job.first.guid)) {
        // Disabled or deleted since it was queued: not sent, and still due in the store.
        in_flight_.erase(job.second.guid);
        State& st = states_[job.first.guid];
        st.in_flight = std::max(0, st.in_flight - 1);
        st.unrecorded = std::max(0, st.unrecorded - 1);
        continue;
      }
    }
    Outcome outcome = Attempt(job.first, std::move(job.second));
    {
      std::lock_guard lock(mu_);
      // The receiver is free for another attempt now; the delivery stays out of the schedule
      // until its outcome is recorded.
      State& st = states_[outcome.due.webhook_guid];
      st.in_flight = std::max(0, st.in_flight - 1);
      MarkDirty(st);
      woken_ = true;
      outcomes_.push_back(std::move(outcome));
    }
    wake_.notify_one();
    record_cv_.notify_one();
  }
}

Result<std::string> Dispatcher::Bearer(const Webhook& w, const std::string* rejected,
                                       AttemptResult& failure) {
  if (w.auth_type == kAuthOAuth2) {
    int64_t now = clock_.Now();
    {
      std::lock_guard lock(mu_);
      State& st = states_[w.guid];
      if (!rejected && !st.token.empty() && st.token_version == w.config_version &&
          now < st.token_expires - 60) {
        return st.token;
      }
    }
    auto minted = minter_(w.workspace_id, w.oauth_app_guid, w.target_url, options_.token_lifetime);
    if (!minted.ok()) {
      failure.error_class = ErrorClass::kAuthRejected;
      failure.error =
          "the linked OAuth application cannot issue a token: " + minted.error().message;
      return minted.error();
    }
    std::lock_guard lock(mu_);
    State& st = states_[w.guid];
    st.token = *minted;
    st.token_expires = now + options_.token_lifetime;
    st.token_version = w.config_version;
    return *minted;
  }
  // OAUTH2_CLIENT_CREDENTIALS: the receiver's own authorization server.
  std::string key = w.guid + ":" + std::to_string(w.config_version);
  // Only the token the receiver turned down is dropped: concurrent 401s fetch one new token.
  if (rejected) token_source_.Drop(key, *rejected);
  std::string secret;
  {
    std::lock_guard lock(mu_);
    secret = states_[w.guid].client_secret;
  }
  ClientCredentials creds{w.token_url, w.client_id, secret, w.scope, w.audience};
  auto got = token_source_.Get(key, creds);
  if (auto* token = std::get_if<std::string>(&got)) return *token;
  const auto& f = std::get<TokenFailure>(got);
  failure.error_class = f.error_class;
  failure.error = f.error;
  return Unauthorized(f.error);
}

Dispatcher::Outcome Dispatcher::Attempt(const Webhook& w, Due due) {
  Outcome out;
  out.started_ms = clock_.NowMillis();
  int64_t began = SteadyMillis();
  auto fail = [&](ErrorClass c, std::string message) {
    out.result.error_class = c;
    out.result.error = std::move(message);
    out.result.duration_ms = SteadyMillis() - began;
    out.due = std::move(due);
    return std::move(out);
  };
  // The signing keys (and client secret), cached until the webhook changes or the previous
  // key's grace period ends.
  std::vector<std::string> keys;
  {
    std::unique_lock lock(mu_);
    State& st = states_[w.guid];
    if (st.keys_version != w.config_version || clock_.Now() >= st.keys_valid_until ||
        st.keys.empty()) {
      lock.unlock();
      auto secrets = webhooks_.Secrets(w.guid);
      if (!secrets.ok()) return fail(ErrorClass::kPolicy, "the webhook's secrets cannot be read");
      lock.lock();
      st.keys = secrets->signing_keys;
      st.client_secret = secrets->client_secret;
      st.keys_version = w.config_version;
      st.keys_valid_until = w.previous_secret_expires_at.value_or(kNever);
      if (st.keys_valid_until <= clock_.Now()) st.keys_valid_until = kNever;
    }
    keys = st.keys;
  }
  // A package is read from its file; a package too large to send has its small event stored.
  std::string body;
  if (due.body.empty() && !due.package_path.empty()) {
    std::ifstream in(due.package_path, std::ios::binary);
    if (!in) return fail(ErrorClass::kPolicy, "the package file is missing");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    body = buffer.str();
  } else {
    body = due.body;
  }
  if (body.empty()) return fail(ErrorClass::kPolicy, "the event of this delivery is gone");

  OutboundRequest request;
  request.url = w.target_url;
  request.body = std::move(body);
  auto build = [&](const std::optional<std::string>& bearer) {
    int64_t timestamp = clock_.Now();
    request.headers = {
        {"Content-Type", due.content_type},
        {"User-Agent", kUserAgent},
        {"webhook-id", due.guid},
        {"webhook-timestamp", std::to_string(timestamp)},
        {"webhook-signature", SignatureHeader(keys, due.guid, timestamp, request.body)}};
    std::vector<std::pair<std::string, std::string>> shown = request.headers;
    shown.back().second = "v1,[redacted]";
    if (bearer) {
      request.headers.emplace_back("Authorization", "Bearer " + *bearer);
      shown.emplace_back("Authorization", "Bearer [redacted]");
    }
    out.request_headers = HeadersJson(shown);
  };
  std::optional<std::string> bearer;
  if (w.auth_type != kAuthNone) {
    AttemptResult failure;
    auto token = Bearer(w, nullptr, failure);
    if (!token.ok()) {
      build(std::nullopt);
      return fail(failure.error_class, failure.error);
    }
    bearer = *token;
  }
  build(bearer);
  out.result = sender_.Post(request);
  if (w.auth_type == kAuthClientCredentials && out.result.status == 401) {
    // The receiver no longer takes the cached token: one more try with a fresh one.
    AttemptResult failure;
    auto token = Bearer(w, &*bearer, failure);
    if (token.ok()) {
      build(*token);
      out.result = sender_.Post(request);
    }
  }
  out.due = std::move(due);
  return out;
}

Status Dispatcher::Flush(std::vector<Outcome> outcomes) {
  auto logger = log::Get("webhooks");
  auto& m = Metrics::Get();
  int64_t now = clock_.Now();
  int64_t disable_before = now - webhooks_.options().disable_after_seconds;
  struct Row {
    std::string status;
    int64_t step = 0;
    std::optional<int64_t> next;
  };
  std::vector<Row> rows;
  struct HookChange {
    bool any_success = false;  // some attempt of the batch was delivered
    bool last_failed = false;  // the batch's last attempt for the webhook failed
    bool gone = false;
    std::optional<std::string> health, reason;
    bool clean() const { return any_success && !last_failed; }
    // The times this batch would write are those already written (same second, no failure).
    bool times_unchanged = false;
  };
  std::map<std::string, HookChange> hooks;
  {
    std::lock_guard lock(mu_);
    for (const auto& o : outcomes) {
      const AttemptResult& r = o.result;
      Row row;
      State& st = states_[o.due.webhook_guid];
      HookChange& hc = hooks[o.due.webhook_guid];
      bool delivered = r.delivered();
      int status = r.status.value_or(0);
      if (delivered) {
        row.status = kDelivered;
        hc.any_success = true;
        hc.last_failed = false;
        st.slowdowns = 0;
        auto it = webhooks_by_guid_.find(o.due.webhook_guid);
        double most = it != webhooks_by_guid_.end() ? static_cast<double>(it->second.max_concurrent)
                                                    : st.effective_concurrency;
        st.effective_concurrency = std::min(most, st.effective_concurrency + 1);
      } else {
        hc.last_failed = true;
        row.step = o.due.schedule_step + 1;
        if (status == 410) {
          row.status = kFailed;
          hc.gone = true;
        } else if (row.step >= kMaxAttempts) {
          row.status = kFailed;
        } else {
          row.status = kRetrying;
          row.next = now + (row.step == 0 ? 0
                                          : RetryDelay(static_cast<int>(row.step), Jitter(),
                                                       r.retry_after_seconds));
          st.next_due = std::min(st.next_due, *row.next);
        }
        if (status == 429 || status == 503) {
          // The receiver is overwhelmed: pause, and send fewer attempts at once.
          int64_t pause = std::min<int64_t>(60000, int64_t{1000} << std::min(st.slowdowns, 6));
          if (r.retry_after_seconds) pause = std::max(pause, *r.retry_after_seconds * 1000);
          st.paused_until_ms = clock_.NowMillis() + std::min<int64_t>(pause, 3600 * 1000);
          st.slowdowns++;
          st.effective_concurrency = std::max(1.0, st.effective_concurrency / 2);
        }
      }
      st.recent.push_back(delivered);
      if (st.recent.size() > kHealthWindow) st.recent.pop_front();
      int failures = static_cast<int>(std::count(st.recent.begin(), st.recent.end(), false));
      std::string health = "HEALTHY";
      std::optional<std::string> reason;
      if (r.error_class == ErrorClass::kAuthRejected) {
        health = "AUTH_REJECTED";
        reason = r.status ? "the receiver answered " + std::to_string(*r.status) : r.error;
      } else if (st.recent.size() >= 4 && failures * 2 >= static_cast<int>(st.recent.size())) {
        health = "FAILING";
        reason = std::to_string(failures) + " of the last " + std::to_string(st.recent.size()) +
                 " attempts failed (last: " + (r.error.empty() ? "ok" : r.error) + ")";
      }
      if (health != st.health) {
        if (health != "HEALTHY") {
          logger->warn("webhook {} is {}: {}", o.due.webhook_guid, health, reason.value_or(""));
        }
        st.health = health;
        hc.health = health;
        hc.reason = reason;
      }
      std::string outcome = row.status == kDelivered  ? "delivered"
                            : row.status == kRetrying ? "retrying"
                                                      : "failed";
      rows.push_back(std::move(row));
      m.deliveries.Add({{"outcome", outcome}, {"webhook", o.due.webhook_guid}}).Increment();
      if (r.error_class == ErrorClass::kAuthRejected) {
        m.auth_rejections.Add({{"webhook", o.due.webhook_guid}}).Increment();
      }
      m.latency.Observe(static_cast<double>(r.duration_ms) / 1000.0);
    }
    for (auto& [guid, hc] : hooks) {
      hc.times_unchanged = hc.clean() && states_[guid].times_written_at == now;
    }
  }
  std::vector<std::pair<std::string, std::string>> disabled;  // guid, reason
  Status written = store_.Write([&](store::Tx& tx) -> Status {
    disabled.clear();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const Outcome& o = outcomes[i];
      const AttemptResult& r = o.result;
      const Row& row = rows[i];
      // (Without RETURNING: it too would open a statement journal.)
      ARENITE_ASSIGN_OR_RETURN(
          auto changed,
          tx.Exec("UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, "
                  "schedule_step = ?, next_attempt_at = ?, last_status = ?, last_error = ?, "
                  "last_error_class = ?, delivered_at = CASE WHEN ? = 'DELIVERED' THEN ? ELSE "
                  "delivered_at END WHERE guid = ? AND status IN ('PENDING', 'RETRYING') AND "
                  "requeues = ?",
                  {row.status, row.step, store::Nullable(row.next), store::Nullable(r.status),
                   TextOrNull(r.error), ClassOrNull(r.error_class), row.status, now, o.due.guid,
                   o.due.requeues}));
      if (changed == 0) {
        // Redelivered or recovered while this attempt was out: the attempt is logged, and the
        // delivery keeps the fresh schedule it was given meanwhile.
        ARENITE_ASSIGN_OR_RETURN(
            changed, tx.Exec("UPDATE webhook_deliveries SET attempts = attempts + 1, "
                             "last_status = ?, last_error = ?, last_error_class = ? WHERE guid = ?",
                             {store::Nullable(r.status), TextOrNull(r.error),
                              ClassOrNull(r.error_class), o.due.guid}));
      }
      if (changed == 0) continue;  // the webhook and its deliveries were deleted
      ARENITE_ASSIGN_OR_RETURN(
          auto number,
          tx.QueryInt("SELECT attempts FROM webhook_deliveries WHERE guid = ?", {o.due.guid}));
      if (!number) continue;
      ARENITE_RETURN_IF_ERROR(
          InsertAttempt(tx, o.due.guid, *number, o.started_ms, o.request_headers, r));
    }
    for (const auto& [guid, hc] : hooks) {
      // With many webhooks, each batch would otherwise rewrite each webhook's row.
      if (!hc.times_unchanged) {
        ARENITE_RETURN_IF_ERROR(tx.Exec(
            "UPDATE webhooks SET last_delivery_at = ?, last_success_at = CASE WHEN ? = 1 THEN ? "
            "ELSE last_success_at END, failing_since = CASE WHEN ? = 0 THEN NULL WHEN ? = 1 THEN "
            "? ELSE COALESCE(failing_since, ?) END WHERE guid = ?",
            {now, int64_t{hc.any_success}, now, int64_t{hc.last_failed}, int64_t{hc.any_success},
             now, now, guid}));
      }
      if (hc.health) {
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("UPDATE webhooks SET health = ?, health_reason = ? WHERE guid = ? AND "
                    "enabled = 1",
                    {*hc.health, store::Nullable(hc.reason), guid}));
      }
      std::optional<std::string> reason;
      if (hc.gone) {
        reason = "GONE";
      } else if (hc.last_failed && !hc.any_success) {
        ARENITE_ASSIGN_OR_RETURN(
            bool stale, tx.Exists("SELECT 1 FROM webhooks WHERE guid = ? AND enabled = 1 AND "
                                  "failing_since IS NOT NULL AND failing_since <= ?",
                                  {guid, disable_before}));
        if (stale) reason = "FAILING";
      }
      if (reason) {
        ARENITE_ASSIGN_OR_RETURN(
            auto changed,
            tx.Exec("UPDATE webhooks SET enabled = 0, disabled_reason = ?, health = 'DISABLED', "
                    "health_reason = ?, config_version = config_version + 1 WHERE guid = ? AND "
                    "enabled = 1",
                    {*reason,
                     *reason == "GONE" ? "the receiver answered 410 Gone"
                                       : "no successful delivery for too long",
                     guid}));
        if (changed > 0) disabled.emplace_back(guid, *reason);
      }
    }
    return OkStatus();
  });
  {
    std::lock_guard lock(mu_);
    // The loop takes them out of in_flight_ before its next read of the store, which then
    // sees what was recorded: a read begun earlier could still see them due.
    for (const auto& o : outcomes) settled_.emplace_back(o.due.guid, o.due.webhook_guid);
    if (written.ok()) {
      for (const auto& [guid, hc] : hooks) states_[guid].times_written_at = hc.clean() ? now : -1;
    }
  }
  for (const auto& [guid, reason] : disabled) {
    logger->warn("webhook {} disabled: {}", guid,
                 reason == "GONE" ? "the receiver answered 410 Gone"
                                  : "no successful delivery for too long");
    m.disabled.Add({{"reason", reason}}).Increment();
  }
  if (!disabled.empty()) config_dirty_ = true;
  return written;
}

Status Dispatcher::Housekeeping() {
  int64_t now = clock_.Now();
  if (now - last_housekeeping_ < 5 && now >= last_housekeeping_) return OkStatus();
  last_housekeeping_ = now;
  auto& m = Metrics::Get();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    return tx.Query(
        "SELECT COUNT(*), MIN(next_attempt_at) FROM webhook_deliveries WHERE status IN "
        "('PENDING', 'RETRYING')",
        {}, [&](const store::Row& r) {
          m.queue_depth.Set(static_cast<double>(r.Int(0)));
          m.oldest_due_age.Set(
              r.IsNull(1) ? 0.0 : static_cast<double>(std::max<int64_t>(0, now - r.Int(1))));
          return false;
        });
  }));
  if (now - last_retention_ < 3600 && now >= last_retention_) return OkStatus();
  last_retention_ = now;
  // Settled deliveries older than the retention period go, with their attempts and packages,
  // a few thousand per transaction so that the writer is never held for long. A FAILED package
  // stays: it holds its webhook's later packages back until someone redelivers or recovers it.
  int64_t before = now - webhooks_.options().retention_seconds;
  constexpr int64_t kChunk = 5000;
  int64_t removed = 0;
  for (int64_t deleted = kChunk; deleted == kChunk;) {
    std::vector<std::string> files;
    ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
      files.clear();
      std::vector<std::string> guids;
      ARENITE_RETURN_IF_ERROR(tx.Query(
          "SELECT guid, package_path FROM webhook_deliveries WHERE created_at < ? AND (status = "
          "'DELIVERED' OR (status = 'FAILED' AND event_type <> 'extract.package')) LIMIT ?",
          {before, kChunk}, [&](const store::Row& r) {
            guids.push_back(r.String(0));
            if (!r.IsNull(1)) files.push_back(r.String(1));
            return true;
          }));
      for (const auto& g : guids) {
        ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM webhook_deliveries WHERE guid = ?", {g}));
      }
      deleted = static_cast<int64_t>(guids.size());
      return OkStatus();
    }));
    removed += deleted;
    for (const auto& f : files) {
      std::error_code ec;
      std::filesystem::remove(f, ec);
    }
  }
  if (removed > 0) log::Get("webhooks")->info("removed {} deliveries past retention", removed);
  return OkStatus();
}

void Dispatcher::PackageLoop() {
  auto logger = log::Get("webhooks");
  for (;;) {
    {
      std::unique_lock lock(mu_);
      package_cv_.wait_for(lock, std::chrono::seconds(1),
                           [&] { return stopping_ || package_wake_; });
      package_wake_ = false;
      if (stopping_) return;
    }
    std::vector<std::string> due;
    Status read = store_.Read([&](store::Tx& tx) -> Status {
      return tx.Query(
          "SELECT guid FROM webhooks WHERE payload = 'EXTRACT' AND enabled = 1 AND "
          "extract_due_at IS NOT NULL AND extract_due_at <= ?",
          {clock_.Now()}, [&](const store::Row& r) {
            due.push_back(r.String(0));
            return true;
          });
    });
    if (!read.ok()) continue;
    for (const auto& guid : due) {
      std::optional<Webhook> w;
      Status loaded = store_.Read([&](store::Tx& tx) -> Status {
        ARENITE_ASSIGN_OR_RETURN(Webhook found, Webhooks::Load(tx, "guid = ?", {guid}));
        w = std::move(found);
        return OkStatus();
      });
      if (!loaded.ok()) continue;
      if (Status s = MakePackage(*w); !s.ok()) {
        logger->warn("cannot build the package of webhook {}: {}", guid, s.error().message);
      }
    }
  }
}

Status Dispatcher::MakePackage(const Webhook& w) {
  auto logger = log::Get("webhooks");
  std::map<std::string, extract::ViewState> previous, next;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    return tx.Query(
        "SELECT view, row_guid, digest, key_text FROM webhook_row_state WHERE webhook_guid = ?",
        {w.guid}, [&](const store::Row& r) {
          previous[r.String(0)][r.String(1)] = extract::RowState{r.String(2), r.String(3)};
          return true;
        });
  }));
  std::string delivery = NewOrderedGuid();
  std::vector<extract::ViewSource> views;
  auto lookups = std::make_shared<extract::ViewLookups>();
  for (const auto& name : w.extract_views) {
    views.push_back(
        extract::DeltaView(name, w.workspace_id, &previous[name], &next[name], lookups));
  }
  extract::PackageOptions options;
  options.directory = webhooks_.options().packages_dir + "/" + w.guid;
  options.cancel = &stopping_packages_;  // a stop does not wait for a large package
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  options.csv.format = w.extract_format == "DATAEXTRACT" ? extract::CsvFormat::kDataExtract
                                                         : extract::CsvFormat::kRfc4180;
  int64_t sequence_from = w.extract_sequence, sequence_to = 0;
  bool first = previous.empty() && w.extract_sequence == 0;
  options.on_snapshot = [&](store::Tx& tx, json::Json& manifest) -> Status {
    ARENITE_ASSIGN_OR_RETURN(auto max, tx.QueryInt("SELECT MAX(sequence) FROM events WHERE "
                                                   "workspace_guid = ?",
                                                   {w.workspace_id}));
    sequence_to = max.value_or(0);
    manifest["sequenceFrom"] = sequence_from;
    manifest["sequenceTo"] = sequence_to;
    return OkStatus();
  };
  json::Json base = {{"workspaceId", w.workspace_id},
                     {"webhook", {{"guid", w.guid}, {"name", w.name}}},
                     {"run", {{"guid", delivery}}},
                     {"type", first ? "FULL" : "FULL_DELTA"},
                     {"format", w.extract_format}};
  int64_t now = clock_.Now();
  ARENITE_ASSIGN_OR_RETURN(extract::Package package,
                           extract::BuildPackage(store_, views, delivery, now, base, options));
  int64_t rows = 0;
  for (const auto& f : package.files) rows += f.rows;
  bool send = rows > 0;
  std::string body;
  bool too_large = static_cast<int64_t>(package.size) > webhooks_.options().max_package_bytes;
  if (send && too_large) {
    json::Json files = json::Json::array();
    for (const auto& f : package.files) {
      files.push_back({{"view", f.view}, {"rows", f.rows}, {"sha256", f.sha256}});
    }
    body = json::Json{{"type", kPackageEventType},
                      {"timestamp", FormatDateTime(now)},
                      {"data",
                       {{"workspaceId", w.workspace_id},
                        {"webhookGuid", w.guid},
                        {"packageGuid", delivery},
                        {"fileName", package.file_name},
                        {"size", package.size},
                        {"sequenceFrom", sequence_from},
                        {"sequenceTo", sequence_to},
                        {"files", files},
                        {"downloadUrl", webhooks_.options().public_url + "/v1/settings/webhooks/" +
                                            w.guid + "/packages/" + delivery + "/content"}}}}
               .dump();
  }
  Status written = store_.Write([&](store::Tx& tx) -> Status {
    if (send) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO webhook_deliveries (guid, workspace_guid, webhook_guid, event_type, "
          "sequence_from, sequence_to, body, package_path, content_type, status, attempts, "
          "schedule_step, next_attempt_at, created_at, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, "
          "?, ?, 'PENDING', 0, 0, ?, ?, ?)",
          {delivery, w.workspace_id, w.guid, std::string(kPackageEventType), sequence_from,
           sequence_to, too_large ? store::Value(store::Blob{body}) : store::Value(nullptr),
           package.path, too_large ? "application/json" : "application/zip", now, now,
           clock_.NowMillis()}));
    }
    // The state the next package compares against: this one's rows, view by view. A view the
    // package did not hold keeps its state, so that one taken out of the webhook's views and
    // put back goes on from what its receiver last got (as extracts do).
    for (const auto& [view, of_view] : next) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "DELETE FROM webhook_row_state WHERE webhook_guid = ? AND view = ?", {w.guid, view}));
      for (const auto& [guid, state] : of_view) {
        ARENITE_RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO webhook_row_state (webhook_guid, view, row_guid, digest, key_text) "
            "VALUES (?, ?, ?, ?, ?)",
            {w.guid, view, guid, store::Blob{state.digest}, state.key}));
      }
    }
    // Events after the snapshot wait for the next window.
    ARENITE_ASSIGN_OR_RETURN(bool later,
                             tx.Exists("SELECT 1 FROM events WHERE workspace_guid = ? AND "
                                       "sequence > ?",
                                       {w.workspace_id, sequence_to}));
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE webhooks SET extract_sequence = ?, extract_due_at = ? WHERE guid = ?",
        {sequence_to,
         later ? store::Value(now + webhooks_.options().debounce_seconds) : store::Value(nullptr),
         w.guid}));
    return OkStatus();
  });
  if (!written.ok() || !send) std::filesystem::remove(package.path, ec);
  ARENITE_RETURN_IF_ERROR(written);
  if (send) {
    logger->info("webhook {}: package {} of {} rows ({} bytes) queued", w.guid, delivery, rows,
                 package.size);
    {
      std::lock_guard lock(mu_);
      MarkDirty(states_[w.guid]);
      woken_ = true;
    }
    wake_.notify_one();
  }
  return OkStatus();
}

Result<TestOutcome> Dispatcher::SendTest(const std::string& workspace, const std::string& guid,
                                         const std::string& event_type) {
  ARENITE_ASSIGN_OR_RETURN(Webhook w, webhooks_.Get(workspace, guid));
  std::string type = event_type.empty() ? kWebhookTest : event_type;
  const EventType* et = FindEventType(type);
  if (!et) return BadRequest("eventType: unknown event type " + type, kErrInvalidValue);
  std::string event_guid = NewGuid();
  json::Json body = ExampleBody(*et, workspace, event_guid, w.guid, clock_.Now());
  Due due;
  due.guid = NewOrderedGuid();
  due.webhook_guid = w.guid;
  due.workspace = workspace;
  due.event_type = type;
  due.body = body.dump();
  due.content_type = "application/json";
  Outcome o = Attempt(w, due);
  const AttemptResult& r = o.result;
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO webhook_deliveries (guid, workspace_guid, webhook_guid, event_guid, "
        "event_type, body, content_type, status, attempts, schedule_step, last_status, "
        "last_error, last_error_class, created_at, created_ms, delivered_at) VALUES (?, ?, ?, ?, "
        "?, ?, 'application/json', ?, 1, 1, ?, ?, ?, ?, ?, ?)",
        {due.guid, workspace, w.guid, event_guid, type, store::Blob{due.body},
         r.delivered() ? kDelivered : kFailed, store::Nullable(r.status), TextOrNull(r.error),
         ClassOrNull(r.error_class), now, clock_.NowMillis(),
         r.delivered() ? store::Value(now) : store::Value(nullptr)}));
    ARENITE_RETURN_IF_ERROR(InsertAttempt(tx, due.guid, 1, o.started_ms, o.request_headers, r));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE webhooks SET last_delivery_at = ? WHERE guid = ?", {now, w.guid}));
    return OkStatus();
  }));
  TestOutcome out;
  out.delivered = r.delivered();
  out.status = r.status;
  out.duration_ms = r.duration_ms;
  if (!r.delivered()) {
    out.error = r.error;
    out.error_class = ErrorClassName(r.error_class);
  }
  out.delivery_guid = due.guid;
  return out;
}

}  // namespace arenite::webhooks
