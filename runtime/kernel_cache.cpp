// The kernel cache: memory (an LRU map by kernel hash), then disk, then the backend.
//
// A disk entry is `<kernel hash>-<key hash>.kobj` in the cache directory: the key hash is a
// 64-bit hash of the full key string (kiln version, cache format, op/dtype tables, kernel
// hash, backend, target, options), and the key string itself is stored in the entry and
// compared on read, so a file name collision can never load the wrong code. Entries of one kernel for other
// targets share the name's prefix, which lets the debug log say why a kernel missed.
//
// Entry layout (integers little-endian):
//   0   magic "KILNOBJ\0"          8 bytes
//   8   format version             u32
//   12  header size (36 + L)       u32
//   16  key length L               u32
//   20  key                        L bytes
//   20+L object size               u64
//   28+L checksum of the object    u64
//   36+L object bytes
// The file size must be exactly header size + object size. Writers publish an entry by
// rename from a unique temporary file in the same directory, so readers (in any process)
// see a whole entry or none. Entries' mtimes record their last use; when the directory
// grows past its bound the least recently used entries are deleted.
#include "runtime/kernel_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <list>
#include <unordered_map>

#include "compiler/ir/error.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"
#include "runtime/profile.hpp"
#include "runtime/stats.hpp"

#ifndef KILN_VERSION
#define KILN_VERSION "unknown"
#endif

namespace kiln {
namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'O', 'B', 'J', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kFixedHeaderBytes = 36;  // header size without the key
constexpr const char* kEntrySuffix = ".kobj";
constexpr int kWritesBetweenScans = 64;      // rescan to see other processes' entries
constexpr int64_t kStaleTempSeconds = 3600;  // temporary files older than this are debris

// A fast 64-bit hash, 8 bytes at a time, with a full avalanche at the end: for file names
// and for detecting corruption, not for adversaries.
uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint64_t hash_bytes(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = mix64(seed ^ (n * 0x9e3779b97f4a7c15ULL));
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ mix64(w)) * 0x9e3779b97f4a7c15ULL;
    h = (h << 31) | (h >> 33);
  }
  uint64_t tail = 0;
  for (size_t j = 0; i + j < n; ++j) tail |= uint64_t{p[i + j]} << (8 * j);
  return mix64(h ^ mix64(tail ^ 0x5851f42d4c957f2dULL));
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

std::string errno_text() { return std::strerror(errno); }

