// kiln-bench: fixed workloads run through kiln and through the hand-written reference of
// reference.cpp in the same process, one line per workload:
//
//   W1 n=16777216 kiln_ms=<median> ref_ms=<median> ratio=<ref_ms/kiln_ms> gbps=<...> check=ok
//   C1 cold_ms=<...> disk_ms=<...> ...
//
// Each workload is warmed up, then timed N times (the median is printed). A kiln run is what a
// user waits for: building the graph from already evaluated inputs, evaluating, and the result
// being ready when eval() returns. Every workload's result is checked against the reference,
// so a wrong but fast kernel shows `check=FAIL` (and the exit status is 1). C1 runs this
// program twice more as child processes sharing a fresh KILN_CACHE_DIR: the first compiles
// W1's kernel cold, the second loads it from the disk cache.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <kiln/kiln.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.hpp"
#include "bench/reference.hpp"
#include "runtime/stats.hpp"
#include "runtime/thread_pool.hpp"

namespace kiln::bench {
namespace {

constexpr const char* kUsage =
    "usage: kiln-bench [--quick] [--json] [--runs N] [--only W1,W2,...]\n"
    "  --quick      small sizes and 3 runs (a smoke test, not a measurement)\n"
    "  --json       print the results as one JSON array\n"
    "  --runs N     timed runs per workload (default 10; the median is printed)\n"
    "  --only LIST  run only these workloads (W1 W2 W3 W4 W5 W6 W7 W8 W9 C1)\n";

struct Options {
  bool quick = false;
  bool json = false;
  bool c1_child = false;  // hidden: the child process of C1
  int runs = 10;
  int warmup = 1;
  std::set<std::string> only;
  // Sizes.
  int64_t n = int64_t{1} << 24;      // W1-W3
  int64_t rows = 4096, cols = 4096;  // W4, W5
  int64_t small_n = 1000;            // W7, C1
  int small_calls = 2000;            // W7: calls per timed sample
  int64_t w6_n = int64_t{1} << 22;   // W6
  int64_t mlp_m = 1024, mlp_k = 512, mlp_h = 512, mlp_o = 64;  // W8
};

// One output record: a name and ordered fields; `text` values are quoted in JSON.
struct Record {
  struct Field {
    std::string key, value;
    bool text = false;
  };
  std::string name;
  std::vector<Field> fields;
  bool failed = false;
  Record& num(const std::string& k, const std::string& v) {
    fields.push_back({k, v, false});
    return *this;
  }
  Record& str(const std::string& k, const std::string& v) {
    fields.push_back({k, v, true});
    return *this;
  }
};

std::string ms(double v) { return fmt::format("{:.6g}", v); }

std::string line_of(const Record& r) {
  std::string s = r.name;
  for (const Record::Field& f : r.fields)
    s += " " + f.key + "=" + (f.text && f.value.find(' ') != std::string::npos ? "\"" + f.value + "\"" : f.value);
  return s;
}

std::string json_of(const Record& r) {
  std::string s = fmt::format("{{\"name\": \"{}\"", r.name);
  for (const Record::Field& f : r.fields) {
    std::string v = f.value;
    if (f.text) {
      std::string q;
      for (char c : v) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
      v = "\"" + q + "\"";
    } else if (v == "inf" || v == "nan" || v == "-inf") {
      v = "null";
    }
    s += fmt::format(", \"{}\": {}", f.key, v);
  }
  return s + "}";
}

// ---- Timing ----------------------------------------------------------------------------

// Median time of `build` + eval over the runs; the result of the last run stays in `*last`.
// The previous result is dropped before each run, outside the timed region.
double time_kiln(const Options& o, const std::function<Array()>& build, Array* last) {
  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    *last = Array();
    double t0 = now_ms();
    Array r = build();
    r.eval();
    double dt = now_ms() - t0;
    if (i >= o.warmup) times.push_back(dt);
    *last = std::move(r);
  }
  return median(times);
}

double time_ref(const Options& o, const std::function<void()>& run) {
  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    double t0 = now_ms();
    run();
    double dt = now_ms() - t0;
    if (i >= o.warmup) times.push_back(dt);
  }
  return median(times);
}

// Lets the threads of one side (kiln's pool, OpenMP) go idle before the other side is timed,
// so neither measures the other's spinning workers.
void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

Array wrap(const FloatBuffer& b, const Shape& shape) {
  Array a = from_pointer(b.get(), f32, shape);
  a.eval();  // already a value; keeps the inputs out of the timed region whatever from_pointer does
  return a;
}

