// Helpers shared by the interpreter tests: build nodes from host vectors, run the interpreter
// on the function computing a node, read the result back, and record which ops were run so
// that each test program can check it exercised every op of its families.
#pragma once

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include "compiler/ir/element.hpp"
#include "compiler/ir/function.hpp"
#include "compiler/ir/interpreter.hpp"

namespace kiln::test {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The ops some interpret() call of this test program evaluated.
inline std::set<Op>& exercised_ops() {
  static std::set<Op> ops;
  return ops;
}

// A param of type t[shape] holding `values`, stored with the dtype's rules (round once, wrap).
inline NodeRef param_f(DType t, Shape shape, const std::vector<double>& values) {
  REQUIRE(static_cast<int64_t>(values.size()) == numel(shape));
  BufferPtr b = Buffer::allocate(values.size() * dtype_size(t));
  for (size_t i = 0; i < values.size(); ++i) store_double(b->data(), t, static_cast<int64_t>(i), values[i]);
  return make_param({t, std::move(shape)}, "x", b);
}
inline NodeRef param_i(DType t, Shape shape, const std::vector<int64_t>& values) {
  REQUIRE(static_cast<int64_t>(values.size()) == numel(shape));
  BufferPtr b = Buffer::allocate(values.size() * dtype_size(t));
  for (size_t i = 0; i < values.size(); ++i) store_int(b->data(), t, static_cast<int64_t>(i), values[i]);
  return make_param({t, std::move(shape)}, "x", b);
}
// 1-d shorthands.
inline NodeRef vec_f(DType t, const std::vector<double>& v) { return param_f(t, {static_cast<int64_t>(v.size())}, v); }
inline NodeRef vec_i(DType t, const std::vector<int64_t>& v) { return param_i(t, {static_cast<int64_t>(v.size())}, v); }
inline NodeRef scalar_f(DType t, double v) { return param_f(t, {}, {v}); }

inline NodeRef node(Op op, std::vector<NodeRef> operands, Attrs attrs = {}) {
  return make_node(op, std::move(operands), std::move(attrs));
}
inline NodeRef node_given(Op op, std::vector<NodeRef> operands, TensorType type, Attrs attrs = {}) {
  return make_node(op, std::move(operands), std::move(attrs), &type);
}
inline NodeRef cast(const NodeRef& x, DType t) { return node_given(Op::Cast, {x}, {t, x->shape()}); }
inline Attrs axes(std::vector<int64_t> a) {
  Attrs at;
  at.axes = std::move(a);
  return at;
}
inline Attrs axis(int64_t a) {
  Attrs at;
  at.axis = a;
  return at;
}

// Interprets the function computing `r` from its params and returns r's buffer.
inline BufferPtr run(const NodeRef& r) {
  Function f = function_of({r});
  for (const NodeRef& n : topo_order(f)) exercised_ops().insert(n->op());
  if (!f.args.empty()) exercised_ops().insert(Op::Param);
  std::vector<BufferPtr> out = interpret(f);
  REQUIRE(out.size() == 1);
  REQUIRE(out[0]->bytes() >= static_cast<size_t>(r->numel() * dtype_size(r->dtype())));
  return out[0];
}

// The elements of r, as doubles / as int64 (load_as_double / load_as_int of element.hpp).
inline std::vector<double> doubles(const NodeRef& r) {
  BufferPtr b = run(r);
  std::vector<double> v(r->numel());
  for (int64_t i = 0; i < r->numel(); ++i) v[i] = load_as_double(b->data(), r->dtype(), i);
  return v;
}
inline std::vector<int64_t> ints(const NodeRef& r) {
  BufferPtr b = run(r);
  std::vector<int64_t> v(r->numel());
  for (int64_t i = 0; i < r->numel(); ++i) v[i] = load_as_int(b->data(), r->dtype(), i);
  return v;
}
// The raw 16-bit patterns of an f16/bf16 result.
inline std::vector<uint16_t> bits16(const NodeRef& r) {
  BufferPtr b = run(r);
  std::vector<uint16_t> v(r->numel());
  if (!v.empty()) std::memcpy(v.data(), b->data(), v.size() * 2);
  return v;
}
inline double only(const std::vector<double>& v) {
  REQUIRE(v.size() == 1);
  return v[0];
}

// Bit-exact equality of doubles: tells -0.0 from 0.0, and any NaN equals any NaN.
inline bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}
// Element-by-element checks that name the element and both values on failure.
inline void check_same(const std::vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    CHECK_MESSAGE(same(actual[i], expected[i]),
                  "element " << i << ": got " << fmt::format("{}", actual[i]) << ", expected "
                             << fmt::format("{}", expected[i]));
}
inline void check_ints(const std::vector<int64_t>& actual, const std::vector<int64_t>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    CHECK_MESSAGE(actual[i] == expected[i], "element " << i << ": got " << actual[i] << ", expected " << expected[i]);
}
#define CHECK_SAME(actual, ...)                                  \
  do {                                                           \
    INFO(__FILE__ << ":" << __LINE__ << ": " << #actual);        \
    ::kiln::test::check_same(actual, std::vector<double>(__VA_ARGS__)); \
  } while (0)
#define CHECK_INTS(actual, ...)                                  \
  do {                                                           \
    INFO(__FILE__ << ":" << __LINE__ << ": " << #actual);        \
    ::kiln::test::check_ints(actual, std::vector<int64_t>(__VA_ARGS__)); \
  } while (0)

// Fails unless every op whose category is in `categories` is in exercised_ops().
inline void check_every_op_exercised(std::initializer_list<OpCategory> categories) {
  for (int i = 0; i < kNumOps; ++i) {
    Op op = static_cast<Op>(i);
    bool in_family = false;
    for (OpCategory c : categories) in_family |= op_info(op).category == c;
    if (in_family) CHECK_MESSAGE(exercised_ops().count(op) == 1, "no test evaluated " << op_name(op));
  }
}

}  // namespace kiln::test
