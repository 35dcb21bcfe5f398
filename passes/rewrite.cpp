// rewrite(): one post-order walk over a function, mapping old nodes to new ones.
#include "passes/rewrite.hpp"

#include <unordered_map>
#include <unordered_set>

namespace kiln {

NodeRef rebuild(const Node& n, std::vector<NodeRef> operands) {
  std::span<const NodeRef> old = n.operands();
  bool same = old.size() == operands.size();
  for (size_t i = 0; same && i < old.size(); ++i) same = old[i] == operands[i];
  if (same) return NodeRef(const_cast<Node*>(&n));
  const TensorType* given = op_info(n.op()).rule == TypeRule::Given ? &n.type() : nullptr;
  return make_node(n.op(), std::move(operands), n.attrs(), given, n.loc());
}

Function rewrite(const Function& f, const RewriteRule& rule) {
  std::unordered_map<const Node*, NodeRef> map;
  for (const Argument& a : f.args) map.emplace(a.node.get(), a.node);
  GraphReadLock lock = lock_graph_for_reading();
  for (const NodeRef& n : topo_order(f)) {
    std::vector<NodeRef> operands;
    operands.reserve(n->operands().size());
    for (const NodeRef& o : n->operands()) {
      auto it = map.find(o.get());
      KILN_CHECK(it != map.end()) << "rewrite: operand of " << op_name(n->op()) << " not visited before its user";
      operands.push_back(it->second);
    }
    NodeRef replacement = rule(*n, operands);
    if (!replacement) {
      replacement = rebuild(*n, std::move(operands));
    } else {
      KILN_CHECK(replacement->type() == n->type())
          << "rewrite: " << op_name(n->op()) << " (" << type_str(n->type()) << ") replaced by "
          << op_name(replacement->op()) << " (" << type_str(replacement->type()) << ")";
    }
    map.emplace(n.get(), std::move(replacement));
  }
  Function out;
  out.name = f.name;
  out.args = f.args;
  for (const NodeRef& r : f.results) out.results.push_back(map.at(r.get()));
  return out;
}

}  // namespace kiln
