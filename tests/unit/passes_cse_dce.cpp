// cse merges only equal values and picks the merged node by structure alone; dce keeps
// every bit of the values while dropping reads no element needs. Both are checked against
// the reference interpreter on parameters full of special values.
#include <doctest/doctest.h>

#include <random>

#include "compiler/ir/printer.hpp"
#include "passes/cse.hpp"
#include "passes/dce.hpp"
#include "passes/pattern.hpp"
#include "passes/splat.hpp"
#include "passes_test_util.hpp"

using namespace kiln;
using namespace kiln::passtest;

namespace {

// Every result of g equals the same result of f (by the interpreter).
void check_same_values(const Function& g, const Function& f, bool any_nan) {
  std::vector<BufferPtr> got = interpret(g), want = interpret(f);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    const Node& r = *f.results[i];
    CHECK(difference(*got[i], *want[i], r.dtype(), r.numel(), any_nan) == "");
  }
}

int64_t pick(std::mt19937_64& rng, int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % (hi - lo + 1)); }

// A random slice of an array of shape s: per axis a step in {1, 2, -1, -3} and a count.
NodeRef random_slice(const NodeRef& x, std::mt19937_64& rng) {
  Attrs a;
  TensorType t{x->dtype(), {}};
  for (int64_t d : x->shape()) {
    int64_t step = std::vector<int64_t>{1, 2, -1, -3}[rng() % 4];
    int64_t n = pick(rng, 1, (d - 1) / std::abs(step) + 1);
    int64_t span = (n - 1) * std::abs(step);
    a.start.push_back(step > 0 ? pick(rng, 0, d - 1 - span) : pick(rng, span, d - 1));
    a.step.push_back(step);
    t.shape.push_back(n);
  }
  return make_node(Op::Slice, {x}, std::move(a), &t);
}

bool reads(const Function& f, Op op) {
  for (const NodeRef& n : topo_order(f))
    if (n->op() == op) return true;
  return false;
}

}  // namespace

TEST_CASE("cse merges swapped operands of every commutative op, and mirrored comparisons") {
  std::mt19937_64 rng(1);
  for (int k = 0; k < kNumOps; ++k) {
    const Op op = static_cast<Op>(k);
    if (!is_commutative(op)) continue;
    for (DType t : all_dtypes()) {
      if (!dtype_accepted(op_info(op).accepts, t)) continue;
      CAPTURE(op_name(op));
      CAPTURE(dtype_name(t));
      NodeRef a = interesting_param({t, {64}}, rng, "a"), b = interesting_param({t, {64}}, rng, "b");
      Function f = function_of({make_node(op, {a, b}), make_node(op, {b, a})});
      Function g = cse(f);
      CHECK(g.results[0] == g.results[1]);
      check_same_values(g, f, true);  // only which NaN a NaN + NaN gives may differ
    }
  }
  NodeRef x = interesting_param({DType::F32, {64}}, rng, "x"), y = interesting_param({DType::F32, {64}}, rng, "y");
  Function f = function_of({make_node(Op::Lt, {x, y}), make_node(Op::Gt, {y, x}), make_node(Op::Le, {x, y}),
                            make_node(Op::Ge, {y, x}), make_node(Op::Gt, {x, y})});
  Function g = cse(f);
  CHECK(g.results[0] == g.results[1]);
  CHECK(g.results[2] == g.results[3]);
  CHECK(g.results[4] != g.results[0]);
  check_same_values(g, f, false);
}

TEST_CASE("cse picks the merged node by structure, whatever the literal values and node ages") {
  TensorType scalar{DType::F32, {}};
  auto literal = [&](double v) { return make_node(Op::Literal, {}, value_attr(Scalar::of_float(v)), &scalar); };
  NodeRef older = literal(2.0);  // built before x: an older node than the other program's literal
  NodeRef x = make_param(scalar, "x");
  auto optimised_text = [&](const NodeRef& l) {
    Function f = function_of({make_node(Op::Mul, {l, x}), make_node(Op::Mul, {x, l})});
    std::string text = print_function(cse(f));
    return text.replace(text.find("value = "), 11, "value = ?");
  };
  std::string with_old = optimised_text(older), with_new = optimised_text(literal(5.0));
  CHECK(with_old == with_new);
  CHECK(with_old.find("mul %0, %x") != std::string::npos);
}