// A hash of the op and dtype tables (their names, in enum order). Kernel hashes mix enum
// numbers, so two builds whose tables differ (an op inserted mid-table renumbers the ones after
// it) must not share disk entries even when their versions agree.
uint64_t tables_fingerprint() {
  static const uint64_t fingerprint = [] {
    std::string names;
    for (int i = 0; i < kNumOps; ++i) names += std::string(op_name(static_cast<Op>(i))) + ",";
    for (int i = 0; i < kNumDTypes; ++i) names += std::string(dtype_name(static_cast<DType>(i))) + ",";
    return hash_bytes(names.data(), names.size(), 0);
  }();
  return fingerprint;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Sets a file's access and modification times to now, with the real clock's resolution
// (the file system's own clock may tick only every few milliseconds, too coarse for LRU).
struct Now {
  timespec times[2];
  Now() {
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[1] = times[0];
  }
};
void touch_fd(int fd) { ::futimens(fd, Now().times); }
void touch_path(const std::string& path) {
  ::utimensat(AT_FDCWD, path.c_str(), Now().times, 0);  // a vanished entry (evicted elsewhere) is fine
}

// Creates `dir` and its missing parents with mode 0700. Returns false with errno set.
bool make_dirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

// The directory to use, or "" (after one warning) when it cannot be created or is unsafe:
// another user, or anyone in the group, could plant code in it that this process would run.
std::string checked_dir(const std::string& dir) {
  if (!make_dirs(dir)) {
    log(LogLevel::Warn, "cannot create the kernel cache directory '{}': {}; caching kernels in memory only", dir,
        errno_text());
    return "";
  }
  struct stat st;
  std::string problem;
  if (::stat(dir.c_str(), &st) != 0)
    problem = errno_text();
  else if (!S_ISDIR(st.st_mode))
    problem = "not a directory";
  else if (st.st_uid != ::geteuid())
    problem = fmt::format("owned by uid {}, not by this user (uid {})", st.st_uid, ::geteuid());
  else if (st.st_mode & (S_IWGRP | S_IWOTH))
    problem = fmt::format("writable by group or others (mode {:04o})", st.st_mode & 07777);
  if (!problem.empty()) {
    log(LogLevel::Warn, "refusing the kernel cache directory '{}': {}; caching kernels in memory only", dir, problem);
    return "";
  }
  return dir;
}

bool iequals(const char* a, const char* b) { return ::strcasecmp(a, b) == 0; }

struct DiskEntry {
  std::string name;
  int64_t bytes;
  timespec mtime;
};

bool older(const DiskEntry& a, const DiskEntry& b) {
  if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
  if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec < b.mtime.tv_nsec;
  return a.name < b.name;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

CacheOptions cache_options_from_env() {
  CacheOptions o;
  const char* dir = std::getenv("KILN_CACHE_DIR");
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (dir)
    o.dir = dir[0] == '\0' || iequals(dir, "off") ? "" : dir;
  else if (xdg && xdg[0] == '/')  // the XDG spec says to ignore relative paths
    o.dir = std::string(xdg) + "/kiln";
  else if (home && home[0] != '\0')
    o.dir = std::string(home) + "/.cache/kiln";
  else
    o.dir = "";
  o.max_disk_bytes = detail::env_size("KILN_CACHE_MAX_BYTES", o.max_disk_bytes, 0);
  return o;
}

struct KernelCache::Impl {
  using KernelPtr = std::shared_ptr<const CompiledKernel>;

  CacheBackend backend;
  CacheOptions options;
  std::string dir;  // "" when memory only

  // The memory cache: kernel hash -> kernel, least recently used last in `lru`.
  struct Slot {
    KernelPtr kernel;
    std::list<uint64_t>::iterator lru;
  };
  std::mutex mutex;
  std::unordered_map<uint64_t, Slot> memory;
  std::list<uint64_t> lru;
  std::unordered_map<uint64_t, std::shared_future<KernelPtr>> in_flight;  // being loaded or compiled

  // The directory's size as last scanned plus what this process wrote since.
  std::mutex disk_mutex;
  int64_t disk_bytes = -1;
  int writes_since_scan = 0;
  bool warned_write = false;

  // `what`: "kernel" (a kernel IR hash) or "unit" (the hash of a unit's whole source).
  std::string key_for(const char* what, uint64_t hash) const {
    return fmt::format("kiln-version {}; format {}; tables {:016x}; {} {:016x}; backend {}; target {}; options {}",
                       KILN_VERSION, kFormatVersion, tables_fingerprint(), what, hash, backend.name,
                       backend.target_id, options.options_key);
  }
  std::string key_for(uint64_t hash, const kernel::Kernel& k) const {
    std::string key = key_for("kernel", hash);
    if (backend.source_key) key += "; source " + backend.source_key(k);
    return key;
  }
  // Loads object bytes through the backend as a kernel.
  KernelPtr load_object(const std::vector<char>& object, const std::string& symbol, uint64_t hash) const {
    if (backend.load_handle) {
      auto [handle, unload] = backend.load_handle(object, symbol);
      return std::make_shared<const CompiledKernel>(handle, hash, std::move(unload));
    }
    auto [fn, unload] = backend.load(object, symbol);
    return std::make_shared<const CompiledKernel>(fn, hash, std::move(unload));
  }
  std::string file_name(uint64_t hash, const std::string& key) const {
    return fmt::format("{:016x}-{:016x}{}", hash, hash_bytes(key.data(), key.size(), hash), kEntrySuffix);
  }

  // What to look up or build: the hash naming it in memory, its symbol, and, needed only on
  // a memory miss, its full key (a backend's source key may generate the whole source) and
  // how to compile it.
  struct Item {
    uint64_t hash;
    std::string symbol;
    std::function<std::string()> key;
    std::function<std::vector<char>()> compile;
  };
  KernelPtr get(const Item& item);
  KernelPtr load_or_compile(const Item& item);
  KernelPtr remember(uint64_t hash, KernelPtr kernel, std::vector<KernelPtr>& evicted);
  std::optional<std::vector<char>> read_entry(const std::string& path, const std::string& key, std::string& why) const;
  void write_entry(const std::string& path, const std::string& key, const std::vector<char>& object);
  void warn_write(const std::string& what);
  std::vector<DiskEntry> scan_dir();
  void account_write(int64_t bytes);
  std::string why_missing(uint64_t hash, const std::string& key, const std::string& name);
};

KernelCache::Impl::KernelPtr KernelCache::Impl::get(const Item& item) {
  const uint64_t hash = item.hash;
  std::promise<KernelPtr> promise;
  {
    std::unique_lock lock(mutex);
    if (auto it = memory.find(hash); it != memory.end()) {
      lru.splice(lru.begin(), lru, it->second.lru);
      detail::count_memory_hit();
      log(LogLevel::Debug, "kernel k{:016x}: memory hit", hash);
      return it->second.kernel;
    }
    if (auto it = in_flight.find(hash); it != in_flight.end()) {
      std::shared_future<KernelPtr> pending = it->second;
      lock.unlock();
      KernelPtr kernel = pending.get();  // rethrows the compile error of the other thread
      detail::count_memory_hit();
      log(LogLevel::Debug, "kernel k{:016x}: memory hit (after waiting for another thread's compile)", hash);
      return kernel;
    }
    in_flight.emplace(hash, promise.get_future().share());
  }
  KernelPtr kernel;
  std::vector<KernelPtr> evicted;  // released after the lock: unloading code takes time
  try {
    kernel = load_or_compile(item);
  } catch (...) {
    std::lock_guard lock(mutex);
    in_flight.erase(hash);
    promise.set_exception(std::current_exception());
    throw;
  }
  std::lock_guard lock(mutex);
  in_flight.erase(hash);
  promise.set_value(kernel);
  return remember(hash, kernel, evicted);
}

// Adds a kernel to the memory cache (mutex held), moving the ones it pushes out to `evicted`.
KernelCache::Impl::KernelPtr KernelCache::Impl::remember(uint64_t hash, KernelPtr kernel,
                                                         std::vector<KernelPtr>& evicted) {
  if (options.memory_capacity <= 0) return kernel;
  lru.push_front(hash);
  memory[hash] = Slot{kernel, lru.begin()};
  while (static_cast<int64_t>(memory.size()) > options.memory_capacity) {
    auto it = memory.find(lru.back());
    evicted.push_back(std::move(it->second.kernel));
    memory.erase(it);
    lru.pop_back();
  }
  return kernel;
}

KernelCache::Impl::KernelPtr KernelCache::Impl::load_or_compile(const Item& item) {
  const uint64_t hash = item.hash;
  const std::string& symbol = item.symbol;
  const std::string key = item.key();
  std::string name = file_name(hash, key);
  std::string path = dir.empty() ? "" : dir + "/" + name;
  std::string why = "new kernel";
  if (!path.empty()) {
    auto t0 = std::chrono::steady_clock::now();
    std::string problem;
    const int64_t start = profiling() ? detail::profile_now_ns() : -1;
    if (std::optional<std::vector<char>> object = read_entry(path, key, problem)) {
      try {
        KernelPtr kernel = load_object(*object, symbol, hash);
        touch_path(path);
        detail::count_disk_hit();
        if (start >= 0)
          detail::profile_event("compile", "disk load " + symbol, start, detail::profile_now_ns(),
                                fmt::format(R"("hash": "{:016x}")", hash));
        log(LogLevel::Debug, "kernel {}: disk hit {} ({:.3f} ms)", symbol, path, ms_since(t0));
        return kernel;
      } catch (const Error& e) {
        problem = fmt::format("it does not load: {}", e.what());
      }
    }
    if (problem.empty())
      why = log_level() >= LogLevel::Debug ? why_missing(hash, key, name) : "not on disk";
    else
      why = fmt::format("disk entry {} ignored: {}", path, problem);
  }
  detail::ProfileScope scope("compile", "compile " + symbol);
  if (scope.active()) scope.set_args(fmt::format(R"("hash": "{:016x}", "why": "{}")", hash, detail::json_escape(why)));
  auto t0 = std::chrono::steady_clock::now();
  std::vector<char> object = item.compile();
  double ms = ms_since(t0);
  detail::count_compile(ms);
  log(LogLevel::Debug, "kernel {}: compiled in {:.3f} ms ({})", symbol, ms, why);
  KernelPtr kernel = load_object(object, symbol, hash);
  if (!path.empty()) write_entry(path, key, object);
  return kernel;
}

// The object bytes of the entry at `path` if it is whole and made for `key`. Otherwise
// nullopt, with `why` empty when there is no entry or saying what is wrong with it.
std::optional<std::vector<char>> KernelCache::Impl::read_entry(const std::string& path, const std::string& key,
                                                               std::string& why) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno != ENOENT) why = fmt::format("cannot open: {}", errno_text());
    return std::nullopt;
  }
  struct stat st;
  std::vector<char> data;
  if (::fstat(fd, &st) != 0) {
    why = fmt::format("cannot stat: {}", errno_text());
  } else if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
  } else {
    data.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < data.size()) {
      ssize_t r = ::read(fd, data.data() + got, data.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    data.resize(got);
  }
  ::close(fd);
  if (!why.empty()) return std::nullopt;

  const char* p = data.data();
  size_t size = data.size();
  if (size < kFixedHeaderBytes) {
    why = fmt::format("truncated ({} bytes)", size);
  } else if (std::memcmp(p, kMagic, sizeof kMagic) != 0) {
    why = "not a kiln cache entry (bad magic)";
  } else if (uint64_t version = get_le(p + 8, 4); version != kFormatVersion) {
    why = fmt::format("format version {} (expected {})", version, kFormatVersion);
  } else if (uint64_t header = get_le(p + 12, 4), key_size = get_le(p + 16, 4);
             header != kFixedHeaderBytes + key_size) {
    why = "malformed header";
  } else if (header > size) {
    why = fmt::format("truncated ({} bytes, header needs {})", size, header);
  } else if (std::string_view(p + 20, key_size) != key) {
    why = fmt::format("key mismatch (entry key '{}')", std::string_view(p + 20, key_size));
  } else if (uint64_t object_size = get_le(p + 20 + key_size, 8); header + object_size != size) {
    why = header + object_size > size ? fmt::format("truncated ({} of {} bytes)", size, header + object_size)
                                      : fmt::format("{} bytes after the object", size - header - object_size);
  } else if (get_le(p + 28 + key_size, 8) != hash_bytes(p + header, object_size, 0)) {
    why = "checksum mismatch";
  } else {
    data.erase(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(header));
    return data;
  }
  return std::nullopt;
}

