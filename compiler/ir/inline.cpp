// inline_function (inline.hpp): one make_node per statement, operands looked up in a map
// from the function's nodes to the new ones.
#include "compiler/ir/inline.hpp"

#include <unordered_map>

namespace kiln {

std::vector<NodeRef> inline_function(const Function& f, const std::vector<NodeRef>& args,
                                     std::optional<Device> device) {
  if (args.size() != f.args.size())
    throw ValueError("call of @" + f.name + ": " + std::to_string(args.size()) + " arguments for " +
                     std::to_string(f.args.size()) + " parameters");
  std::unordered_map<const Node*, NodeRef> now;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i]) throw ValueError("call of @" + f.name + ": argument %" + f.args[i].name + " is empty");
    if (!(args[i]->type() == f.args[i].node->type()))
      throw ValueError("call of @" + f.name + ": argument %" + f.args[i].name + " has type " +
                       type_str(args[i]->type()) + ", the function takes " + type_str(f.args[i].node->type()));
    now.emplace(f.args[i].node.get(), args[i]);
  }
  std::vector<NodeRef> order = topo_order(f);
  GraphReadLock lock;
  for (const NodeRef& n : order) {
    if (now.count(n.get())) continue;
    std::vector<NodeRef> operands;
    for (const NodeRef& o : n->operands()) {
      auto it = now.find(o.get());
      KILN_CHECK(it != now.end()) << "inline: an operand of " << op_name(n->op()) << " comes after it";
      operands.push_back(it->second);
    }
    const bool given = op_info(n->op()).rule == TypeRule::Given;
    Attrs attrs = n->attrs();
    if (device) attrs.device = *device;
    now.emplace(n.get(), make_node(n->op(), std::move(operands), std::move(attrs), given ? &n->type() : nullptr, n->loc()));
  }
  std::vector<NodeRef> out;
  for (const NodeRef& r : f.results) {
    auto it = now.find(r.get());
    KILN_CHECK(it != now.end()) << "inline: a result of @" << f.name << " was not rebuilt";
    out.push_back(it->second);
  }
  return out;
}

}  // namespace kiln