TEST_CASE("dce: a slice within one part of a concat reads that part, with the same bits") {
  std::mt19937_64 rng(2);
  int narrowed = 0;
  for (int i = 0; i < 300; ++i) {
    DType t = all_dtypes()[rng() % kNumDTypes];
    int64_t axis = pick(rng, 0, 1);
    std::vector<NodeRef> parts;
    for (int k = 0, n = static_cast<int>(pick(rng, 2, 3)); k < n; ++k) {
      Shape s = {3, 4};
      s[axis] = pick(rng, 1, 4);
      parts.push_back(interesting_param({t, s}, rng));
    }
    Attrs cat;
    cat.axis = axis;
    Function f = function_of({random_slice(make_node(Op::Concat, parts, cat), rng)});
    Function g = dce(f);
    narrowed += !reads(g, Op::Concat);
    check_same_values(g, f, false);
  }
  CHECK(narrowed > 30);
}

TEST_CASE("dce: a slice of a pad reads x or is the pad value, with the same bits") {
  std::mt19937_64 rng(3);
  int inside = 0, padding = 0;
  for (int i = 0; i < 300; ++i) {
    DType t = all_dtypes()[rng() % kNumDTypes];
    NodeRef x = interesting_param({t, {3, 2}}, rng);
    Attrs p;
    p.low = {pick(rng, 0, 3), pick(rng, 0, 2)};
    p.high = {pick(rng, 0, 3), pick(rng, 0, 2)};
    p.value = is_float(t) ? Scalar::of_float(std::vector<double>{-0.0, 0.0, NAN, -1.5}[rng() % 4]) : Scalar::of_int(-1);
    Function f = function_of({random_slice(make_node(Op::Pad, {x}, p), rng)});
    Function g = dce(f);
    GraphReadLock lock;
    padding += splat_constant(*g.results[0]) != nullptr;
    inside += !reads(g, Op::Pad) && splat_constant(*g.results[0]) == nullptr;
    check_same_values(g, f, false);
  }
  CHECK(inside > 10);
  CHECK(padding > 10);
}

TEST_CASE("dce: a constant condition drops the other branch and what only it used") {
  std::mt19937_64 rng(4);
  for (bool c : {false, true}) {
    TensorType cond{DType::Bool, {8}}, scalar{DType::Bool, {}};
    NodeRef k = make_node(Op::Constant, {}, value_attr(Scalar::of_int(c)), &scalar);
    NodeRef x = interesting_param({DType::F32, {8}}, rng, "x"), y = interesting_param({DType::F32, {8}}, rng, "y");
    NodeRef ex = make_node(Op::Exp, {x}), sy = make_node(Op::Sin, {y});
    Function f = function_of({make_node(Op::Where, {make_node(Op::Broadcast, {k}, {}, &cond), ex, sy})});
    Function g = dce(f);
    CHECK(g.results[0] == (c ? ex : sy));
    CHECK(topo_order(g).size() == 1);
    CHECK(g.args.size() == 2);  // the signature stays
    check_same_values(g, f, false);
  }
}

TEST_CASE("dce: values with no elements and reductions over nothing are their identity") {
  std::mt19937_64 rng(6);
  for (DType t : {DType::F32, DType::F16, DType::I32, DType::U32, DType::Bool}) {
    CAPTURE(dtype_name(t));
    NodeRef e = interesting_param({t, {0, 3}}, rng, "e"), x = interesting_param({t, {2, 3}}, rng, "x");
    Attrs cat;
    cat.axis = 0;
    TensorType empty{t, {3, 0}};
    std::vector<NodeRef> results = {make_node(Op::Concat, {e, x}, cat), make_node(Op::Reshape, {e}, {}, &empty)};
    if (t == DType::Bool) {
      results.push_back(make_node(Op::ReduceAny, {e}, axes_attr({0})));
      results.push_back(make_node(Op::ReduceAll, {e}, axes_attr({0})));
    } else {
      results.push_back(make_node(Op::ReduceSum, {e}, axes_attr({0})));
      results.push_back(make_node(Op::ReduceProd, {e}, axes_attr({0})));
      NodeRef k0 = interesting_param({t, {2, 0}}, rng, "k0"), k1 = interesting_param({t, {0, 4}}, rng, "k1");
      results.push_back(make_node(Op::Matmul, {k0, k1}));
      NodeRef idx = interesting_param({DType::I32, {2, 0}}, rng, "i"), src = interesting_param({t, {2, 0}}, rng, "s");
      Attrs ax;
      ax.axis = 1;
      results.push_back(make_node(Op::ScatterAdd, {x, idx, src}, ax));
    }
    Function f = function_of(results);
    Function g = dce(f);
    check_same_values(g, f, false);
    for (const NodeRef& r : g.results) {
      GraphReadLock lock;
      CHECK((splat_constant(*r) != nullptr || r == x));
    }
  }
}
