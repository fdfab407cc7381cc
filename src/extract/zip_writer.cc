#include "extract/zip_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>

namespace arenite::extract {
namespace {

constexpr size_t kChunk = 256 * 1024;
constexpr uint32_t k32 = 0xFFFFFFFFu;

void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

void Put32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void Put64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A file without a name in `dir` (O_TMPFILE), opened for writing and reading back: a process
// killed while writing leaves nothing behind. nullptr where the file system cannot make one.
FILE* OpenUnnamed(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) return nullptr;
  FILE* file = ::fdopen(fd, "w+b");
  if (!file) ::close(fd);
  return file;
}

std::string DirectoryOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

void DosTime(int64_t unix_time, uint16_t* time, uint16_t* date) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  int year = std::max(tm.tm_year + 1900, 1980);
  *time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  *date = static_cast<uint16_t>(((year - 1980) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

}  // namespace

Result<std::unique_ptr<DeflatePart>> DeflatePart::Create(const std::string& temp_path, int level) {
  std::unique_ptr<DeflatePart> part(new DeflatePart());
  part->file_ = OpenUnnamed(DirectoryOf(temp_path));
  if (!part->file_) {
    part->path_ = temp_path;
    part->file_ = std::fopen(temp_path.c_str(), "w+b");
  }
  if (!part->file_) return Internal("cannot create a temporary file for the package");
  if (deflateInit2(&part->zs_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("zlib failed to start");
  }
  part->zs_open_ = true;
  part->crc_ = static_cast<uint32_t>(::crc32(0L, Z_NULL, 0));
  part->out_.resize(kChunk);
  return part;
}

DeflatePart::~DeflatePart() {
  if (zs_open_) deflateEnd(&zs_);
  if (file_) std::fclose(file_);
  if (!path_.empty()) {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
}

Status DeflatePart::CopyTo(FILE* out) {
  if (!finished_) return Internal("a part is copied only once finished");
  if (std::fseek(file_, 0, SEEK_SET) != 0) return Internal("cannot read a compressed part");
  std::string buffer(kChunk, '\0');
  size_t n;
  uint64_t copied = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file_)) > 0) {
    if (std::fwrite(buffer.data(), 1, n, out) != n) {
      return MakeError(503, kErrUnavailable, "cannot write the package (is the disk full?)");
    }
    copied += n;
  }
  if (std::ferror(file_) || copied != compressed_) {
    return Internal("a compressed part changed size");
  }
  return OkStatus();
}

Status DeflatePart::Pump(int flush) {
  do {
    zs_.next_out = out_.data();
    zs_.avail_out = static_cast<uInt>(out_.size());
    int rc = deflate(&zs_, flush);
    if (rc == Z_STREAM_ERROR) return Internal("deflate failed");
    size_t produced = out_.size() - zs_.avail_out;
    if (produced > 0 && std::fwrite(out_.data(), 1, produced, file_) != produced) {
      return MakeError(503, kErrUnavailable, "cannot write the package (is the disk full?)");
    }
    compressed_ += produced;
  } while (zs_.avail_out == 0);
  return OkStatus();
}

Status DeflatePart::Write(std::string_view data) {
  if (finished_) return Internal("write after finish");
  size_ += data.size();
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), 1u << 30);
    crc_ = static_cast<uint32_t>(
        ::crc32(crc_, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n)));
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs_.avail_in = static_cast<uInt>(n);
    ARENITE_RETURN_IF_ERROR(Pump(Z_NO_FLUSH));
    data.remove_prefix(n);
  }
  return OkStatus();
}

Status DeflatePart::AppendDeflated(std::string_view deflated, uint32_t crc, uint64_t raw_size) {
  if (finished_) return Internal("write after finish");
  if (size_ > 0 && !appended_) return Internal("a part takes Write or AppendDeflated, not both");
  appended_ = true;
  crc_ = static_cast<uint32_t>(::crc32_combine(crc_, crc, static_cast<z_off_t>(raw_size)));
  size_ += raw_size;
  if (!deflated.empty() &&
      std::fwrite(deflated.data(), 1, deflated.size(), file_) != deflated.size()) {
    return MakeError(503, kErrUnavailable, "cannot write the package (is the disk full?)");
  }
  compressed_ += deflated.size();
  return OkStatus();
}

Status DeflatePart::Finish() {
  if (finished_) return OkStatus();
  if (!appended_) {
    zs_.next_in = nullptr;
    zs_.avail_in = 0;
    ARENITE_RETURN_IF_ERROR(Pump(Z_FINISH));
  }
  finished_ = true;
  if (std::fflush(file_) != 0) {
    return MakeError(503, kErrUnavailable, "cannot write the package (is the disk full?)");
  }
  return OkStatus();
}

