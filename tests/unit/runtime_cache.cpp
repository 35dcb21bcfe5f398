// The kernel cache with a fake backend: compile returns bytes naming the target, the symbol
// and the kernel (plus padding), load checks them and returns one of a table of real
// functions, each writing its own number, so every result says which code ran. Covers the
// memory cache, the disk cache across caches and processes, damaged and foreign entries,
// unsafe directories, LRU eviction on disk and in memory, and concurrent use.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "compiler/ir/error.hpp"
#include "runtime/kernel_cache.hpp"
#include "runtime/log.hpp"
#include "runtime/stats.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

constexpr int kKernels = 16;
constexpr size_t kPadding = 1000;  // object bytes beyond the identifying text

std::atomic<int> g_compiles{0};
std::atomic<int> g_loads{0};
std::atomic<int> g_unloads{0};
std::atomic<bool> g_emit_marked{false};    // compile marks its objects "MARKED"
std::atomic<bool> g_reject_marked{false};  // load throws for marked objects

template <int I>
void numbered_kernel(void* const* buffers, const int64_t*, const uint64_t*, int64_t, int64_t) {
  *static_cast<int64_t*>(buffers[0]) = 1000 + I;
}

template <int... I>
constexpr std::array<kernel::KernelFn, sizeof...(I)> make_table(std::integer_sequence<int, I...>) {
  return {numbered_kernel<I>...};
}
constexpr auto kTable = make_table(std::make_integer_sequence<int, kKernels>());

// Kernel number `id` (its identity for the stand-in or real kernel_hash: the dim count).
kernel::Kernel make_kernel(int id) {
  kernel::Kernel k;
  k.num_dims = id;
  return k;
}

CacheBackend fake_backend(const std::string& target = "fake-cpu-1") {
  CacheBackend b;
  b.name = "fake";
  b.target_id = target;
  b.compile = [target](const kernel::Kernel& k, const std::string& symbol) {
    g_compiles.fetch_add(1);
    std::string text =
        fmt::format("FAKEOBJ {} {} {} {} ", target, symbol, k.num_dims, g_emit_marked.load() ? "MARKED" : "plain");
    text += std::string(kPadding, 'p');
    return std::vector<char>(text.begin(), text.end());
  };
  b.load = [target](const std::vector<char>& object,
                    const std::string& symbol) -> std::pair<kernel::KernelFn, std::function<void()>> {
    std::string text(object.begin(), object.end());
    char obj_target[64] = {}, obj_symbol[64] = {}, mark[16] = {};
    int id = -1;
    if (std::sscanf(text.c_str(), "FAKEOBJ %63s %63s %d %15s", obj_target, obj_symbol, &id, mark) != 4 ||
        obj_target != target || obj_symbol != symbol || id < 0 || id >= kKernels)
      throw RuntimeError("fake backend: not an object for " + symbol + " on " + target);
    if (g_reject_marked.load() && std::string(mark) == "MARKED")
      throw RuntimeError("fake backend: refusing a marked object");
    g_loads.fetch_add(1);
    return {kTable[static_cast<size_t>(id)], [] { g_unloads.fetch_add(1); }};
  };
  return b;
}

CacheOptions on_disk(const std::string& dir, int64_t max_bytes = int64_t{1} << 30) {
  CacheOptions o;
  o.dir = dir;
  o.max_disk_bytes = max_bytes;
  return o;
}

CacheOptions memory_only(int64_t capacity = 4096) {
  CacheOptions o;
  o.dir = "";
  o.memory_capacity = capacity;
  return o;
}

int64_t run(const CompiledKernel& k) {
  int64_t out = -1;
  void* buffers[] = {&out};
  k.fn()(buffers, nullptr, nullptr, 0, 1);
  return out;
}

// The entry files of kernel `id` in `dir`.
std::vector<fs::path> entries_of(const std::string& dir, int id) {
  std::string prefix = fmt::format("{:016x}-", kernel::kernel_hash(make_kernel(id)));
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path());
  return found;
}

