// Recognising and building splats (see splat.hpp).
#include "passes/splat.hpp"

namespace kiln {

namespace {
bool is_live_constant(const Node& n) { return n.op() == Op::Constant && !n.evaluated(); }
}  // namespace

const Node* splat_constant(const Node& n) {
  if (is_live_constant(n)) return &n;
  if (n.op() != Op::Broadcast || n.evaluated()) return nullptr;
  const Node& c = *n.operands()[0];
  return is_live_constant(c) && c.rank() == 0 ? &c : nullptr;
}

NodeRef make_splat(const NodeRef& c, const TensorType& t, SourceLoc loc) {
  KILN_CHECK(c->op() == Op::Constant && c->dtype() == t.dtype)
      << "make_splat: " << op_name(c->op()) << " " << type_str(c->type()) << " as " << type_str(t);
  if (t.shape.empty()) return c;
  return make_node(Op::Broadcast, {c}, {}, &t, loc);
}

NodeRef make_splat(const Scalar& v, const TensorType& t, SourceLoc loc) {
  Attrs a;
  a.value = scalar_to_dtype(v, t.dtype);
  TensorType scalar_type{t.dtype, {}};
  return make_splat(make_node(Op::Constant, {}, std::move(a), &scalar_type, loc), t, loc);
}

bool constant_equals(const Node& c, const Scalar& v) { return c.attrs().value == scalar_to_dtype(v, c.dtype()); }

}  // namespace kiln
