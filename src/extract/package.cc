#include "extract/package.h"

#include <openssl/evp.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/crypto.h"
#include "extract/zip_writer.h"

namespace arenite::extract {
namespace {

constexpr size_t kChunkBytes = 256 * 1024;

// Incremental SHA-256 over OpenSSL's EVP interface.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string HexDigest() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return crypto::HexEncode(std::string_view(reinterpret_cast<char*>(out), n));
  }

 private:
  EVP_MD_CTX* ctx_;
};

// One chunk of a view's CSV on its way from the reading thread through a compressing thread to
// the writing thread. Chunks of a view are compressed independently, each primed with the tail
// of the chunk before it, and written in the order they were read.
struct Chunk {
  size_t view = 0;
  std::string data;
  std::string dictionary;  // the last 32 KiB of the view's previous chunk
  bool last_of_view = false;
  std::string deflated;
  uint32_t crc = 0;
  Status status = OkStatus();
  bool done = false;  // guarded by Pipeline::mu_
};

// The compressing and writing threads of one package, with a bounded number of chunks in
// flight, so that memory stays flat however large the views are.
class Pipeline {
 public:
  Pipeline(std::vector<std::unique_ptr<DeflatePart>>& parts, std::vector<Sha256>& digests,
           int level, size_t workers)
      : parts_(parts), digests_(digests), max_in_flight_(2 * workers + 4) {
    for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this, level] { Compress(level); });
    writer_ = std::thread([this] { Write(); });
  }
  ~Pipeline() { (void)Close(); }

  // Hands a chunk on; blocks while too many are in flight. False once writing has failed.
  bool Push(std::unique_ptr<Chunk> chunk) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return in_flight_ < max_in_flight_ || !status_.ok(); });
    if (!status_.ok()) return false;
    ++in_flight_;
    Chunk* raw = chunk.get();
    order_.push_back(std::move(chunk));
    todo_.push_back(raw);
    work_.notify_one();
    written_.notify_all();
    return true;
  }

  // Waits until every chunk pushed is written; the first failure, if any.
  Status Close() {
    {
      std::lock_guard lock(mu_);
      if (closed_) return status_;
      closed_ = true;
    }
    work_.notify_all();
    written_.notify_all();
    for (auto& t : workers_) t.join();
    writer_.join();
    return status_;
  }

 private:
  void Compress(int level) {
    auto deflater = BlockDeflater::Create(level);
    for (;;) {
      Chunk* chunk;
      {
        std::unique_lock lock(mu_);
        work_.wait(lock, [&] { return !todo_.empty() || closed_; });
        if (todo_.empty()) return;
        chunk = todo_.front();
        todo_.pop_front();
      }
      if (!deflater.ok()) {
        chunk->status = deflater.error();
      } else {
        chunk->crc = static_cast<uint32_t>(
            ::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(chunk->data.data()),
                    static_cast<uInt>(chunk->data.size())));
        chunk->status = (*deflater)->Compress(chunk->dictionary, chunk->data, chunk->last_of_view,
                                              &chunk->deflated);
      }
      std::lock_guard lock(mu_);
      chunk->done = true;
      written_.notify_all();
    }
  }

  // Appends the chunks to their parts in reading order, hashing the CSV as it goes.
  void Write() {
    for (;;) {
      std::unique_ptr<Chunk> chunk;
      {
        std::unique_lock lock(mu_);
        written_.wait(lock, [&] {
          return (!order_.empty() && order_.front()->done) || (order_.empty() && closed_);
        });
        if (order_.empty()) return;
        chunk = std::move(order_.front());
        order_.pop_front();
      }
      Status s = chunk->status;
      if (s.ok() && status_.ok()) {
        digests_[chunk->view].Update(chunk->data);
        s = parts_[chunk->view]->AppendDeflated(chunk->deflated, chunk->crc, chunk->data.size());
        if (s.ok() && chunk->last_of_view) s = parts_[chunk->view]->Finish();
      }
      std::lock_guard lock(mu_);
      if (!s.ok() && status_.ok()) status_ = s;
      --in_flight_;
      room_.notify_all();
    }
  }

  std::vector<std::unique_ptr<DeflatePart>>& parts_;
  std::vector<Sha256>& digests_;
  const size_t max_in_flight_;
  std::mutex mu_;
  std::condition_variable work_, written_, room_;
  std::deque<std::unique_ptr<Chunk>> order_;  // every chunk in flight, in reading order
  std::deque<Chunk*> todo_;                   // those not yet taken by a compressing thread
  size_t in_flight_ = 0;
  bool closed_ = false;
  Status status_ = OkStatus();
  std::vector<std::thread> workers_;
  std::thread writer_;
};

// Compressing threads: one per core, as many as a package can use.
size_t CompressionThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cores == 0 ? 1 : cores, 1, 8);
}

}  // namespace

std::string PackageName(int64_t unix_time, const std::string& run_guid) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
  return "Extract_" + std::string(stamp) + "Z_" + run_guid + ".zip";
}