Record workload(const std::string& name, int64_t n, double kiln_ms, double ref_ms, double bytes, const Check& c) {
  Record r;
  r.name = name;
  r.num("n", std::to_string(n)).num("kiln_ms", ms(kiln_ms)).num("ref_ms", ms(ref_ms));
  r.num("ratio", fmt::format("{:.4g}", ref_ms / kiln_ms)).num("gbps", fmt::format("{:.2f}", bytes / kiln_ms / 1e6));
  r.str("check", c.ok ? "ok" : "FAIL").num("max_err", fmt::format("{:.3g}", c.max_err));
  r.failed = !c.ok;
  return r;
}

// ---- The workloads -----------------------------------------------------------------------

Array w1_expr(const Array& x) { return sin(x) * cos(x) + exp(-x * x) * 0.5 + sqrt(abs(x)); }

Record run_w1(const Options& o) {
  FloatBuffer x = random_floats(o.n, -4, 4, 1), want = zero_floats(o.n);
  Array xa = wrap(x, {o.n}), got;
  double k = time_kiln(
      o, [&] { return w1_expr(xa); }, &got);
  settle();
  double r = time_ref(o, [&] { ref_w1(x.get(), want.get(), o.n); });
  Check c = compare(got.data<float>(), want.get(), o.n, 2e-6, 2e-6);
  return workload("W1", o.n, k, r, 8.0 * o.n, c);
}

Record run_w2(const Options& o) {
  const float a = 2.5f;
  FloatBuffer x = random_floats(o.n, -4, 4, 2), y = random_floats(o.n, -4, 4, 3), want = zero_floats(o.n);
  // `a` is a run-time value (a 0-d array), not a literal baked into the kernel.
  Array xa = wrap(x, {o.n}), ya = wrap(y, {o.n}), aa = from_vector<float>({a}, Shape{}), got;
  aa.eval();
  double k = time_kiln(
      o, [&] { return aa * xa + ya; }, &got);
  settle();
  double r = time_ref(o, [&] { ref_axpy(a, x.get(), y.get(), want.get(), o.n); });
  // A fused multiply-add in either side differs by one rounding of a*x (|a*x| <= 10).
  Check c = compare(got.data<float>(), want.get(), o.n, 2e-6, 2e-7);
  return workload("W2", o.n, k, r, 12.0 * o.n, c);
}

Record run_w3(const Options& o) {
  FloatBuffer x = random_floats(o.n, -1, 1, 4);
  Array xa = wrap(x, {o.n}), got;
  double k = time_kiln(
      o, [&] { return sum(xa * xa); }, &got);
  settle();
  double want = 0;
  double r = time_ref(o, [&] { want = ref_sum_squares(x.get(), o.n); });
  // 1e-5 relative passes a blocked or pairwise f32 sum (~1e-6 off at 2^24 elements) and fails
  // a sequential one (~2% off).
  Check c = compare_scalar(got.item<float>(), want, 0, 1e-5);
  return workload("W3", o.n, k, r, 4.0 * o.n, c);
}

Record run_w4(const Options& o) {
  const int64_t n = o.rows * o.cols;
  FloatBuffer x = random_floats(n, -4, 4, 5), want = zero_floats(n);
  Array xa = wrap(x, {o.rows, o.cols}), got;
  double k = time_kiln(
      o, [&] { return softmax(xa, -1); }, &got);
  settle();
  double r = time_ref(o, [&] { ref_softmax_rows(x.get(), want.get(), o.rows, o.cols); });
  Check c = compare(got.data<float>(), want.get(), n, 1e-12, 1e-5);
  return workload("W4", n, k, r, 8.0 * n, c);
}

Record run_w5(const Options& o) {
  const int64_t n = o.rows * o.cols;
  FloatBuffer x = random_floats(n, -1, 1, 6), b = random_floats(o.cols, -0.5f, 0.5f, 7), want = zero_floats(n);
  Array xa = wrap(x, {o.rows, o.cols}), ba = wrap(b, {o.cols}), got;
  double k = time_kiln(
      o, [&] { return maximum(xa + ba, 0.0); }, &got);
  settle();
  double r = time_ref(o, [&] { ref_bias_relu(x.get(), b.get(), want.get(), o.rows, o.cols); });
  Check c = compare(got.data<float>(), want.get(), n, 0, 0);  // one add and a max: exact
  return workload("W5", n, k, r, 8.0 * n + 4.0 * o.cols, c);
}

