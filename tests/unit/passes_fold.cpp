// fold computes what the interpreter computes, bit for bit, for every elementwise op it
// folds (looping over the op table, so a new op is covered), on constants holding the
// special values of each dtype; it leaves the ops it must not fold, and never reads
// literals, parameters or evaluated nodes.
#include <doctest/doctest.h>

#include <random>

#include "passes/fold.hpp"
#include "passes/splat.hpp"
#include "passes_test_util.hpp"

using namespace kiln;
using namespace kiln::passtest;

namespace {

NodeRef constant(const Scalar& v, DType t) {
  TensorType scalar{t, {}};
  return make_node(Op::Constant, {}, value_attr(v), &scalar);
}

// The special values of dtype t as constants (a constant cannot hold a signalling NaN: the
// one in the list comes out quiet).
std::vector<NodeRef> special_constants(DType t) {
  std::vector<NodeRef> out;
  if (is_float(t)) {
    for (uint64_t bits : special_float_bits(t))
      out.push_back(constant(Scalar::of_float(load_as_double(&bits, t, 0)), t));
    for (double v : {0.5, 2.0, 3.0, -7.25, 1e-3}) out.push_back(constant(Scalar::of_float(v), t));
  } else {
    for (int64_t v : special_ints(t)) out.push_back(constant(Scalar::of_int(v), t));
  }
  return out;
}

// Checks fold on op(operands): a constant with the interpreter's bits when the op folds,
// else the node itself.
void check_fold(Op op, std::vector<NodeRef> operands, const TensorType* given) {
  NodeRef n = make_node(op, std::move(operands), {}, given);
  Function folded = fold(function_of({n}));
  const NodeRef& r = folded.results[0];
  CAPTURE(op_name(op));
  CAPTURE(type_str(n->type()));
  DType in = n->operands()[op == Op::Where ? 1 : 0]->dtype();
  if (!folds_exactly(op, in)) {
    CHECK(r == n);
    return;
  }
  REQUIRE(r->op() == Op::Constant);
  CHECK(difference(*value_of(r), *value_of(n), n->dtype(), 1, false) == "");
}

}  // namespace

TEST_CASE("fold gives the interpreter's bits for every elementwise op on special constants") {
  std::mt19937_64 rng(99);
  for (int k = 0; k < kNumOps; ++k) {
    const Op op = static_cast<Op>(k);
    if (!is_elementwise(op)) continue;
    const OpInfo& info = op_info(op);
    for (DType t : all_dtypes()) {
      if (!dtype_accepted(info.accepts, t)) continue;
      std::vector<NodeRef> v = special_constants(t);
      std::vector<NodeRef> conds = {constant(Scalar::of_int(0), DType::Bool), constant(Scalar::of_int(1), DType::Bool)};
      auto any = [&](const std::vector<NodeRef>& from) { return from[rng() % from.size()]; };
      if (op == Op::Cast) {
        for (DType to : all_dtypes()) {
          TensorType given{to, {}};
          for (const NodeRef& a : v) check_fold(op, {a}, &given);
        }
      } else if (info.arity == 1) {
        for (const NodeRef& a : v) check_fold(op, {a}, nullptr);
      } else if (info.arity == 2) {
        for (const NodeRef& a : v)
          for (const NodeRef& b : v) check_fold(op, {a, b}, nullptr);
      } else {
        for (int i = 0; i < 200; ++i) check_fold(op, {op == Op::Where ? any(conds) : any(v), any(v), any(v)}, nullptr);
      }
    }
  }
}

TEST_CASE("fold keeps the transcendental functions and float pow, and folds integer pow") {
  NodeRef two = constant(Scalar::of_float(2.0), DType::F32);
  for (Op op : {Op::Exp, Op::Log, Op::Sin, Op::Tanh, Op::Erf, Op::Sigmoid}) {
    NodeRef n = make_node(op, {two});
    CHECK(fold(function_of({n})).results[0] == n);
  }
  NodeRef fpow = make_node(Op::Pow, {two, two});
  CHECK(fold(function_of({fpow})).results[0] == fpow);
  NodeRef i3 = constant(Scalar::of_int(3), DType::I32);
  NodeRef ipow = make_node(Op::Pow, {i3, i3});
  NodeRef folded = fold(function_of({ipow})).results[0];
  REQUIRE(folded->op() == Op::Constant);
  CHECK(folded->attrs().value.i == 27);
}

TEST_CASE("fold turns copies of a constant into a splat with the interpreter's bits") {
  std::mt19937_64 rng(5);
  for (DType t : all_dtypes()) {
    for (const NodeRef& c : special_constants(t)) {
      TensorType wide{t, {2, 3}};
      NodeRef s = make_node(Op::Broadcast, {c}, {}, &wide);
      TensorType flat{t, {6}}, part{t, {2, 2}};
      Attrs perm, sl, fl, cat, pad, gat;
      perm.perm = {1, 0};
      sl.start = {1, 2};
      sl.step = {-1, -1};
      fl.axes = {0};
      cat.axis = 1;
      pad.low = {1, 0};
      pad.high = {0, 2};
      pad.value = c->attrs().value;
      gat.axis = 1;
      NodeRef idx = interesting_param({DType::I64, {2, 2}}, rng, "idx");
      std::vector<NodeRef> copies = {
          make_node(Op::Reshape, {s}, {}, &flat),
          make_node(Op::Permute, {s}, perm),
          make_node(Op::Slice, {s}, sl, &part),
          make_node(Op::Flip, {s}, fl),
          make_node(Op::Concat, {s, s}, cat),
          make_node(Op::Pad, {s}, pad),
          make_node(Op::Gather, {s, idx}, gat),
          make_node(Op::ReduceMax, {s}, axes_attr({1})),
          make_node(Op::ArgMin, {s}, axes_attr({0, 1})),
      };
      for (const NodeRef& n : copies) {
        CAPTURE(op_name(n->op()));
        CAPTURE(type_str(n->type()));
        NodeRef r = fold(function_of({n})).results[0];
        GraphReadLock lock;
        REQUIRE(splat_constant(*r) != nullptr);
        CHECK(difference(*value_of(r), *value_of(n), n->dtype(), n->numel(), false) == "");
      }
    }
  }
}

TEST_CASE("fold never reads literals, parameters or evaluated values") {
  TensorType scalar{DType::F32, {}};
  NodeRef two = constant(Scalar::of_float(2.0), DType::F32);
  NodeRef lit = make_node(Op::Literal, {}, value_attr(Scalar::of_float(3.0)), &scalar);
  NodeRef with_literal = make_node(Op::Add, {lit, two});
  CHECK(fold(function_of({with_literal})).results[0] == with_literal);

  BufferPtr b = Buffer::allocate(4);
  store_double(b->data(), DType::F32, 0, 5.0);
  NodeRef p = make_param(scalar, "p", b);
  NodeRef with_param = make_node(Op::Add, {p, two});
  CHECK(fold(function_of({with_param})).results[0] == with_param);

  // A constant that was evaluated is data now: an argument, not a splat.
  NodeRef k = constant(Scalar::of_float(7.0), DType::F32);
  k->set_value(value_of(k));
  NodeRef with_evaluated = make_node(Op::Neg, {k});
  Function f = function_of({with_evaluated});
  REQUIRE(f.args.size() == 1);
  CHECK(fold(f).results[0] == with_evaluated);
}