void KernelCache::Impl::write_entry(const std::string& path, const std::string& key, const std::vector<char>& object) {
  std::string header(kMagic, sizeof kMagic);
  put_le(header, kFormatVersion, 4);
  put_le(header, kFixedHeaderBytes + key.size(), 4);
  put_le(header, key.size(), 4);
  header += key;
  put_le(header, object.size(), 8);
  put_le(header, hash_bytes(object.data(), object.size(), 0), 8);

  std::string temp = fmt::format("{}/.tmp-{}-XXXXXX", dir, ::getpid());
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return warn_write(fmt::format("cannot create a file in {}: {}", dir, errno_text()));
  bool ok = detail::write_all(fd, header.data(), header.size()) && detail::write_all(fd, object.data(), object.size());
  if (ok) touch_fd(fd);
  ok = ok && ::fsync(fd) == 0;
  std::string error = ok ? "" : errno_text();
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno_text();
  }
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    ok = false;
    error = errno_text();
  }
  if (!ok) {
    ::unlink(temp.c_str());
    return warn_write(fmt::format("cannot write {}: {}", path, error));
  }
  log(LogLevel::Debug, "wrote {} ({} bytes)", path, header.size() + object.size());
  account_write(static_cast<int64_t>(header.size() + object.size()));
}

