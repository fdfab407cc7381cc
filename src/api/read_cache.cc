#include "api/read_cache.h"

#include <functional>

#include "core/metrics.h"

namespace arenite::api {
namespace {

prometheus::Family<prometheus::Counter>& LookupsFamily() {
  static auto& family = prometheus::BuildCounter()
                            .Name("arenite_read_cache_lookups_total")
                            .Help(
                                "Single-object reads answered from the read cache (hit) or "
                                "rendered from the store (miss)")
                            .Register(metrics::Registry());
  return family;
}

prometheus::Counter& Hits() {
  static auto& counter = LookupsFamily().Add({{"result", "hit"}});
  return counter;
}

prometheus::Counter& Misses() {
  static auto& counter = LookupsFamily().Add({{"result", "miss"}});
  return counter;
}

}  // namespace

prometheus::Counter& ReadCache::Bypassed() {
  static auto& counter = LookupsFamily().Add({{"result", "bypassed"}});
  return counter;
}

namespace {}  // namespace

ReadCache::ReadCache(size_t max_bytes) : max_bytes_per_shard_(max_bytes / kShards) {
  for (size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
  Hits();  // every series shows on /metrics from the start
  Misses();
  Bypassed();
}

ReadCache::Shard& ReadCache::ShardOf(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % kShards];
}

void ReadCache::Erase(Shard& shard, std::list<Entry>::iterator it) {
  shard.bytes -= Cost(*it);
  shard.index.erase(std::string_view(it->key));
  shard.lru.erase(it);
}

std::optional<std::string> ReadCache::Find(std::string_view key, uint64_t generation) {
  if (!enabled()) return std::nullopt;
  Shard& shard = ShardOf(key);
  {
    std::lock_guard lock(shard.mu);
    auto found = shard.index.find(key);
    if (found != shard.index.end()) {
      auto it = found->second;
      if (it->generation == generation) {
        shard.lru.splice(shard.lru.begin(), shard.lru, it);
        Hits().Increment();
        return it->body;
      }
      // Stale, unless it was read at a newer generation than this caller saw.
      if (it->generation < generation) Erase(shard, it);
    }
  }
  Misses().Increment();
  return std::nullopt;
}

void ReadCache::Put(std::string key, uint64_t generation, std::string body) {
  if (!enabled()) return;
  Entry entry{std::move(key), generation, std::move(body)};
  size_t cost = Cost(entry);
  if (cost > max_bytes_per_shard_) return;
  Shard& shard = ShardOf(entry.key);
  std::lock_guard lock(shard.mu);
  auto found = shard.index.find(std::string_view(entry.key));
  if (found != shard.index.end()) {
    // A read that began at an older generation must not replace a newer answer.
    if (found->second->generation > generation) return;
    Erase(shard, found->second);
  }
  while (!shard.lru.empty() && shard.bytes + cost > max_bytes_per_shard_) {
    Erase(shard, std::prev(shard.lru.end()));
  }
  shard.lru.push_front(std::move(entry));
  shard.index.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
  shard.bytes += cost;
}

size_t ReadCache::bytes() const {
  size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->bytes;
  }
  return total;
}

}  // namespace arenite::api
