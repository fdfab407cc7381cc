#include "extract/package.h"

#include <openssl/evp.h>

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
constexpr size_t kMaxQueuedChunks = 16;  // bounds memory at about 4 MiB in flight

// Incremental SHA-256 over OpenSSL's EVP interface.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
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

// Chunks of CSV handed from the reading thread to the compressing thread. A chunk with
// `view` set to -1 ends the stream.
struct Chunk {
  int view;
  std::string data;
  bool last_of_view;
};

class ChunkQueue {
 public:
  void Push(Chunk chunk) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < kMaxQueuedChunks; });
    queue_.push_back(std::move(chunk));
    not_empty_.notify_one();
  }
  Chunk Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty(); });
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return c;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Chunk> queue_;
};

struct Compressed {
  std::unique_ptr<DeflatePart> part;
  Sha256 sha;
  Status status = OkStatus();
};

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

  std::vector<std::unique_ptr<Compressed>> parts;
  for (size_t i = 0; i < views.size(); ++i) {
    auto c = std::make_unique<Compressed>();
    std::string temp = options.directory + "/." + run_guid + "." + std::to_string(i) + ".part";
    ARENITE_ASSIGN_OR_RETURN(c->part, DeflatePart::Create(temp, options.compression_level));
    parts.push_back(std::move(c));
  }

  // The compressing thread: deflates and hashes each view's chunks in order.
  ChunkQueue queue;
  std::thread compressor([&] {
    for (;;) {
      Chunk chunk = queue.Pop();
      if (chunk.view < 0) return;
      Compressed& c = *parts[static_cast<size_t>(chunk.view)];
      if (!c.status.ok()) continue;
      c.sha.Update(chunk.data);
      c.status = c.part->Write(chunk.data);
      if (c.status.ok() && chunk.last_of_view) c.status = c.part->Finish();
    }
  });

  // The reading thread (this one): every view inside one snapshot.
  std::vector<PackageFile> files(views.size());
  int64_t total_rows = 0;
  nlohmann::json manifest = manifest_base;
  Status read = store.Read([&](store::Tx& tx) -> Status {
    if (options.on_snapshot) ARENITE_RETURN_IF_ERROR(options.on_snapshot(tx, manifest));
    for (size_t i = 0; i < views.size(); ++i) {
      const ViewSource& view = views[i];
      CsvWriter writer(options.csv);
      std::string buffer;
      buffer.reserve(kChunkBytes + 4096);
      std::vector<std::string_view> header = {"Trans Type"};
      for (const auto& c : view.columns) header.push_back(c);
      writer.AppendRow(buffer, header);
      std::vector<std::string_view> row;
      bool cancelled = false;
      Status s = view.read(tx, [&](std::string_view trans, const std::vector<std::string_view>& v) {
        if (cancelled) return false;
        row.clear();
        row.push_back(trans);
        row.insert(row.end(), v.begin(), v.end());
        writer.AppendRow(buffer, row);
        if (buffer.size() >= kChunkBytes) {
          files[i].bytes += buffer.size();
          queue.Push({static_cast<int>(i), std::move(buffer), false});
          buffer = std::string();
          buffer.reserve(kChunkBytes + 4096);
          if (options.cancel && options.cancel->load()) cancelled = true;
          if (options.on_progress) options.on_progress(total_rows + writer.rows() - 1);
        }
        return !cancelled;
      });
      files[i].bytes += buffer.size();
      queue.Push({static_cast<int>(i), std::move(buffer), true});
      if (!s.ok()) return s;
      if (cancelled) return MakeError(409, kErrConflict, "the run was aborted");
      files[i].view = view.name;
      files[i].name = view.name + ".csv";
      files[i].rows = writer.rows() - 1;  // the header is not a row
      files[i].truncated_values = writer.truncated_values();
      total_rows += files[i].rows;
    }
    return OkStatus();
  });
  queue.Push({-1, {}, false});
  compressor.join();
  if (!read.ok()) return read.error();
  for (const auto& c : parts) ARENITE_RETURN_IF_ERROR(c->status);

  // Assemble the archive: the views in order, then the manifest.
  Package package;
  package.file_name = PackageName(now, run_guid);
  package.path = options.directory + "/" + package.file_name;
  std::string temp_path = package.path + ".tmp";
  ARENITE_ASSIGN_OR_RETURN(auto zip, ZipWriter::Create(temp_path, options.zip64_threshold));
  nlohmann::json manifest_files = nlohmann::json::array();
  int64_t truncated = 0;
  for (size_t i = 0; i < views.size(); ++i) {
    files[i].sha256 = parts[i]->sha.HexDigest();
    ARENITE_RETURN_IF_ERROR(zip->AddPart(files[i].name, *parts[i]->part, now));
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
  fs::rename(temp_path, package.path, ec);
  if (ec) return Internal("cannot move the package into place");
  package.size = fs::file_size(package.path, ec);
  package.files = std::move(files);
  package.manifest = std::move(manifest);
  return package;
}

}  // namespace arenite::extract
