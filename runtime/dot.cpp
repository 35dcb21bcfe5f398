// graph_dot (see dot.hpp): one walk per launch to find what its cluster holds, then the
// nodes (clusters first, then the values outside every launch), then every edge at the top
// level, so that no edge statement can create a node inside the wrong cluster.
//
// Node ids: `a<i>` argument i, `n<p>` the value at position p of topo_order (one drawing of a
// value with a buffer, or of a value outside every launch), `k<l>_n<p>` the copy of a fused
// value inside launch l, `t<j>` temporary j.
#include "runtime/dot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "compiler/ir/printer.hpp"

namespace kiln {
namespace {

// `s` inside a dot "..." string.
std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

const char* kind_name(kernel::KernelKind k) {
  switch (k) {
    case kernel::KernelKind::Elementwise: return "elementwise";
    case kernel::KernelKind::Rows: return "rows";
    case kernel::KernelKind::Serial: return "serial";
  }
  return "?";
}

class DotWriter {
 public:
  DotWriter(const Function& f, const Schedule* s) : f_(f), s_(s), names_(value_names(f)), order_(topo_order(f)) {
    for (size_t i = 0; i < f.args.size(); ++i) arg_index_[f.args[i].node.get()] = i;
    for (size_t i = 0; i < order_.size(); ++i) pos_[order_[i].get()] = i;
    if (s)
      for (const Node* n : s->stored) stored_.insert(n);
  }

  std::string write() {
    out_ = fmt::format("digraph \"{}\" {{\n", escape(f_.name));
    out_ += "  node [fontname=\"monospace\", fontsize=10];\n  edge [fontsize=9];\n";
    for (size_t i = 0; i < f_.args.size(); ++i)
      out_ += fmt::format("  a{} [label=\"{}\\n{}\", shape=box, style=filled, fillcolor=\"#dbe9f6\"];\n", i,
                          escape(names_.at(f_.args[i].node.get())), type_str(f_.args[i].node->type()));
    std::vector<std::vector<const Node*>> regions;
    if (s_)
      for (size_t l = 0; l < s_->launches.size(); ++l) regions.push_back(region(l));
    for (size_t l = 0; l < regions.size(); ++l) write_cluster(l, regions[l]);
    std::vector<const Node*> top = top_level(regions);
    for (const Node* n : top) node_line("  ", id(n, -1), n);
    for (size_t l = 0; l < regions.size(); ++l)
      for (const Node* n : regions[l]) edges_to(n, static_cast<int>(l));
    for (const Node* n : top) edges_to(n, -1);
    if (s_) temp_edges();
    out_ += "  return [shape=plaintext];\n";
    for (size_t i = 0; i < f_.results.size(); ++i)
      out_ += fmt::format("  {} -> return [label=\"{}\"];\n", id(f_.results[i].get(), -1), i);
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  bool is_arg(const Node* n) const { return arg_index_.count(n) > 0; }

  // The id of `n` as an operand of (or as drawn in) launch `l`; -1: outside every launch.
  std::string id(const Node* n, int l) const {
    if (auto it = arg_index_.find(n); it != arg_index_.end()) return fmt::format("a{}", it->second);
    if (l < 0 || stored_.count(n)) return fmt::format("n{}", pos_.at(n));
    return fmt::format("k{}_n{}", l, pos_.at(n));
  }

  // What launch `l` computes: its outputs and the values fused into them, in topo order.
  std::vector<const Node*> region(size_t l) const {
    const LaunchPlan& lp = s_->launches[l];
    std::unordered_set<const Node*> outputs(lp.outputs.begin(), lp.outputs.end()), seen;
    std::vector<const Node*> stack(lp.outputs.begin(), lp.outputs.end()), found;
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (is_arg(n) || (stored_.count(n) && !outputs.count(n)) || !seen.insert(n).second) continue;
      found.push_back(n);
      for (const NodeRef& o : n->operands()) stack.push_back(o.get());
    }
    std::sort(found.begin(), found.end(), [&](const Node* a, const Node* b) { return pos_.at(a) < pos_.at(b); });
    return found;
  }

