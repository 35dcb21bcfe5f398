// The verifier: re-checks a Function from scratch, trusting nothing make_node did.
//
// First the signature (name, results, arguments), then every node of topo_order() under the
// graph read lock: it must not be a leaf that is not an argument, must carry only the
// attributes its op lists, must have the type its op's rules give (infer_type again), and a
// literal or pad value must be exactly a value of its dtype. The first broken invariant
// throws the kiln::Error subclass that describes it, prefixed with `@function: `.
#include "compiler/ir/verifier.hpp"

#include <unordered_set>

#include "compiler/ir/infer.hpp"
#include "compiler/ir/printer.hpp"
#include "compiler/ir/text_syntax.hpp"

namespace kiln {
namespace {

template <class E>
void rethrow_as(const Error& e, const std::string& message) {
  if (dynamic_cast<const E*>(&e)) throw E(message);
}

// Throws an error of the same class as `e`, its message prefixed with `where`.
[[noreturn]] void rethrow_in(const Error& e, const std::string& where) {
  std::string message = where + e.what();
  rethrow_as<ShapeError>(e, message);
  rethrow_as<DTypeError>(e, message);
  rethrow_as<AxisError>(e, message);
  rethrow_as<ValueError>(e, message);
  rethrow_as<RuntimeError>(e, message);
  throw Error(message);
}

void check_arguments(const Function& f, const std::string& where) {
  std::unordered_set<std::string> names;
  std::unordered_set<const Node*> nodes;
  GraphReadLock lock = lock_graph_for_reading();
  for (const Argument& a : f.args) {
    if (!is_valid_name(a.name)) throw ValueError(where + "argument name '" + a.name + "' is not a valid name");
    if (!names.insert(a.name).second) throw ValueError(where + "two arguments are named %" + a.name);
    if (!a.node) throw ValueError(where + "argument %" + a.name + " is null");
    if (a.node->op() != Op::Param && !a.node->evaluated())
      throw ValueError(where + "argument %" + a.name + " is a pending " + std::string(op_name(a.node->op())) +
                       ", not a param or an evaluated node");
    if (!nodes.insert(a.node.get()).second)
      throw ValueError(where + "argument %" + a.name + " is the same node as an earlier argument");
  }
}

// The attributes of `n` with every one its op does not list reset to the default.
Attrs listed_attrs(const Node& n) {
  const Attrs& a = n.attrs();
  Attrs out;
  out.device = a.device;  // every op has one
  uint32_t bits = op_info(n.op()).attrs;
  for (const TextAttr& t : kTextAttrs) {
    if (!(bits & t.bit)) continue;
    switch (t.bit) {
      case kAttrAxes: out.axes = a.axes; break;
      case kAttrPerm: out.perm = a.perm; break;
      case kAttrStart: out.start = a.start; break;
      case kAttrStep: out.step = a.step; break;
      case kAttrLow: out.low = a.low; break;
      case kAttrHigh: out.high = a.high; break;
      case kAttrAxis: out.axis = a.axis; break;
      case kAttrValue: out.value = a.value; break;
      case kAttrSeed: out.seed = a.seed; break;
      case kAttrStream: out.stream = a.stream; break;
      case kAttrNone: break;
    }
  }
  return out;
}

std::string scalar_str(const Scalar& v) { return v.is_float ? format_scalar(v, DType::F64) : std::to_string(v.i); }

// Caller holds the graph read lock.
void verify_node(const Node& n, const std::string& where) {
  std::string op(op_name(n.op()));
  if (n.op() == Op::Param)
    throw ValueError(where + "param '" + n.name() + "' of type " + type_str(n.type()) +
                     " is used but is not an argument");
  if (n.evaluated())
    throw ValueError(where + "an evaluated " + op + " of type " + type_str(n.type()) +
                     " is used but is not an argument");
  if (!(listed_attrs(n) == n.attrs()))
    throw ValueError(where + op + ": carries an attribute that its ops.def line does not list");
  try {
    infer_type(n.op(), n.operands(), n.attrs(), &n.type(), n.loc());
  } catch (const Error& e) {
    rethrow_in(e, where);
  }
  if (op_info(n.op()).attrs & kAttrValue) {
    DType dtype = n.op() == Op::Pad ? n.operands()[0]->dtype() : n.dtype();
    const Scalar& v = n.attrs().value;
    if (!(v == scalar_to_dtype(v, dtype)))
      throw ValueError(where + op + ": value " + scalar_str(v) + " is not a value of dtype " +
                       std::string(dtype_name(dtype)));
  }
}

}  // namespace

void verify(const Function& f) {
  std::string where = "@" + f.name + ": ";
  if (!is_valid_name(f.name)) throw ValueError("function @" + f.name + ": not a valid function name");
  if (f.results.empty()) throw ValueError(where + "a function needs at least one result");
  for (size_t i = 0; i < f.results.size(); ++i)
    if (!f.results[i]) throw ValueError(where + "result " + std::to_string(i) + " is null");
  check_arguments(f, where);
  std::vector<NodeRef> order = topo_order(f);
  GraphReadLock lock = lock_graph_for_reading();
  for (const NodeRef& n : order) verify_node(*n, where);
}

void verify(const Module& m) {
  std::unordered_set<std::string> names;
  for (const Function& f : m.functions) {
    if (!names.insert(f.name).second) throw ValueError("two functions are named @" + f.name);
    verify(f);
  }
}

}  // namespace kiln