fs::path entry_of(const std::string& dir, int id) {
  auto found = entries_of(dir, id);
  REQUIRE(found.size() == 1);
  return found[0];
}

int64_t dir_bytes(const std::string& dir) {
  int64_t total = 0;
  for (const auto& e : fs::directory_iterator(dir)) total += static_cast<int64_t>(e.file_size());
  return total;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Child modes. "cache-once": one cache on $KILN_TEST_CACHE_DIR gets kernels 0..7 and prints
// what it did. "cache-stress": 50 runs, each a fresh cache on that directory (small disk
// bound, so entries are evicted while other processes read them) getting all kernels in a
// run-dependent order and checking every result; exits 1 on a wrong result.
int child_main(const std::string& mode) {
  std::string dir = std::getenv("KILN_TEST_CACHE_DIR");
  if (mode == "cache-once") {
    KernelCache cache(fake_backend(), on_disk(dir));
    int ok = 0;
    for (int id = 0; id < 8; ++id) ok += run(*cache.get(make_kernel(id))) == 1000 + id;
    Stats s = stats();
    std::printf("ok=%d compiled=%lld disk_hits=%lld\n", ok, static_cast<long long>(s.kernels_compiled),
                static_cast<long long>(s.disk_hits));
    return 0;
  }
  if (mode == "cache-stress") {
    int seed = std::atoi(std::getenv("KILN_TEST_SEED"));
    for (int r = 0; r < 50; ++r) {
      CacheOptions o = on_disk(dir, 6 * 1200);
      o.memory_capacity = 4;
      KernelCache cache(fake_backend(), o);
      for (int j = 0; j < kKernels; ++j) {
        int id = (j * 5 + r + seed) % kKernels;
        if (run(*cache.get(make_kernel(id))) != 1000 + id) {
          std::printf("wrong result for kernel %d in run %d\n", id, r);
          return 1;
        }
      }
    }
    Stats s = stats();
    std::printf("compiled=%lld disk_hits=%lld\n", static_cast<long long>(s.kernels_compiled),
                static_cast<long long>(s.disk_hits));
    return 0;
  }
  return 2;
}

const int kChild = [] {
  if (const char* mode = test::child_mode()) std::exit(child_main(mode));
  return 0;
}();

// Runs `body` with the log level at debug and returns what it logged.
template <class F>
std::string debug_log_of(F&& body) {
  LogLevel before = log_level();
  set_log_level(LogLevel::Debug);
  std::string text;
  {
    test::CaptureStderr capture;
    body();
    text = capture.text();
  }
  set_log_level(before);
  return text;
}

}  // namespace

TEST_CASE("a second get of a kernel hits the memory cache") {
  KernelCache cache(fake_backend(), memory_only());
  CHECK(cache.dir().empty());
  int compiles = g_compiles.load();
  Stats before = stats();
  auto a = cache.get(make_kernel(3));
  auto b = cache.get(make_kernel(3));
  CHECK(a == b);
  CHECK(run(*a) == 1003);
  CHECK(a->hash() == kernel::kernel_hash(make_kernel(3)));
  CHECK(g_compiles.load() == compiles + 1);
  Stats after = stats();
  CHECK(after.kernels_compiled == before.kernels_compiled + 1);
  CHECK(after.memory_hits == before.memory_hits + 1);
  CHECK(after.disk_hits == before.disk_hits);
  CHECK(after.compile_ms >= before.compile_ms);
  CHECK(run(*cache.get(make_kernel(4))) == 1004);
}