  // Values drawn outside every cluster: those no launch computes (no schedule, or size 0), and
  // fused values that such a value uses (it refers to them as `n<p>`).
  std::vector<const Node*> top_level(const std::vector<std::vector<const Node*>>& regions) const {
    std::unordered_set<const Node*> in_cluster, top;
    for (const auto& r : regions) in_cluster.insert(r.begin(), r.end());
    std::vector<const Node*> stack;
    for (const NodeRef& n : order_)
      if (!in_cluster.count(n.get())) stack.push_back(n.get());
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!top.insert(n).second) continue;
      for (const NodeRef& o : n->operands())
        if (!is_arg(o.get()) && !stored_.count(o.get())) stack.push_back(o.get());
    }
    std::vector<const Node*> list(top.begin(), top.end());
    std::sort(list.begin(), list.end(), [&](const Node* a, const Node* b) { return pos_.at(a) < pos_.at(b); });
    return list;
  }

  void write_cluster(size_t l, const std::vector<const Node*>& nodes) {
    const LaunchPlan& lp = s_->launches[l];
    if (lp.builtin != Builtin::None)
      out_ += fmt::format("  subgraph cluster_builtin{} {{\n    label=\"launch {}: {} (builtin)\";\n", l, l,
                          builtin_name(lp.builtin));
    else
      out_ += fmt::format("  subgraph cluster_k{} {{\n    label=\"launch {}: {} ({})\";\n", l, l,
                          kernel::kernel_symbol(lp.kernel), kind_name(lp.kernel.kind));
    out_ += "    style=rounded; color=\"#888888\"; fontname=\"monospace\"; fontsize=10;\n";
    for (const Node* n : nodes) node_line("    ", id(n, static_cast<int>(l)), n);
    for (size_t b = 0; b < lp.buffers.size(); ++b) {
      int32_t t = lp.buffers[b].temp;
      if (t >= 0 && lp.kernel.buffers[b].output)
        out_ += fmt::format("    t{} [label=\"temp {}\\n{} {} bytes\", shape=box3d];\n", t, t,
                            dtype_name(lp.kernel.buffers[b].dtype), s_->temp_bytes[static_cast<size_t>(t)]);
    }
    out_ += "  }\n";
  }

  void node_line(const char* indent, const std::string& node_id, const Node* n) {
    std::string text = fmt::format("{} = {}", names_.at(n), op_name(n->op()));
    std::string attrs;
    if (n->op() == Op::Literal || n->op() == Op::Constant) {
      text += " " + format_scalar(n->attrs().value, n->dtype());
      attrs = n->op() == Op::Literal ? ", shape=box, style=\"rounded,dashed\""
                                     : ", shape=box, style=\"rounded,filled\", fillcolor=\"#f6ecd0\"";
    }
    if (stored_.count(n)) attrs += ", penwidth=2";
    out_ += fmt::format("{}{} [label=\"{}\\n{}\"{}];\n", indent, node_id, escape(text), type_str(n->type()), attrs);
  }

  void edges_to(const Node* n, int l) {
    std::string to = id(n, l);
    for (const NodeRef& o : n->operands()) out_ += fmt::format("  {} -> {};\n", id(o.get(), l), to);
  }

  // A temporary's edges go to what the launches that read it store (or, for a launch that
  // stores only temporaries, to those).
  void temp_edges() {
    for (size_t l = 0; l < s_->launches.size(); ++l) {
      const LaunchPlan& lp = s_->launches[l];
      std::vector<std::string> targets;
      for (const Node* o : lp.outputs) targets.push_back(id(o, static_cast<int>(l)));
      for (size_t b = 0; b < lp.buffers.size() && lp.outputs.empty(); ++b)
        if (lp.buffers[b].temp >= 0 && lp.kernel.buffers[b].output)
          targets.push_back(fmt::format("t{}", lp.buffers[b].temp));
      for (size_t b = 0; b < lp.buffers.size(); ++b)
        if (lp.buffers[b].temp >= 0 && !lp.kernel.buffers[b].output)
          for (const std::string& to : targets)
            out_ += fmt::format("  t{} -> {} [style=dashed];\n", lp.buffers[b].temp, to);
    }
  }

  const Function& f_;
  const Schedule* s_;
  std::unordered_map<const Node*, std::string> names_;
  std::vector<NodeRef> order_;
  std::unordered_map<const Node*, size_t> arg_index_;
  std::unordered_map<const Node*, size_t> pos_;
  std::unordered_set<const Node*> stored_;
  std::string out_;
};

}  // namespace

std::string graph_dot(const Function& f, const Schedule* s) {
  GraphReadLock lock = lock_graph_for_reading();
  return DotWriter(f, s).write();
}

}  // namespace kiln