// W9: sum over the leading axis (a bias gradient's shape of reduction): the reduced axis is
// the strided one.
Record run_w9(const Options& o) {
  const int64_t n = o.rows * o.cols;
  FloatBuffer x = random_floats(n, -1, 1, 13), want = zero_floats(o.cols);
  Array xa = wrap(x, {o.rows, o.cols}), got;
  double k = time_kiln(
      o, [&] { return sum(xa, 0); }, &got);
  settle();
  double r = time_ref(o, [&] { ref_column_sums(x.get(), want.get(), o.rows, o.cols); });
  Check c = compare(got.data<float>(), want.get(), o.cols, 1e-5, 1e-6);
  return workload("W9", n, k, r, 4.0 * n, c);
}

// W6: the value and gradient of f(x) = sum(sin(x) * exp(-x*x)), evaluated together, against
// a hand-written loop computing both in one pass; also the forward alone, and the ratio.
Record run_w6(const Options& o) {
  const int64_t n = o.w6_n;
  FloatBuffer x = random_floats(n, -3, 3, 10), want = zero_floats(n);
  Array xa = wrap(x, {n});
  auto forward = [&] { return sum(sin(xa) * exp(-xa * xa)); };
  Array f, g, fwd;
  std::vector<double> times;
  int64_t launches = 0;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    f = g = Array();
    int64_t l0 = stats().launches;
    double t0 = now_ms();
    Array y = forward();
    Array dy = grad(y, xa);
    eval({y, dy});
    if (i >= o.warmup) times.push_back(now_ms() - t0);
    launches = stats().launches - l0;
    f = y, g = dy;
  }
  double k = median(times);
  double k_fwd = time_kiln(o, forward, &fwd);
  settle();
  double want_f = 0;
  double r = time_ref(o, [&] { want_f = ref_w6(x.get(), want.get(), n); });
  double r_fwd = time_ref(o, [&] { ref_w6_forward(x.get(), n); });
  Check c = compare(g.data<float>(), want.get(), n, 2e-6, 2e-5);
  Check cf = compare_scalar(f.item<float>(), want_f, 1e-3, 1e-5);
  c.ok = c.ok && cf.ok;
  Record rec = workload("W6", n, k, r, 8.0 * n, c);
  rec.num("fwd_ms", ms(k_fwd)).num("ref_fwd_ms", ms(r_fwd)).num("grad_over_fwd", fmt::format("{:.3g}", k / k_fwd));
  rec.num("launches", std::to_string(launches));
  return rec;
}

// W8: one training step of an MLP, X[1024,512] -> tanh(X W1[512,512]) W2[512,64] -> mean
// squared error against Y, forward and backward and the update of both weights, against the
// same step written by hand around kiln's GEMM routine (reference_mlp.cpp).
Record run_w8(const Options& o) {
  const int64_t m = o.mlp_m, k = o.mlp_k, h = o.mlp_h, out = o.mlp_o;
  const float lr = 0.05f;
  FloatBuffer x = random_floats(m * k, -1, 1, 11), y = random_floats(m * out, -1, 1, 12);
  FloatBuffer w1 = random_floats(k * h, -0.05f, 0.05f, 13), w2 = random_floats(h * out, -0.1f, 0.1f, 14);
  FloatBuffer work = zero_floats(mlp_work_floats(m, k, h, out));
  Array xa = wrap(x, {m, k}), ya = wrap(y, {m, out});
  Array w1a = from_data(w1.get(), f32, {k, h}), w2a = from_data(w2.get(), f32, {h, out});
  eval({w1a, w2a});
  auto loss_of = [&](const Array& a, const Array& b) {
    Array d = matmul(tanh(matmul(xa, a)), b) - ya;
    return mean(d * d);
  };
  // The check: kiln's gradients against the reference's (a step with lr = 1 on copies).
  std::vector<Array> gk = grad(loss_of(w1a, w2a), {w1a, w2a});
  eval(gk);
  std::vector<float> w1c(w1.get(), w1.get() + k * h), w2c(w2.get(), w2.get() + h * out);
  ref_mlp_step(x.get(), y.get(), w1c.data(), w2c.data(), m, k, h, out, 1.0f, work.get());
  for (int64_t i = 0; i < k * h; ++i) w1c[i] = w1.get()[i] - w1c[i];
  for (int64_t i = 0; i < h * out; ++i) w2c[i] = w2.get()[i] - w2c[i];
  Check c = compare(gk[0].data<float>(), w1c.data(), k * h, 2e-6, 2e-3);
  Check c2 = compare(gk[1].data<float>(), w2c.data(), h * out, 2e-6, 2e-3);
  c.ok = c.ok && c2.ok;
  c.max_err = std::max(c.max_err, c2.max_err);
  // kiln: each step updates the weights the next one uses.
  std::vector<double> times;
  for (int i = 0; i < o.warmup + o.runs; ++i) {
    double t0 = now_ms();
    Array loss = loss_of(w1a, w2a);
    std::vector<Array> g = grad(loss, {w1a, w2a});
    Array n1 = w1a - lr * g[0], n2 = w2a - lr * g[1];
    eval({loss, n1, n2});
    if (i >= o.warmup) times.push_back(now_ms() - t0);
    w1a = n1, w2a = n2;
  }
  double kms = median(times);
  Array last;
  double k_fwd = time_kiln(o, [&] { return loss_of(w1a, w2a); }, &last);
  settle();
  double r = time_ref(o, [&] { ref_mlp_step(x.get(), y.get(), w1.get(), w2.get(), m, k, h, out, lr, work.get()); });
  double r_fwd = time_ref(o, [&] { ref_mlp_forward(x.get(), y.get(), w1.get(), w2.get(), m, k, h, out, work.get()); });
  // Forward X W1 and H W2; backward H^T dP, dP W2^T and X^T dZ.
  const double flops = 4.0 * m * k * h + 6.0 * m * h * out;
  Record rec = workload("W8", m * k, kms, r, 0, c);
  rec.fields.erase(std::remove_if(rec.fields.begin(), rec.fields.end(), [](const Record::Field& f) { return f.key == "gbps"; }),
                   rec.fields.end());
  rec.num("fwd_ms", ms(k_fwd)).num("ref_fwd_ms", ms(r_fwd)).num("step_over_fwd", fmt::format("{:.3g}", kms / k_fwd));
  rec.num("gflops", fmt::format("{:.1f}", flops / kms / 1e6));
  return rec;
}