// A failed write costs only a later recompile: warn once per cache, then log at debug level.
void KernelCache::Impl::warn_write(const std::string& what) {
  bool first;
  {
    std::lock_guard lock(disk_mutex);
    first = !warned_write;
    warned_write = true;
  }
  log(first ? LogLevel::Warn : LogLevel::Debug, "kernel cache: {}", what);
}

// The entries in the directory (and, on the way, deletes temporary files left by crashed
// writers). Files that vanish while we look (other processes evicting) are skipped.
std::vector<DiskEntry> KernelCache::Impl::scan_dir() {
  std::vector<DiskEntry> entries;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return entries;
  int fd = ::dirfd(d);
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    bool entry = ends_with(name, kEntrySuffix), temp = name.rfind(".tmp-", 0) == 0;
    struct stat st;
    if ((!entry && !temp) || ::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (entry)
      entries.push_back({name, static_cast<int64_t>(st.st_size), st.st_mtim});
    else if (now.tv_sec - st.st_mtim.tv_sec > kStaleTempSeconds)
      ::unlinkat(fd, e->d_name, 0);
  }
  ::closedir(d);
  return entries;
}

// Adds a written entry to the directory's size and evicts the least recently used entries
// when it is over the bound, down to 90% of it so that eviction does not run on every write.
void KernelCache::Impl::account_write(int64_t bytes) {
  std::lock_guard lock(disk_mutex);
  if (disk_bytes >= 0 && ++writes_since_scan < kWritesBetweenScans) {
    disk_bytes += bytes;
    if (disk_bytes <= options.max_disk_bytes) return;
  }
  std::vector<DiskEntry> entries = scan_dir();
  writes_since_scan = 0;
  disk_bytes = 0;
  for (const DiskEntry& e : entries) disk_bytes += e.bytes;
  if (disk_bytes <= options.max_disk_bytes) return;
  int64_t target = options.max_disk_bytes - options.max_disk_bytes / 10;
  std::sort(entries.begin(), entries.end(), older);
  int removed = 0;
  for (const DiskEntry& e : entries) {
    if (disk_bytes <= target) break;
    std::string path = dir + "/" + e.name;
    if (::unlink(path.c_str()) == 0 || errno == ENOENT) {
      disk_bytes -= e.bytes;
      ++removed;
    }
  }
  log(LogLevel::Debug, "kernel cache: evicted {} least recently used entries; {} bytes left in {}", removed, disk_bytes,
      dir);
}

