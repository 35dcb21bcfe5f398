// Differential test on random graphs: the generator of random_graphs.hpp builds graphs of
// 50+ ops through the public API; kiln evaluates them and so does the reference interpreter,
// and the values are compared with the error bounds the generator tracked.
//
// A mismatch prints the seed and the graph's text IR. Add the seed to the pinned list at the
// end of this file to keep it as a named test case.
#include <cstdlib>

#include "random_graphs.hpp"

using namespace kiln;
using namespace kiln::difftest;
using namespace kiln::randgraph;

namespace {

constexpr int kGraphs = 500;

// Oracle first, then kiln; compares every root with its own tolerance. Returns the
// description of the mismatches (empty when all match).
std::string compare_roots(const std::vector<Val>& roots) {
  std::vector<Array> arrays;
  for (const Val& v : roots) arrays.push_back(v.a);
  std::vector<BufferPtr> want = oracle(arrays);
  std::vector<BufferPtr> got = evaluate_roots(arrays);
  std::string report;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Val& v = roots[i];
    Tolerance tol = Tolerance::exact();
    if (!v.exact()) {
      const double err = v.err;
      tol = Tolerance{default_ulps(v.a.dtype()), [err](int64_t) { return 2 * err; }};
      tol.zero_sign = false;
    }
    Mismatches m = compare(got[i]->data(), want[i]->data(), v.a.dtype(), v.a.size(), tol);
    if (m.count)
      report +=
          fmt::format("output {} ({}, {}): {} of {} elements differ\n{}", i, type_str(v.a.dtype(), v.a.shape()),
                      v.exact() ? "exact" : fmt::format("tolerance {:.3g}", 2 * v.err), m.count, v.a.size(), m.first);
  }
  return report;
}

// Builds and checks the graph of `seed`; false (after printing the seed and the graph) on a
// mismatch.
// The number of ops kiln evaluates for `roots` (pending nodes they depend on).
int64_t pending_ops(const std::vector<Val>& roots) {
  GraphReadLock lock;
  std::vector<NodeRef> nodes;
  for (const Val& v : roots) nodes.push_back(v.a.node());
  return static_cast<int64_t>(topo_order(function_of(nodes)).size());
}

bool check_graph(uint64_t seed) {
  GraphGen gen(seed);
  std::string report;
  int64_t checked_ops = 0;
  std::vector<Val> outputs = gen.build([&](const Val& mid) {
    const std::string text = dump(mid.a, false);
    checked_ops += pending_ops({mid});
    std::string r = compare_roots({mid});
    if (!r.empty()) report += "midway evaluation:\n" + r + text;
  });
  std::vector<Array> arrays;
  for (const Val& v : outputs) arrays.push_back(v.a);
  const std::string text = dump(arrays, false);
  checked_ops += pending_ops(outputs);
  CHECK_MESSAGE(checked_ops >= kMinOps, "seed ", seed, ": only ", checked_ops, " ops");
  std::string r = compare_roots(outputs);
  if (!r.empty()) report += r + text;
  if (report.empty()) return true;
  FAIL_CHECK("random graph with seed ", seed, " (backend ", backend_name(), ") differs from the interpreter:\n", report,
             "Keep it as a test: add KILN_GRAPH_REGRESSION(", seed, ") in diff_random_graphs.cpp.");
  return false;
}

}  // namespace

TEST_CASE("500 random graphs evaluate as in the interpreter") {
  // KILN_DIFF_SEED_BASE shifts the seeds (default 0: seeds 0..499), to explore further.
  const char* base_env = std::getenv("KILN_DIFF_SEED_BASE");
  const uint64_t base = base_env ? std::strtoull(base_env, nullptr, 10) : 0;
  int failed = 0;
  for (uint64_t seed = base; seed < base + kGraphs; ++seed)
    if (shard().has(seed)) failed += check_graph(seed) ? 0 : 1;
  CHECK(failed == 0);
}

// Pinned seeds: each runs as a test case of its own. When the sweep above reports a seed,
// add it here so that it stays checked (and can be run alone with -tc).
#define KILN_GRAPH_REGRESSION(seed) \
  TEST_CASE("random graph, pinned seed " #seed) { CHECK(check_graph(seed)); }

// Examples of the mechanism, outside the sweep's range.
KILN_GRAPH_REGRESSION(1000003)
KILN_GRAPH_REGRESSION(2000029)
// Row kernels reading back a value an earlier phase computed (passes/reuse_values.cpp): an
// output stored once per row, and rows whose stores are not one per inner index.
KILN_GRAPH_REGRESSION(3)
KILN_GRAPH_REGRESSION(106)
KILN_GRAPH_REGRESSION(445)