// W1 on a small array: the per-call cost on a kernel cache hit (build the graph, evaluate,
// read the result). The times are per call, in ms like the others.
Record run_w7(const Options& o) {
  const int64_t n = o.small_n;
  FloatBuffer x = random_floats(n, -4, 4, 8), want = zero_floats(n);
  Array xa = wrap(x, {n}), last;
  volatile float sink = 0;
  double k = time_ref(o,
                      [&] {
                        for (int i = 0; i < o.small_calls; ++i) {
                          Array r = w1_expr(xa);
                          r.eval();
                          sink = sink + r.data<float>()[n - 1];
                          if (i == o.small_calls - 1) last = r;
                        }
                      }) /
             o.small_calls;
  settle();
  double r = time_ref(o,
                      [&] {
                        for (int i = 0; i < o.small_calls; ++i) {
                          ref_w1(x.get(), want.get(), n);
                          sink = sink + want.get()[n - 1];
                        }
                      }) /
             o.small_calls;
  Check c = compare(last.data<float>(), want.get(), n, 2e-6, 2e-6);
  // The same through jit: the traced function's graph runs on the argument, none is built.
  settle();
  Jit w1_jit = jit([](const std::vector<Array>& a) { return std::vector<Array>{w1_expr(a[0])}; }, "w1");
  Array jit_last;
  double j = time_ref(o,
                      [&] {
                        for (int i = 0; i < o.small_calls; ++i) {
                          Array r = w1_jit({xa})[0];
                          sink = sink + r.data<float>()[n - 1];
                          if (i == o.small_calls - 1) jit_last = r;
                        }
                      }) /
             o.small_calls;
  Check cj = compare(jit_last.data<float>(), want.get(), n, 2e-6, 2e-6);
  if (!cj.ok) c = cj;
  Record rec = workload("W7", n, k, r, 8.0 * n, c);
  rec.num("kiln_us", fmt::format("{:.4g}", k * 1e3)).num("ref_us", fmt::format("{:.4g}", r * 1e3));
  rec.num("jit_us", fmt::format("{:.4g}", j * 1e3));
  return rec;
}

// ---- C1: compile cold, load from disk ---------------------------------------------------

// The child of C1: W1's kernel evaluated for the first time in this process, then again.
int c1_child() {
  const int64_t n = 1000;
  FloatBuffer x = random_floats(n, -4, 4, 9);
  Array xa = wrap(x, {n});
  // Start the backend (JIT, thread pool) with another kernel, so that what is timed below is
  // W1's kernel alone.
  (xa + 1.0).eval();
  Stats s0 = stats();
  double t0 = now_ms();
  w1_expr(xa).eval();
  double first = now_ms() - t0;
  Stats s1 = stats();
  std::vector<double> warm;
  for (int i = 0; i < 5; ++i) {
    t0 = now_ms();
    w1_expr(xa).eval();  // a new graph each time (the previous result is gone): a cache hit
    warm.push_back(now_ms() - t0);
  }
  std::printf("c1 first_ms=%.6g warm_ms=%.6g compile_ms=%.6g kernels_compiled=%lld disk_hits=%lld\n", first,
              median(warm), s1.compile_ms - s0.compile_ms,
              static_cast<long long>(s1.kernels_compiled - s0.kernels_compiled),
              static_cast<long long>(s1.disk_hits - s0.disk_hits));
  return 0;
}

