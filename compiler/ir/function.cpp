// Graph walks over a Function: topological order and argument collection.
#include "compiler/ir/function.hpp"

#include <unordered_map>
#include <unordered_set>

namespace kiln {
namespace {

// Iterative post-order DFS from `roots`; `is_leaf` nodes are reported to `on_leaf` and not
// descended into. Caller holds the graph read lock.
template <class IsLeaf, class OnLeaf, class OnNode>
void walk_post_order(const std::vector<NodeRef>& roots, IsLeaf is_leaf, OnLeaf on_leaf, OnNode on_node) {
  std::unordered_set<const Node*> seen;
  std::vector<std::pair<Node*, size_t>> stack;
  for (const NodeRef& r : roots) {
    if (!seen.insert(r.get()).second) continue;
    if (is_leaf(r.get())) {
      on_leaf(r.get());
      continue;
    }
    stack.emplace_back(r.get(), 0);
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      std::span<const NodeRef> ops = n->operands();
      if (next < ops.size()) {
        Node* m = ops[next++].get();
        if (!seen.insert(m).second) continue;
        if (is_leaf(m))
          on_leaf(m);
        else
          stack.emplace_back(m, 0);
        continue;
      }
      on_node(n);
      stack.pop_back();
    }
  }
}

}  // namespace

std::vector<NodeRef> topo_order(const Function& f) {
  std::unordered_set<const Node*> args;
  for (const Argument& a : f.args) args.insert(a.node.get());
  std::vector<NodeRef> order;
  GraphReadLock lock = lock_graph_for_reading();
  walk_post_order(
      f.results, [&](const Node* n) { return args.count(n) > 0; }, [](const Node*) {},
      [&](Node* n) { order.emplace_back(n); });
  return order;
}

Function function_of(std::vector<NodeRef> results, std::string name) {
  Function f;
  f.name = std::move(name);
  std::unordered_set<std::string> used;
  GraphReadLock lock = lock_graph_for_reading();
  walk_post_order(
      results, [](const Node* n) { return n->evaluated() || n->op() == Op::Param; },
      [&](Node* n) {
        std::string arg_name = n->op() == Op::Param ? n->name() : std::string();
        if (arg_name.empty() || used.count(arg_name)) arg_name = "arg" + std::to_string(f.args.size());
        while (used.count(arg_name)) arg_name += "_";
        used.insert(arg_name);
        f.args.push_back({NodeRef(n), arg_name});
      },
      [](Node*) {});
  f.results = std::move(results);
  return f;
}

}  // namespace kiln
