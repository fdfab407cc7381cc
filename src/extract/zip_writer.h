// Writes ZIP archives from parts compressed elsewhere, so that a package's files can be
// compressed in parallel and streamed without holding them in memory. A DeflatePart streams
// bytes through raw deflate (zlib) into a temporary file, keeping the CRC-32 and sizes; the
// ZipWriter then lays the parts out as entries with their sizes known, switching to ZIP64 fields
// for any size or offset at or over the threshold (4 GiB - 1 by default, the value that in a
// 32-bit field means "see the ZIP64 field", APPNOTE 4.4.8; lower in tests). A
// BlockDeflater compresses the chunks of one stream independently (as pigz does), so that
// several threads share a large file's compression; a DeflatePart then appends them in order.
// None of the classes is thread-safe; use one of each per thread.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace arenite::extract {

class DeflatePart {
 public:
  // Compresses into a file without a name in the directory of `temp_path` (O_TMPFILE), so that
  // a process killed meanwhile leaves nothing behind; where the file system cannot, into
  // `temp_path` itself, removed by the destructor.
  static Result<std::unique_ptr<DeflatePart>> Create(const std::string& temp_path, int level = 6);
  ~DeflatePart();
  DeflatePart(const DeflatePart&) = delete;
  DeflatePart& operator=(const DeflatePart&) = delete;

  Status Write(std::string_view data);
  // Appends deflate output made by a BlockDeflater for `raw_size` bytes whose CRC-32 is `crc`.
  // A part takes either Write or AppendDeflated, never both; the last block appended must be
  // the stream's final one.
  Status AppendDeflated(std::string_view deflated, uint32_t crc, uint64_t raw_size);
  Status Finish();
  // Appends the finished part's compressed bytes to `out`.
  Status CopyTo(FILE* out);

  uint32_t crc32() const { return crc_; }
  uint64_t size() const { return size_; }  // uncompressed bytes
  uint64_t compressed_size() const { return compressed_; }

 private:
  DeflatePart() = default;
  Status Pump(int flush);

  std::string path_;  // empty for an unnamed file
  FILE* file_ = nullptr;
  z_stream zs_{};
  bool zs_open_ = false;
  bool finished_ = false;
  bool appended_ = false;
  uint32_t crc_ = 0;
  uint64_t size_ = 0;
  uint64_t compressed_ = 0;
  std::vector<unsigned char> out_;
};

class BlockDeflater {
 public:
  static constexpr size_t kWindow = 32 * 1024;  // the dictionary a chunk continues from

  static Result<std::unique_ptr<BlockDeflater>> Create(int level = 6);
  ~BlockDeflater();
  BlockDeflater(const BlockDeflater&) = delete;
  BlockDeflater& operator=(const BlockDeflater&) = delete;

  // Compresses `data` into `out` (replacing it), primed with `dictionary` (the up to 32 KiB of
  // the stream just before `data`), ending byte-aligned, or with the final block when `last`.
  // Concatenated in order, the outputs of a stream's chunks are one raw deflate stream.
  Status Compress(std::string_view dictionary, std::string_view data, bool last, std::string* out);

 private:
  BlockDeflater() = default;
  z_stream zs_{};
  bool open_ = false;
};

class ZipWriter {
 public:
  static constexpr uint64_t kZip64Threshold = 0xFFFFFFFFull;

  // The archive appears at `path` only once finished, complete: until then it is a file without
  // a name (or, where the file system cannot make one, `path` + ".tmp", removed on failure).
  static Result<std::unique_ptr<ZipWriter>> Create(const std::string& path,
                                                   uint64_t zip64_threshold = kZip64Threshold);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Adds a finished part as entry `name`, modified at `unix_time`.
  Status AddPart(const std::string& name, DeflatePart& part, int64_t unix_time);
  // Adds a small entry from memory (compressed here).
  Status AddBytes(const std::string& name, std::string_view data, int64_t unix_time);
  // Writes the central directory, syncs, and moves the archive to its path (replacing a file
  // there).
  Status Finish();
  bool used_zip64() const { return used_zip64_; }

 private:
  struct Entry {
    std::string name;
    uint32_t crc;
    uint64_t size, compressed, offset;
    uint16_t dos_time, dos_date;
  };
  ZipWriter() = default;
  Status WriteRaw(const std::string& bytes);
  // The entry's data is the part's compressed bytes or, without a part, `data`.
  Status AddEntry(const std::string& name, uint32_t crc, uint64_t size, uint64_t compressed,
                  int64_t unix_time, DeflatePart* part, std::string_view data);
  Status Publish();

  std::string path_;
  std::string temp_path_;  // set when the file system could not make an unnamed file
  FILE* file_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t threshold_ = kZip64Threshold;
  bool used_zip64_ = false;
  bool finished_ = false;
  std::vector<Entry> entries_;
};

}  // namespace arenite::extract