double field(const std::map<std::string, std::string>& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end()) throw std::runtime_error("kiln-bench: the C1 child printed no " + key);
  return std::stod(it->second);
}

Record run_c1() {
  TempDir cache;
  std::map<std::string, std::string> env = {{"KILN_CACHE_DIR", cache.path()}};
  auto cold = parse_fields(run_self({"--c1-child"}, env), "c1");
  auto disk = parse_fields(run_self({"--c1-child"}, env), "c1");
  Record r;
  r.name = "C1";
  r.num("cold_ms", ms(field(cold, "first_ms") - field(cold, "warm_ms")));
  r.num("disk_ms", ms(field(disk, "first_ms") - field(disk, "warm_ms")));
  r.num("compile_ms", ms(field(cold, "compile_ms")));
  r.num("kernels_compiled", fmt::format("{}", field(cold, "kernels_compiled")));
  r.num("disk_compiled", fmt::format("{}", field(disk, "kernels_compiled")));
  r.num("disk_hits", fmt::format("{}", field(disk, "disk_hits")));
  return r;
}

// ---- Driver ------------------------------------------------------------------------------

Options parse_options(int argc, char** argv) {
  Options o;
  bool runs_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--c1-child") {
      o.c1_child = true;
    } else if (a == "--runs" && i + 1 < argc) {
      o.runs = std::atoi(argv[++i]);
      runs_given = true;
      if (o.runs < 1) throw std::invalid_argument("--runs needs a positive number");
    } else if (a == "--only" && i + 1 < argc) {
      std::istringstream list(argv[++i]);
      std::string w;
      while (std::getline(list, w, ',')) o.only.insert(w);
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown argument '" + a + "'");
    }
  }
  if (o.quick) {
    if (!runs_given) o.runs = 3;
    o.n = int64_t{1} << 16;
    o.rows = o.cols = 256;
    o.small_calls = 50;
    o.w6_n = int64_t{1} << 16;
    o.mlp_m = 128, o.mlp_k = 64, o.mlp_h = 64, o.mlp_o = 16;
  }
  return o;
}

Record machine_record(const Options& o) {
  Machine m = machine();
  Record r;
  r.name = "#";
  r.str("cpu", m.cpu).num("cores", std::to_string(m.cores)).num("cpus", std::to_string(m.cpus));
  r.num("threads", std::to_string(ref_threads())).str("backend", backend_name());
  r.str("kiln", build_info().kiln_version).num("runs", std::to_string(o.runs)).str("quick", o.quick ? "yes" : "no");
  return r;
}

int bench_main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  if (o.c1_child) return c1_child();
  ref_set_threads(num_threads());  // the reference uses as many threads as kiln

  const std::vector<std::pair<std::string, std::function<Record()>>> workloads = {
      {"W1", [&] { return run_w1(o); }}, {"W2", [&] { return run_w2(o); }}, {"W3", [&] { return run_w3(o); }},
      {"W4", [&] { return run_w4(o); }}, {"W5", [&] { return run_w5(o); }}, {"W6", [&] { return run_w6(o); }},
      {"W7", [&] { return run_w7(o); }}, {"W8", [&] { return run_w8(o); }}, {"W9", [&] { return run_w9(o); }},
      {"C1", [&] { return run_c1(); }}};
  std::vector<Record> records = {machine_record(o)};
  if (!o.json) std::printf("%s\n", line_of(records[0]).c_str());
  bool failed = false;
  for (const auto& [name, run] : workloads) {
    if (!o.only.empty() && !o.only.count(name)) continue;
    records.push_back(run());
    failed = failed || records.back().failed;
    if (!o.json) std::printf("%s\n", line_of(records.back()).c_str());
    std::fflush(stdout);
  }
  if (o.json) {
    records[0].name = "machine";
    std::printf("[\n");
    for (size_t i = 0; i < records.size(); ++i)
      std::printf("  %s%s\n", json_of(records[i]).c_str(), i + 1 < records.size() ? "," : "");
    std::printf("]\n");
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace kiln::bench

int main(int argc, char** argv) {
  try {
    return kiln::bench::bench_main(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "kiln-bench: %s\n%s", e.what(), kiln::bench::kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kiln-bench: %s\n", e.what());
    return 2;
  }
}
