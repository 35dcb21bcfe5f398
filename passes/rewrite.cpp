// rewrite(): one post-order walk over a function, mapping old nodes to new ones.
//
// The walk is topo_order's (depth-first from the results in order, operands left to right),
// done here directly so that each node is looked up once: the map from old to new nodes
// doubles as the visited set. Nodes the function already holds stay alive through it, so
// the map keeps plain pointers; only new nodes are owned, by `made`. A node whose operands
// did not change is handed to the rule with its own operand list, with no copy.
#include "passes/rewrite.hpp"

#include <unordered_map>

namespace kiln {

NodeRef rebuild(const Node& n, std::vector<NodeRef> operands) {
  std::span<const NodeRef> old = n.operands();
  bool same = old.size() == operands.size();
  for (size_t i = 0; same && i < old.size(); ++i) same = old[i] == operands[i];
  if (same) return NodeRef(const_cast<Node*>(&n));
  const TensorType* given = op_info(n.op()).rule == TypeRule::Given ? &n.type() : nullptr;
  return make_node(n.op(), std::move(operands), n.attrs(), given, n.loc());
}

namespace {

class Rewriter {
 public:
  Rewriter(const Function& f, const RewriteRule& rule) : rule_(rule) {
    map_.reserve(256);
    for (const Argument& a : f.args) map_.emplace(a.node.get(), a.node.get());
  }

  // What n became; visits it (and what it depends on) first if needed.
  Node* visit(Node* root) {
    if (auto it = map_.find(root); it != map_.end()) return it->second;
    stack_.emplace_back(root, 0);
    while (!stack_.empty()) {
      auto& [n, next] = stack_.back();
      std::span<const NodeRef> ops = n->operands();
      if (next < ops.size()) {
        Node* m = ops[next++].get();
        if (!map_.count(m)) stack_.emplace_back(m, 0);
        continue;
      }
      Node* done = n;
      stack_.pop_back();
      if (!map_.count(done)) map_.emplace(done, replace(*done));
    }
    return map_.at(root);
  }

 private:
  Node* replace(const Node& n) {
    std::span<const NodeRef> old = n.operands();
    bool changed = false;
    for (const NodeRef& o : old) changed = changed || map_.at(o.get()) != o.get();
    NodeRef out;
    if (!changed) {
      out = rule_(n, old);
      if (!out) return const_cast<Node*>(&n);
    } else {
      std::vector<NodeRef> operands;
      operands.reserve(old.size());
      for (const NodeRef& o : old) operands.emplace_back(map_.at(o.get()));
      out = rule_(n, operands);
      if (!out) out = rebuild(n, std::move(operands));
    }
    KILN_CHECK(out->type() == n.type()) << "rewrite: " << op_name(n.op()) << " (" << type_str(n.type())
                                        << ") replaced by " << op_name(out->op()) << " (" << type_str(out->type())
                                        << ")";
    Node* p = out.get();
    if (p != &n) made_.push_back(std::move(out));
    return p;
  }

  const RewriteRule& rule_;
  std::unordered_map<const Node*, Node*> map_;
  std::vector<std::pair<Node*, size_t>> stack_;
  std::vector<NodeRef> made_;  // keeps the new nodes alive until the result holds them
};

}  // namespace

Function rewrite(const Function& f, const RewriteRule& rule) {
  GraphReadLock lock = lock_graph_for_reading();
  Rewriter w(f, rule);
  Function out;
  out.name = f.name;
  out.args = f.args;
  for (const NodeRef& r : f.results) out.results.emplace_back(w.visit(r.get()));
  return out;
}

}  // namespace kiln
