// Rendered answers of the single-object reads (GET /v1/items/{guid} and the other short reads of
// src/api/plm_routes.cc), kept so that reading the same object again costs neither the store nor
// the JSON rendering. Each entry carries the store generation (store::Store::Generation) taken
// before its answer was read, and is served only while the generation has not moved: any commit
// of any connection of any process moves it, so a cached answer is never older than the last
// commit. Bounded in bytes (keys, bodies and a fixed cost per entry); the least recently used
// entries leave first.
//
// Thread-safe: the entries are spread over shards, each under its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>

namespace arenite::api {

class ReadCache {
 public:
  // `max_bytes` of keys and bodies in all; 0 turns the cache off.
  explicit ReadCache(size_t max_bytes);

  bool enabled() const { return max_bytes_per_shard_ > 0; }
  // The body cached under `key` if it was rendered at `generation`. An entry of an older
  // generation is dropped.
  std::optional<std::string> Find(std::string_view key, uint64_t generation);
  // Keeps `body` under `key`, replacing what was there. A body larger than a shard is not kept.
  void Put(std::string key, uint64_t generation, std::string body);
  // Bytes held now (keys, bodies and a fixed cost per entry), for tests.
  size_t bytes() const;
  // Counts a read that could not use the cache (the store's generation was unavailable).
  static prometheus::Counter& Bypassed();

 private:
  struct Entry {
    std::string key;
    uint64_t generation;
    std::string body;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views into lru
    size_t bytes = 0;
  };

  Shard& ShardOf(std::string_view key);
  // Keys and bodies, plus what an entry costs besides: its list node, its index node and
  // bucket, and the heap's own bookkeeping.
  static size_t Cost(const Entry& e) {
    return e.key.size() + e.body.size() + sizeof(Entry) + kEntryOverhead;
  }
  static constexpr size_t kEntryOverhead = 128;
  static void Erase(Shard& shard, std::list<Entry>::iterator it);

  static constexpr size_t kShards = 8;
  size_t max_bytes_per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace arenite::api