Result<std::unique_ptr<BlockDeflater>> BlockDeflater::Create(int level) {
  std::unique_ptr<BlockDeflater> d(new BlockDeflater());
  if (deflateInit2(&d->zs_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("zlib failed to start");
  }
  d->open_ = true;
  return d;
}

BlockDeflater::~BlockDeflater() {
  if (open_) deflateEnd(&zs_);
}

Status BlockDeflater::Compress(std::string_view dictionary, std::string_view data, bool last,
                               std::string* out) {
  if (deflateReset(&zs_) != Z_OK) return Internal("deflate failed");
  if (dictionary.size() > kWindow) dictionary = dictionary.substr(dictionary.size() - kWindow);
  if (!dictionary.empty() &&
      deflateSetDictionary(&zs_, reinterpret_cast<const Bytef*>(dictionary.data()),
                           static_cast<uInt>(dictionary.size())) != Z_OK) {
    return Internal("deflate failed");
  }
  // A sync flush ends on a byte boundary with an empty stored block; the next chunk's blocks
  // follow it directly.
  out->resize(deflateBound(&zs_, static_cast<uLong>(data.size())) + 64);
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs_.avail_in = static_cast<uInt>(data.size());
  size_t used = 0;
  for (;;) {
    zs_.next_out = reinterpret_cast<Bytef*>(out->data() + used);
    zs_.avail_out = static_cast<uInt>(out->size() - used);
    int rc = deflate(&zs_, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (rc == Z_STREAM_ERROR) return Internal("deflate failed");
    used = out->size() - zs_.avail_out;
    bool done = last ? rc == Z_STREAM_END : zs_.avail_in == 0 && zs_.avail_out > 0;
    if (done) break;
    out->resize(out->size() * 2);
  }
  out->resize(used);
  return OkStatus();
}

Result<std::unique_ptr<ZipWriter>> ZipWriter::Create(const std::string& path,
                                                     uint64_t zip64_threshold) {
  std::unique_ptr<ZipWriter> zip(new ZipWriter());
  zip->path_ = path;
  zip->threshold_ = std::min(zip64_threshold, kZip64Threshold);
  zip->file_ = OpenUnnamed(DirectoryOf(path));
  if (!zip->file_) {
    zip->temp_path_ = path + ".tmp";
    zip->file_ = std::fopen(zip->temp_path_.c_str(), "wb");
  }
  if (!zip->file_) return Internal("cannot create the package file");
  return zip;
}

ZipWriter::~ZipWriter() {
  if (file_) std::fclose(file_);
  if (!finished_ && !temp_path_.empty()) {
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
  }
}

Status ZipWriter::Publish() {
  std::error_code ec;
  std::string staged = temp_path_;
  if (staged.empty()) {
    // The unnamed file gets a name next to its final one, then takes that name at once.
    staged = path_ + ".tmp";
    std::filesystem::remove(staged, ec);
    std::string self = "/proc/self/fd/" + std::to_string(fileno(file_));
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, staged.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      return Internal("cannot name the package file");
    }
  }
  std::filesystem::rename(staged, path_, ec);
  if (ec) {
    std::filesystem::remove(staged, ec);
    return Internal("cannot move the package into place");
  }
  return OkStatus();
}

Status ZipWriter::WriteRaw(const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return MakeError(503, kErrUnavailable, "cannot write the package (is the disk full?)");
  }
  offset_ += bytes.size();
  return OkStatus();
}

Status ZipWriter::AddEntry(const std::string& name, uint32_t crc, uint64_t size,
                           uint64_t compressed, int64_t unix_time, DeflatePart* part,
                           std::string_view data) {
  Entry e{name, crc, size, compressed, offset_, 0, 0};
  DosTime(unix_time, &e.dos_time, &e.dos_date);
  bool zip64 = size >= threshold_ || compressed >= threshold_;
  used_zip64_ = used_zip64_ || zip64;

  std::string header;
  Put32(header, 0x04034b50);
  Put16(header, zip64 ? 45 : 20);
  Put16(header, 0x0800);  // names are UTF-8
  Put16(header, 8);       // deflate
  Put16(header, e.dos_time);
  Put16(header, e.dos_date);
  Put32(header, crc);
  Put32(header, zip64 ? k32 : static_cast<uint32_t>(compressed));
  Put32(header, zip64 ? k32 : static_cast<uint32_t>(size));
  Put16(header, static_cast<uint16_t>(name.size()));
  Put16(header, zip64 ? 20 : 0);
  header += name;
  if (zip64) {
    Put16(header, 0x0001);
    Put16(header, 16);
    Put64(header, size);
    Put64(header, compressed);
  }
  ARENITE_RETURN_IF_ERROR(WriteRaw(header));

  if (part) {
    ARENITE_RETURN_IF_ERROR(part->CopyTo(file_));
    offset_ += compressed;
  } else {
    ARENITE_RETURN_IF_ERROR(WriteRaw(std::string(data)));
  }
  entries_.push_back(std::move(e));
  return OkStatus();
}