Result<Package> BuildPackage(store::Store& store, const std::vector<ViewSource>& views,
                             const std::string& run_guid, int64_t now,
                             const nlohmann::json& manifest_base, const PackageOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.directory, ec);
  if (ec) return Internal("cannot create the package directory");

  std::vector<std::unique_ptr<DeflatePart>> parts;
  std::vector<Sha256> digests(views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    std::string temp = options.directory + "/." + run_guid + "." + std::to_string(i) + ".part";
    ARENITE_ASSIGN_OR_RETURN(auto part, DeflatePart::Create(temp, options.compression_level));
    parts.push_back(std::move(part));
  }
  Pipeline pipeline(parts, digests, options.compression_level, CompressionThreads());

  // The reading threads: views taken in turn, every one inside the same snapshot.
  std::vector<PackageFile> files(views.size());
  nlohmann::json manifest = manifest_base;
  std::atomic<size_t> next_view{0};
  std::atomic<bool> stop{false};  // cancelled, or the pipeline failed
  std::atomic<int64_t> rows_read{0};
  std::mutex progress_mu;
  auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  auto report = [&] {
    if (!options.on_progress) return;
    std::lock_guard lock(progress_mu);  // one call at a time, with totals that only grow
    options.on_progress(rows_read.load());
  };
  auto read_view = [&](store::Tx& tx, size_t i) -> Status {
    const ViewSource& view = views[i];
    CsvWriter writer(options.csv);
    auto chunk = std::make_unique<Chunk>();
    chunk->view = i;
    chunk->data.reserve(kChunkBytes + 4096);
    std::vector<std::string_view> header = {"Trans Type"};
    for (const auto& c : view.columns) header.push_back(c);
    writer.AppendHeader(chunk->data, header);
    std::vector<std::string_view> row;
    int64_t counted = 0;  // rows of this view already in rows_read
    auto count = [&] {
      int64_t rows = writer.rows() - 1;  // the header is not a row
      rows_read += rows - counted;
      counted = rows;
    };
    // Hands the chunk on and starts the next one, primed with this one's tail.
    auto hand_on = [&](bool last) {
      files[i].bytes += chunk->data.size();
      chunk->last_of_view = last;
      auto next = std::make_unique<Chunk>();
      next->view = i;
      if (!last) {
        size_t keep = std::min(chunk->data.size(), BlockDeflater::kWindow);
        next->dictionary.assign(chunk->data, chunk->data.size() - keep, keep);
        next->data.reserve(kChunkBytes + 4096);
      }
      bool ok = pipeline.Push(std::move(chunk));
      chunk = std::move(next);
      return ok;
    };
    Status s = view.read(tx, [&](std::string_view trans, const std::vector<std::string_view>& v) {
      if (stop) return false;
      row.clear();
      row.push_back(trans);
      row.insert(row.end(), v.begin(), v.end());
      writer.AppendRow(chunk->data, row, 2);  // the Trans Type and the Guid
      if (chunk->data.size() >= kChunkBytes) {
        if (!hand_on(false) || cancelled()) stop = true;
        count();
        report();
      }
      return !stop.load();
    });
    if (!hand_on(true)) stop = true;
    count();
    if (!s.ok()) return s;
    files[i].view = view.name;
    files[i].name = view.name + ".csv";
    files[i].rows = writer.rows() - 1;
    files[i].truncated_values = writer.truncated_values();
    return OkStatus();
  };
  size_t threads = std::clamp<size_t>(options.read_threads, 1, views.size());
  std::vector<store::TxFn> readers;
  for (size_t t = 0; t < threads; ++t) {
    readers.push_back([&, t](store::Tx& tx) -> Status {
      if (t == 0 && options.on_snapshot) {
        ARENITE_RETURN_IF_ERROR(options.on_snapshot(tx, manifest));
      }
      for (size_t i; !stop && (i = next_view++) < views.size();) {
        Status s = read_view(tx, i);
        if (!s.ok()) {
          stop = true;
          return s;
        }
      }
      return OkStatus();
    });
  }
  Status read = store.ReadTogether(readers);
  if (read.ok() && cancelled()) read = MakeError(409, kErrConflict, "the run was aborted");
  Status written = pipeline.Close();
  if (!read.ok()) return read.error();
  ARENITE_RETURN_IF_ERROR(written);

  // Assemble the archive: the views in order, then the manifest.
  Package package;
  package.file_name = PackageName(now, run_guid);
  package.path = options.directory + "/" + package.file_name;
  ARENITE_ASSIGN_OR_RETURN(auto zip, ZipWriter::Create(package.path, options.zip64_threshold));
  nlohmann::json manifest_files = nlohmann::json::array();
  int64_t truncated = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    files[i].sha256 = digests[i].HexDigest();
    ARENITE_RETURN_IF_ERROR(zip->AddPart(files[i].name, *parts[i], now));
    manifest_files.push_back({{"view", files[i].view},
                              {"name", files[i].name},
                              {"rows", files[i].rows},
                              {"bytes", files[i].bytes},
                              {"sha256", files[i].sha256},
                              {"truncatedValues", files[i].truncated_values}});
    truncated += files[i].truncated_values;
  }
  manifest["creationDateTime"] = FormatDateTime(now);
  manifest["format"] = options.csv.format == CsvFormat::kRfc4180 ? "RFC4180" : "DATAEXTRACT";
  manifest["maxTextLength"] = options.csv.max_text_length;
  manifest["truncatedValues"] = truncated;
  manifest["files"] = manifest_files;
  ARENITE_RETURN_IF_ERROR(zip->AddBytes("manifest.json", manifest.dump(2), now));
  ARENITE_RETURN_IF_ERROR(zip->Finish());
  package.zip64 = zip->used_zip64();
  zip.reset();
  package.size = fs::file_size(package.path, ec);
  package.files = std::move(files);
  package.manifest = std::move(manifest);
  return package;
}

}  // namespace arenite::extract
