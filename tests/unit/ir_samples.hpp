// Small valid functions for tests of the graph IR, one per op of ops.def, built through the
// public API. A new op without a sample makes sample_function() throw, so every test that
// loops over the op table fails until the op gets one.
#pragma once

#include <stdexcept>
#include <string>

#include "compiler/ir/function.hpp"

namespace kiln::testing {

inline NodeRef arg(Function& f, const std::string& name, DType dtype, Shape shape) {
  NodeRef p = make_param({dtype, std::move(shape)}, name);
  f.args.push_back({p, name});
  return p;
}

// A dtype that op accepts, varied so that the samples cover several dtypes.
inline DType sample_dtype(Accepts a) {
  switch (a) {
    case Accepts::Any: return DType::F32;
    case Accepts::Numeric: return DType::I32;
    case Accepts::Float: return DType::F64;
    case Accepts::Integer: return DType::I64;
    case Accepts::Unsigned: return DType::U32;
    case Accepts::IntOrBool: return DType::U32;
    case Accepts::Bool: return DType::Bool;
  }
  return DType::F32;
}

inline NodeRef sample_source(Op op) {
  Attrs a;
  TensorType t;
  if (op == Op::Literal) {
    a.value = Scalar::of_float(0.25);
    t = {DType::F16, {}};
  } else if (op == Op::Constant) {
    a.value = Scalar::of_int(-3);
    t = {DType::I64, {}};
  } else if (op == Op::Iota) {
    a.axis = 1;
    t = {DType::I64, {3, 4}};
  } else if (op == Op::RandomBits) {
    a.seed = 18446744073709551615ull;
    a.stream = 7;
    t = {DType::U32, {8}};
  } else {
    throw std::logic_error("no sample for source op " + std::string(op_name(op)));
  }
  return make_node(op, {}, a, &t);
}

inline NodeRef sample_movement(Function& f, Op op) {
  NodeRef x = arg(f, "x", DType::BF16, {2, 3, 4});
  Attrs a;
  switch (op) {
    case Op::Reshape: {
      TensorType t{DType::BF16, {4, 6}};
      return make_node(op, {x}, a, &t);
    }
    case Op::Broadcast: {
      TensorType t{DType::BF16, {5, 2, 3, 4}};
      return make_node(op, {x}, a, &t);
    }
    case Op::Slice: {
      a.start = {1, 0, 3};
      a.step = {1, 2, -2};
      TensorType t{DType::BF16, {1, 2, 2}};
      return make_node(op, {x}, a, &t);
    }
    case Op::Permute: a.perm = {2, 0, 1}; break;
    case Op::Flip: a.axes = {0, 2}; break;
    case Op::Pad:
      a.low = {1, 0, 2};
      a.high = {0, 3, 0};
      a.value = Scalar::of_float(-1.5);
      break;
    case Op::Concat: {
      a.axis = 1;
      NodeRef y = arg(f, "y", DType::BF16, {2, 1, 4});
      return make_node(op, {x, y, x}, a);
    }
    default: throw std::logic_error("no sample for movement op " + std::string(op_name(op)));
  }
  return make_node(op, {x}, a);
}

// A function computing one node of `op` from fresh arguments (for `param`: returning its
// argument).
inline Function sample_function(Op op) {
  Function f;
  f.name = "sample_" + std::string(op_name(op));
  const OpInfo& info = op_info(op);
  DType dt = sample_dtype(info.accepts);
  NodeRef r;
  switch (info.category) {
    case OpCategory::Source: r = op == Op::Param ? arg(f, "p", DType::F32, {2}) : sample_source(op); break;
    case OpCategory::Unary:
      if (op == Op::Cast) {
        TensorType t{DType::I32, {2, 3}};
        r = make_node(op, {arg(f, "x", DType::F32, {2, 3})}, {}, &t);
      } else {
        r = make_node(op, {arg(f, "x", dt, {2, 3})});
      }
      break;
    case OpCategory::Binary: r = make_node(op, {arg(f, "a", dt, {3}), arg(f, "b", dt, {3})}); break;
    case OpCategory::Ternary:
      if (op == Op::Where)
        r = make_node(op, {arg(f, "c", DType::Bool, {4}), arg(f, "a", dt, {4}), arg(f, "b", dt, {4})});
      else
        r = make_node(op, {arg(f, "a", dt, {4}), arg(f, "b", dt, {4}), arg(f, "c", dt, {4})});
      break;
    case OpCategory::Reduce: {
      Attrs a;
      a.axes = {0, 2};
      r = make_node(op, {arg(f, "x", dt, {2, 3, 4})}, a);
      break;
    }
    case OpCategory::Movement: r = sample_movement(f, op); break;
    case OpCategory::Index: {
      Attrs a;
      a.axis = 1;
      NodeRef x = arg(f, "x", dt, {2, 3});
      NodeRef i = arg(f, "i", DType::I32, {2, 5});
      r = op == Op::Gather ? make_node(op, {x, i}, a) : make_node(op, {x, i, arg(f, "s", dt, {2, 5})}, a);
      break;
    }
    case OpCategory::Matmul: r = make_node(op, {arg(f, "a", dt, {2, 3, 4}), arg(f, "b", dt, {4, 5})}); break;
  }
  f.results.push_back(r);
  return f;
}

}  // namespace kiln::testing
