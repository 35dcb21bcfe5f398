// Small pieces of kiln-bench that are not about kiln: a clock, medians, aligned host
// buffers with deterministic random contents, the result check, the machine description and
// running this program again as a child with extra environment variables.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kiln::bench {

double now_ms();
double median(std::vector<double> v);

// A 64-byte aligned float array (freed with std::free).
struct FloatBuffer {
  std::unique_ptr<float, void (*)(void*)> data{nullptr, nullptr};
  int64_t size = 0;
  float* get() const { return data.get(); }
};
// n floats, uniform in [lo, hi), from a fixed seed; the pages are touched.
FloatBuffer random_floats(int64_t n, float lo, float hi, uint64_t seed);
// n floats, all pages touched (zeros).
FloatBuffer zero_floats(int64_t n);

// Compares kiln's result with the reference: element i passes when
// |got - want| <= atol + rtol * |want| (NaN only matches NaN).
struct Check {
  bool ok = true;
  double max_err = 0;  // largest |got - want|
};
Check compare(const float* got, const float* want, int64_t n, double atol, double rtol);
Check compare_scalar(double got, double want, double atol, double rtol);

// "AMD EPYC 9R14", physical cores and logical CPUs of this machine (from /proc/cpuinfo).
struct Machine {
  std::string cpu;
  int cores = 0;
  int cpus = 0;
};
Machine machine();

// Runs this executable (/proc/self/exe) with `args` and `env` added to the environment
// (replacing variables of the same names); returns its standard output. Throws
// std::runtime_error when it cannot start or does not exit with status 0.
std::string run_self(const std::vector<std::string>& args, const std::map<std::string, std::string>& env);

// The `key=value` fields of the first line of `text` that starts with `tag` (space separated).
std::map<std::string, std::string> parse_fields(const std::string& text, const std::string& tag);

// A new private temporary directory (under $TMPDIR or /tmp); removed with its contents
// when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace kiln::bench