Status ZipWriter::AddPart(const std::string& name, DeflatePart& part, int64_t unix_time) {
  return AddEntry(name, part.crc32(), part.size(), part.compressed_size(), unix_time, &part, {});
}

Status ZipWriter::AddBytes(const std::string& name, std::string_view data, int64_t unix_time) {
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  std::string out(bound, '\0');
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("zlib failed to start");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Internal("deflate failed");
  out.resize(produced);
  uint32_t crc = static_cast<uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
  return AddEntry(name, crc, data.size(), out.size(), unix_time, nullptr, out);
}

Status ZipWriter::Finish() {
  uint64_t cd_offset = offset_;
  std::string cd;
  for (const Entry& e : entries_) {
    bool big_size = e.size >= threshold_ || e.compressed >= threshold_;
    bool big_offset = e.offset >= threshold_;
    std::string extra;
    if (big_size) {
      Put64(extra, e.size);
      Put64(extra, e.compressed);
    }
    if (big_offset) Put64(extra, e.offset);
    std::string zip64_extra;
    if (!extra.empty()) {
      Put16(zip64_extra, 0x0001);
      Put16(zip64_extra, static_cast<uint16_t>(extra.size()));
      zip64_extra += extra;
      used_zip64_ = true;
    }
    uint16_t needed = zip64_extra.empty() ? 20 : 45;
    Put32(cd, 0x02014b50);
    Put16(cd, static_cast<uint16_t>((3 << 8) | 45));  // made by: Unix, spec 4.5
    Put16(cd, needed);
    Put16(cd, 0x0800);
    Put16(cd, 8);
    Put16(cd, e.dos_time);
    Put16(cd, e.dos_date);
    Put32(cd, e.crc);
    Put32(cd, big_size ? k32 : static_cast<uint32_t>(e.compressed));
    Put32(cd, big_size ? k32 : static_cast<uint32_t>(e.size));
    Put16(cd, static_cast<uint16_t>(e.name.size()));
    Put16(cd, static_cast<uint16_t>(zip64_extra.size()));
    Put16(cd, 0);  // comment
    Put16(cd, 0);  // disk
    Put16(cd, 0);  // internal attributes
    Put32(cd, 0100644u << 16);
    Put32(cd, big_offset ? k32 : static_cast<uint32_t>(e.offset));
    cd += e.name;
    cd += zip64_extra;
  }
  ARENITE_RETURN_IF_ERROR(WriteRaw(cd));
  uint64_t cd_size = cd.size();
  uint64_t count = entries_.size();
  bool zip64_end =
      count >= 0xFFFF || cd_offset >= threshold_ || cd_size >= threshold_ || used_zip64_;

  std::string end;
  if (zip64_end) {
    uint64_t zip64_end_offset = offset_;
    Put32(end, 0x06064b50);
    Put64(end, 44);
    Put16(end, static_cast<uint16_t>((3 << 8) | 45));
    Put16(end, 45);
    Put32(end, 0);
    Put32(end, 0);
    Put64(end, count);
    Put64(end, count);
    Put64(end, cd_size);
    Put64(end, cd_offset);
    Put32(end, 0x07064b50);
    Put32(end, 0);
    Put64(end, zip64_end_offset);
    Put32(end, 1);
  }
  Put32(end, 0x06054b50);
  Put16(end, 0);
  Put16(end, 0);
  Put16(end, count >= 0xFFFF ? 0xFFFF : static_cast<uint16_t>(count));
  Put16(end, count >= 0xFFFF ? 0xFFFF : static_cast<uint16_t>(count));
  Put32(end, cd_size >= threshold_ ? k32 : static_cast<uint32_t>(cd_size));
  Put32(end, cd_offset >= threshold_ ? k32 : static_cast<uint32_t>(cd_offset));
  Put16(end, 0);
  ARENITE_RETURN_IF_ERROR(WriteRaw(end));
  if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0) {
    return MakeError(503, kErrUnavailable, "cannot write the package (is the disk full?)");
  }
  ARENITE_RETURN_IF_ERROR(Publish());
  std::fclose(file_);
  file_ = nullptr;
  finished_ = true;
  return OkStatus();
}

}  // namespace arenite::extract