// Why a kernel has no entry: an entry for the same kernel under another key means another
// target (or options, or kiln version); the debug log names the first field that differs.
std::string KernelCache::Impl::why_missing(uint64_t hash, const std::string& key, const std::string& name) {
  std::string prefix = fmt::format("{:016x}-", hash);
  for (const DiskEntry& e : scan_dir()) {
    if (e.name.rfind(prefix, 0) != 0 || e.name == name) continue;
    std::string problem;
    read_entry(dir + "/" + e.name, key, problem);
    std::string_view other;
    if (auto at = problem.find("entry key '"); at != std::string::npos) {
      other = problem;
      other = other.substr(at + 11, other.size() - at - 13);
    }
    // Compare the "; "-separated fields of both keys.
    std::string_view mine = key;
    while (!mine.empty() && !other.empty()) {
      size_t a = mine.find("; "), b = other.find("; ");
      std::string_view fa = mine.substr(0, a), fb = other.substr(0, b);
      if (fa != fb) {
        std::string_view label = fa.substr(0, fa.find(' '));
        return fmt::format("cached for another {}: {}", label, fb.substr(std::min(fb.size(), label.size() + 1)));
      }
      mine = a == std::string_view::npos ? "" : mine.substr(a + 2);
      other = b == std::string_view::npos ? "" : other.substr(b + 2);
    }
    return fmt::format("cached under another key in {}", e.name);
  }
  return "new kernel";
}

KernelCache::KernelCache(CacheBackend backend, CacheOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->backend = std::move(backend);
  std::string dir = options.dir ? *options.dir : cache_options_from_env().dir.value_or("");
  impl_->options = std::move(options);
  if (!dir.empty()) impl_->dir = checked_dir(dir);
  log(LogLevel::Debug, "kernel cache for {} ({}): {}", impl_->backend.name, impl_->backend.target_id,
      impl_->dir.empty() ? std::string("memory only")
                         : fmt::format("{} (at most {} bytes)", impl_->dir, impl_->options.max_disk_bytes));
}

KernelCache::~KernelCache() = default;

std::shared_ptr<const CompiledKernel> KernelCache::get(const kernel::Kernel& k) {
  const uint64_t hash = kernel::kernel_hash(k);
  std::string symbol = kernel::kernel_symbol(k);
  return impl_->get({hash, symbol, [&] { return impl_->key_for(hash, k); },
                     [&] { return impl_->backend.compile(k, symbol); }});
}

std::shared_ptr<const CompiledKernel> KernelCache::get_unit(const std::string& symbol, const std::string& source,
                                                            const std::function<std::vector<char>()>& compile) {
  const uint64_t hash = hash_bytes(source.data(), source.size(), 0);
  return impl_->get({hash, symbol, [&] { return impl_->key_for("unit", hash); }, compile});
}

const std::string& KernelCache::dir() const { return impl_->dir; }

void KernelCache::clear_memory() {
  std::unordered_map<uint64_t, Impl::Slot> dropped;  // released after the lock
  std::lock_guard lock(impl_->mutex);
  dropped.swap(impl_->memory);
  impl_->lru.clear();
}

}  // namespace kiln
