#include "webhooks/client_credentials.h"

#include <algorithm>

namespace arenite::webhooks {
namespace {

constexpr int64_t kRefreshMarginMs = 30'000;
constexpr size_t kMaxEntries = 1024;

}  // namespace

bool TokenSource::Fresh(const Entry& e, int64_t now_ms) const {
  if (e.token.empty()) return false;
  int64_t margin = std::min(kRefreshMarginMs, (e.expires_ms - e.obtained_ms) / 10);
  return e.expires_ms - now_ms > margin;
}

std::variant<std::string, TokenFailure> TokenSource::Get(const std::string& key,
                                                         const ClientCredentials& creds) {
  std::shared_ptr<Entry> entry;
  uint64_t seen = 0;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= kMaxEntries) {
        // Forget idle entries whose token has expired: configurations change their key.
        int64_t now = clock_.NowMillis();
        std::erase_if(entries_, [&](const auto& kv) {
          std::unique_lock held(kv.second->mu, std::try_to_lock);
          return held.owns_lock() && kv.second.use_count() == 1 && kv.second->expires_ms <= now;
        });
      }
      it = entries_.emplace(key, std::make_shared<Entry>()).first;
    }
    entry = it->second;
    seen = entry->fetches.load();
  }

  std::lock_guard fetch(entry->mu);
  if (Fresh(*entry, clock_.NowMillis())) return entry->token;
  // Another caller fetched while this one waited and failed: share its outcome rather than
  // asking a failing endpoint again at once.
  if (entry->fetches.load() != seen && entry->last_failure) return *entry->last_failure;
  return Fetch(*entry, creds);
}

std::variant<std::string, TokenFailure> TokenSource::Fetch(Entry& e,
                                                           const ClientCredentials& creds) {
  AttemptResult r = sender_.Post(TokenRequest(creds));
  auto answer = ReadTokenAnswer(r, creds);
  int64_t now = clock_.NowMillis();
  e.fetches.fetch_add(1);
  if (auto* failure = std::get_if<TokenFailure>(&answer)) {
    e.token.clear();
    e.last_failure = *failure;
    return std::move(*failure);
  }
  IssuedToken& t = std::get<IssuedToken>(answer);
  e.last_failure.reset();
  e.token = t.access_token;
  e.obtained_ms = now;
  e.expires_ms = now + t.lifetime_seconds * 1000;
  return std::move(t.access_token);
}

void TokenSource::Drop(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

void TokenSource::Drop(const std::string& key, std::string_view token) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    entry = it->second;
  }
  std::lock_guard held(entry->mu);
  if (entry->token == token) entry->token.clear();
}

}  // namespace arenite::webhooks