TEST_CASE("a new cache on the same directory loads entries from disk") {
  test::TempDir tmp;
  std::string dir = tmp.path() + "/nested/cache";  // created with its parents, 0700
  {
    KernelCache first(fake_backend(), on_disk(dir));
    CHECK(first.dir() == dir);
    for (int id = 0; id < 4; ++id) CHECK(run(*first.get(make_kernel(id))) == 1000 + id);
  }
  struct stat st;
  REQUIRE(stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(stat((tmp.path() + "/nested").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(stat(entry_of(dir, 2).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  int compiles = g_compiles.load();
  Stats before = stats();
  KernelCache second(fake_backend(), on_disk(dir));
  for (int id = 0; id < 4; ++id) CHECK(run(*second.get(make_kernel(id))) == 1000 + id);
  CHECK(g_compiles.load() == compiles);
  CHECK(stats().disk_hits == before.disk_hits + 4);
  CHECK(stats().kernels_compiled == before.kernels_compiled);
}

TEST_CASE("a unit named by its source (a backend's own routine) is cached in memory and on disk") {
  test::TempDir tmp;
  int unit_compiles = 0;
  // The unit's object: what the fake backend loads as kernel `id`.
  auto compile_as = [&](int id) {
    return [&unit_compiles, id] {
      ++unit_compiles;
      std::string text = fmt::format("FAKEOBJ fake-cpu-1 routine {} plain ", id) + std::string(kPadding, 'p');
      return std::vector<char>(text.begin(), text.end());
    };
  };
  const std::string source = "routine v1: some code";
  {
    KernelCache cache(fake_backend(), on_disk(tmp.path()));
    auto a = cache.get_unit("routine", source, compile_as(7));
    auto b = cache.get_unit("routine", source, compile_as(7));
    CHECK(a == b);
    CHECK(run(*a) == 1007);
    CHECK(unit_compiles == 1);
  }
  Stats before = stats();
  KernelCache second(fake_backend(), on_disk(tmp.path()));
  CHECK(run(*second.get_unit("routine", source, compile_as(7))) == 1007);
  CHECK(unit_compiles == 1);
  CHECK(stats().disk_hits == before.disk_hits + 1);
  // Other source text is another unit.
  CHECK(run(*second.get_unit("routine", source + " changed", compile_as(9))) == 1009);
  CHECK(unit_compiles == 2);
}

TEST_CASE("another process loads the entries this one wrote") {
  test::TempDir tmp;
  {
    KernelCache cache(fake_backend(), on_disk(tmp.path()));
    for (int id = 0; id < 8; ++id) cache.get(make_kernel(id));
  }
  auto r = test::run_self("cache-once", {"KILN_TEST_CACHE_DIR=" + tmp.path()});
  CHECK(r.status == 0);
  CHECK(r.output == "ok=8 compiled=0 disk_hits=8\n");
  // And a process on an empty directory compiles everything.
  test::TempDir empty;
  auto fresh = test::run_self("cache-once", {"KILN_TEST_CACHE_DIR=" + empty.path()});
  CHECK(fresh.output == "ok=8 compiled=8 disk_hits=0\n");
}

TEST_CASE("damaged or foreign entries are ignored, recompiled and replaced") {
  struct Damage {
    const char* name;
    const char* reason;  // what the debug log must say
    std::function<std::string(const std::string& entry, const std::string& other)> apply;
  };
  std::vector<Damage> damages = {
      {"truncated to half", "truncated", [](auto& e, auto&) { return e.substr(0, e.size() / 2); }},
      {"truncated in the header", "truncated", [](auto& e, auto&) { return e.substr(0, 10); }},
      {"truncated by one byte", "truncated", [](auto& e, auto&) { return e.substr(0, e.size() - 1); }},
      {"zero bytes", "truncated (0 bytes)", [](auto&, auto&) { return std::string(); }},
      {"one bit flipped in the object", "checksum mismatch",
       [](auto& e, auto&) {
         std::string d = e;
         d[d.size() - 10] ^= 0x04;
         return d;
       }},
      {"bytes appended", "bytes after the object", [](auto& e, auto&) { return e + "junk"; }},
      {"another format version", "format version 7",
       [](auto& e, auto&) {
         std::string d = e;
         d[8] = 7;
         return d;
       }},
      {"a key byte changed", "key mismatch",
       [](auto& e, auto&) {
         std::string d = e;
         d[24] ^= 0x01;
         return d;
       }},
      {"another kernel's whole entry (a file name collision)", "key mismatch", [](auto&, auto& o) { return o; }},
      {"not a cache entry", "bad magic", [](auto& e, auto&) { return std::string(e.size(), 'z'); }},
  };
  for (const Damage& damage : damages) {
    CAPTURE(damage.name);
    test::TempDir tmp;
    {
      KernelCache cache(fake_backend(), on_disk(tmp.path()));
      cache.get(make_kernel(5));
      cache.get(make_kernel(6));
    }
    fs::path entry = entry_of(tmp.path(), 5);
    std::string good = read_file(entry);
    write_file(entry, damage.apply(good, read_file(entry_of(tmp.path(), 6))));

    int compiles = g_compiles.load();
    std::string log = debug_log_of([&] {
      KernelCache cache(fake_backend(), on_disk(tmp.path()));
      CHECK(run(*cache.get(make_kernel(5))) == 1005);
    });
    CHECK(g_compiles.load() == compiles + 1);
    CHECK_MESSAGE(log.find(damage.reason) != std::string::npos, log);
    CHECK(read_file(entry) == good);  // replaced by a whole entry again

    Stats before = stats();
    KernelCache again(fake_backend(), on_disk(tmp.path()));
    CHECK(run(*again.get(make_kernel(5))) == 1005);
    CHECK(stats().disk_hits == before.disk_hits + 1);
    CHECK(g_compiles.load() == compiles + 1);
  }
}

TEST_CASE("an entry the backend cannot load is treated as corrupt and rebuilt") {
  test::TempDir tmp;
  g_emit_marked = true;
  {
    KernelCache cache(fake_backend(), on_disk(tmp.path()));
    CHECK(run(*cache.get(make_kernel(7))) == 1007);
  }
  g_emit_marked = false;
  g_reject_marked = true;
  int compiles = g_compiles.load();
  std::string log = debug_log_of([&] {
    KernelCache cache(fake_backend(), on_disk(tmp.path()));
    CHECK(run(*cache.get(make_kernel(7))) == 1007);
  });
  CHECK(g_compiles.load() == compiles + 1);
  CHECK_MESSAGE(log.find("does not load: fake backend: refusing a marked object") != std::string::npos, log);
  CHECK(read_file(entry_of(tmp.path(), 7)).find("MARKED") == std::string::npos);
  g_reject_marked = false;
}

TEST_CASE("a kernel compiled for another target is compiled again, and the log says why") {
  test::TempDir tmp;
  {
    KernelCache cache(fake_backend("fake-cpu-1"), on_disk(tmp.path()));
    cache.get(make_kernel(9));
  }
  int compiles = g_compiles.load();
  std::string log = debug_log_of([&] {
    KernelCache cache(fake_backend("fake-cpu-2"), on_disk(tmp.path()));
    CHECK(run(*cache.get(make_kernel(9))) == 1009);
    CHECK(run(*cache.get(make_kernel(10))) == 1010);
  });
  CHECK(g_compiles.load() == compiles + 2);
  CHECK_MESSAGE(log.find("(cached for another target: fake-cpu-1)") != std::string::npos, log);
  CHECK_MESSAGE(log.find(fmt::format("{}: compiled in", kernel::kernel_symbol(make_kernel(10)))) != std::string::npos,
                log);
  CHECK_MESSAGE(log.find("(new kernel)") != std::string::npos, log);
  CHECK(entries_of(tmp.path(), 9).size() == 2);  // one entry per target
  // Both targets' entries are used from now on.
  Stats before = stats();
  KernelCache one(fake_backend("fake-cpu-1"), on_disk(tmp.path()));
  KernelCache two(fake_backend("fake-cpu-2"), on_disk(tmp.path()));
  CHECK(run(*one.get(make_kernel(9))) == 1009);
  CHECK(run(*two.get(make_kernel(9))) == 1009);
  CHECK(stats().disk_hits == before.disk_hits + 2);
}

TEST_CASE("options change the key") {
  test::TempDir tmp;
  CacheOptions o3 = on_disk(tmp.path()), o0 = on_disk(tmp.path());
  o3.options_key = "O3";
  o0.options_key = "O0";
  int compiles = g_compiles.load();
  KernelCache(fake_backend(), o3).get(make_kernel(1));
  KernelCache(fake_backend(), o0).get(make_kernel(1));
  KernelCache(fake_backend(), o3).get(make_kernel(1));
  CHECK(g_compiles.load() == compiles + 2);
}

TEST_CASE("an unsafe cache directory is refused with one warning, and the cache works in memory") {
  if (geteuid() == 0) MESSAGE("running as root: also testing a directory owned by another user");
  test::TempDir tmp;
  std::vector<std::pair<std::string, std::string>> cases;  // dir, expected problem
  std::string world = tmp.path() + "/world";
  mkdir(world.c_str(), 0700);
  chmod(world.c_str(), 0777);
  cases.push_back({world, "writable by group or others (mode 0777)"});
  std::string group = tmp.path() + "/group";
  mkdir(group.c_str(), 0700);
  chmod(group.c_str(), 0770);
  cases.push_back({group, "writable by group or others (mode 0770)"});
  std::string file = tmp.path() + "/file";
  write_file(file, "x");
  cases.push_back({file, "not a directory"});
  if (geteuid() == 0) {
    std::string other = tmp.path() + "/other";
    mkdir(other.c_str(), 0700);
    REQUIRE(chown(other.c_str(), 65534, 65534) == 0);
    cases.push_back({other, "owned by uid 65534"});
  }
  for (const auto& [dir, problem] : cases) {
    CAPTURE(dir);
    LogLevel before = log_level();
    set_log_level(LogLevel::Warn);
    std::string log;
    {
      test::CaptureStderr capture;
      KernelCache cache(fake_backend(), on_disk(dir));
      CHECK(cache.dir().empty());
      int compiles = g_compiles.load();
      CHECK(run(*cache.get(make_kernel(2))) == 1002);
      CHECK(run(*cache.get(make_kernel(2))) == 1002);
      CHECK(g_compiles.load() == compiles + 1);
      log = capture.text();
    }
    set_log_level(before);
    CHECK_MESSAGE(test::count_of(log, "kiln: warning: ") == 1, log);
    CHECK_MESSAGE(log.find(problem) != std::string::npos, log);
    CHECK_MESSAGE(log.find("memory only") != std::string::npos, log);
    if (fs::is_directory(dir)) CHECK(fs::is_empty(dir));
  }
}

TEST_CASE("the cache settings come from the environment") {
  struct SavedEnv {
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    void set(const char* name, const char* value) {
      const char* old = std::getenv(name);
      saved.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
      if (value)
        setenv(name, value, 1);
      else
        unsetenv(name);
    }
    ~SavedEnv() {
      for (auto it = saved.rbegin(); it != saved.rend(); ++it)
        if (it->second)
          setenv(it->first.c_str(), it->second->c_str(), 1);
        else
          unsetenv(it->first.c_str());
    }
  } env;
  env.set("HOME", "/home/someone");
  env.set("XDG_CACHE_HOME", nullptr);
  env.set("KILN_CACHE_DIR", nullptr);
  env.set("KILN_CACHE_MAX_BYTES", nullptr);
  CHECK(cache_options_from_env().dir == "/home/someone/.cache/kiln");
  CHECK(cache_options_from_env().max_disk_bytes == int64_t{1} << 30);
  env.set("XDG_CACHE_HOME", "/xdg");
  CHECK(cache_options_from_env().dir == "/xdg/kiln");
  env.set("XDG_CACHE_HOME", "relative/path");  // ignored, as the XDG spec says
  CHECK(cache_options_from_env().dir == "/home/someone/.cache/kiln");
  env.set("KILN_CACHE_DIR", "/some/dir");
  CHECK(cache_options_from_env().dir == "/some/dir");
  env.set("KILN_CACHE_DIR", "OFF");
  CHECK(cache_options_from_env().dir == "");
  env.set("KILN_CACHE_DIR", "");
  CHECK(cache_options_from_env().dir == "");
  env.set("KILN_CACHE_MAX_BYTES", "256M");
  CHECK(cache_options_from_env().max_disk_bytes == int64_t{256} << 20);

  env.set("KILN_CACHE_MAX_BYTES", "lots");
  LogLevel before = log_level();
  set_log_level(LogLevel::Warn);
  std::string log;
  {
    test::CaptureStderr capture;
    CHECK(cache_options_from_env().max_disk_bytes == int64_t{1} << 30);
    log = capture.text();
  }
  set_log_level(before);
  CHECK(test::count_of(log, "kiln: warning: KILN_CACHE_MAX_BYTES='lots'") == 1);
}

TEST_CASE("the disk cache stays under its bound by evicting the least recently used entries") {
  test::TempDir tmp;
  int64_t entry_bytes;
  {
    KernelCache probe(fake_backend(), on_disk(tmp.path()));
    probe.get(make_kernel(0));
    entry_bytes = static_cast<int64_t>(fs::file_size(entry_of(tmp.path(), 0)));
  }
  int64_t max = entry_bytes * 7 / 2;  // room for three entries
  {
    KernelCache a(fake_backend(), on_disk(tmp.path(), max));
    a.get(make_kernel(1));
    a.get(make_kernel(2));
  }
  CHECK(dir_bytes(tmp.path()) == 3 * entry_bytes);
  {
    KernelCache b(fake_backend(), on_disk(tmp.path(), max));
    b.get(make_kernel(0));  // a disk hit: kernel 0 becomes the most recently used
    b.get(make_kernel(3));  // the fourth entry: the least recently used (kernel 1) goes
  }
  CHECK(dir_bytes(tmp.path()) <= max);
  CHECK(entries_of(tmp.path(), 1).empty());
  CHECK(entries_of(tmp.path(), 0).size() == 1);
  CHECK(entries_of(tmp.path(), 2).size() == 1);
  CHECK(entries_of(tmp.path(), 3).size() == 1);
  KernelCache c(fake_backend(), on_disk(tmp.path(), max));
  for (int id = 4; id < kKernels; ++id) {
    CHECK(run(*c.get(make_kernel(id))) == 1000 + id);
    CHECK(dir_bytes(tmp.path()) <= max);
    CHECK(entries_of(tmp.path(), id).size() == 1);  // the newest entry always stays
  }
}

TEST_CASE("the memory cache holds at most memory_capacity kernels and unloads evicted ones") {
  KernelCache cache(fake_backend(), memory_only(2));
  int unloads = g_unloads.load(), compiles = g_compiles.load();
  cache.get(make_kernel(1));
  cache.get(make_kernel(2));
  cache.get(make_kernel(1));  // kernel 2 is now the least recently used
  CHECK(g_unloads.load() == unloads);
  cache.get(make_kernel(3));
  CHECK(g_unloads.load() == unloads + 1);  // kernel 2 evicted and unloaded
  CHECK(g_compiles.load() == compiles + 3);
  cache.get(make_kernel(1));  // still cached
  CHECK(g_compiles.load() == compiles + 3);

  auto held = cache.get(make_kernel(4));  // evicts kernel 3
  CHECK(g_unloads.load() == unloads + 2);
  cache.get(make_kernel(5));  // evicts kernel 1
  cache.get(make_kernel(6));  // evicts kernel 4, which stays loaded while held
  CHECK(g_unloads.load() == unloads + 3);
  CHECK(run(*held) == 1004);
  held.reset();
  CHECK(g_unloads.load() == unloads + 4);

  auto in_use = cache.get(make_kernel(6));
  cache.clear_memory();  // kernel 5 unloads; kernel 6 stays until released
  CHECK(g_unloads.load() == unloads + 5);
  CHECK(run(*in_use) == 1006);
  in_use.reset();
  CHECK(g_unloads.load() == unloads + 6);
  cache.get(make_kernel(5));
  CHECK(g_compiles.load() == compiles + 7);
}

TEST_CASE("a compile error reaches the caller and is not cached") {
  CacheBackend failing = fake_backend();
  std::atomic<int> calls{0};
  auto compile = failing.compile;
  failing.compile = [&](const kernel::Kernel& k, const std::string& symbol) {
    if (calls.fetch_add(1) == 0) throw RuntimeError("fake compile failure");
    return compile(k, symbol);
  };
  test::TempDir tmp;
  KernelCache cache(failing, on_disk(tmp.path()));
  CHECK_THROWS_WITH_AS(cache.get(make_kernel(8)), "fake compile failure", RuntimeError);
  CHECK(fs::is_empty(tmp.path()));
  CHECK(run(*cache.get(make_kernel(8))) == 1008);
  CHECK(calls.load() == 2);
}

TEST_CASE("threads getting the same kernel at once compile it once") {
  test::TempDir tmp;
  CacheBackend slow = fake_backend();
  auto compile = slow.compile;
  slow.compile = [compile](const kernel::Kernel& k, const std::string& symbol) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // so that the others arrive meanwhile
    return compile(k, symbol);
  };
  KernelCache cache(slow, on_disk(tmp.path()));
  int compiles = g_compiles.load();
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<const CompiledKernel>> got(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] { got[static_cast<size_t>(t)] = cache.get(make_kernel(11)); });
  for (auto& t : threads) t.join();
  CHECK(g_compiles.load() == compiles + 1);
  for (auto& k : got) CHECK(k == got[0]);
  CHECK(run(*got[0]) == 1011);
}

TEST_CASE("8 threads getting many kernels through a small memory cache all get the right code") {
  test::TempDir tmp;
  CacheOptions o = on_disk(tmp.path(), 8 * 1200);
  o.memory_capacity = 3;
  KernelCache cache(fake_backend(), o);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        int id = (i * 7 + t * 3) % kKernels;
        if (run(*cache.get(make_kernel(id))) != 1000 + id) wrong.fetch_add(1);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(wrong.load() == 0);
  CHECK(dir_bytes(tmp.path()) <= 8 * 1200);
}

TEST_CASE("4 processes x 50 runs sharing one directory all get the right code") {
  test::TempDir tmp;
  std::vector<test::Child> children;
  for (int p = 0; p < 4; ++p)
    children.push_back(test::start_self(
        "cache-stress", {"KILN_TEST_CACHE_DIR=" + tmp.path(), "KILN_TEST_SEED=" + std::to_string(p * 3)}));
  int disk_hits = 0;
  for (auto& c : children) {
    auto r = test::finish(c);
    CHECK_MESSAGE(r.status == 0, r.output);
    long long compiled = 0, hits = 0;
    CHECK(std::sscanf(r.output.c_str(), "compiled=%lld disk_hits=%lld", &compiled, &hits) == 2);
    disk_hits += static_cast<int>(hits);
  }
  CHECK(disk_hits > 0);
  // No temporary file is left behind, the bound holds, and every entry left is whole.
  for (const auto& e : fs::directory_iterator(tmp.path()))
    CHECK_MESSAGE(e.path().extension() == ".kobj", e.path().string());
  CHECK(dir_bytes(tmp.path()) <= 6 * 1200);
  std::string log = debug_log_of([&] {
    KernelCache cache(fake_backend(), on_disk(tmp.path(), 6 * 1200));
    for (int id = 0; id < kKernels; ++id)
      if (!entries_of(tmp.path(), id).empty()) CHECK(run(*cache.get(make_kernel(id))) == 1000 + id);
  });
  CHECK_MESSAGE(log.find("ignored") == std::string::npos, log);
  CHECK_MESSAGE(log.find("compiled") == std::string::npos, log);
}
