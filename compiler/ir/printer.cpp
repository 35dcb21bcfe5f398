// The printer of the text form (text_format.md): one pass over topo_order() of a Function.
//
// Arguments keep their own names; every statement gets the next number %0, %1, ... (skipping a
// number that an argument already uses as its name), so the output depends only on the graph,
// never on node ids or creation order. Attributes are written in the order of kTextAttrs, all
// of those the op carries (then a device other than the cpu), and floats in the shortest form
// that reads back to the same value.
// A name the grammar cannot express is the user's mistake (ValueError); a param or evaluated
// node reached from the results that is not an argument is a broken invariant (KILN_CHECK).
#include "compiler/ir/printer.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "compiler/ir/text_syntax.hpp"

namespace kiln {
namespace {

std::string format_float(double v, DType t) {
  if (std::isnan(v)) return std::signbit(v) ? "-nan" : "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  std::to_chars_result r = t == DType::F64 ? std::to_chars(buf, buf + sizeof buf, v)
                                           : std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
  KILN_CHECK(r.ec == std::errc()) << "to_chars failed";
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

void append_int_list(std::string& out, const std::vector<int64_t>& v) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(v[i]);
  }
  out += ']';
}

// `"` and `\` are escaped with a backslash, other bytes outside printable ASCII as `\xx`.
void append_quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      out += '\\';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  out += '"';
}

void append_attr_value(std::string& out, const Node& n, AttrBits bit) {
  const Attrs& a = n.attrs();
  switch (bit) {
    case kAttrAxes: append_int_list(out, a.axes); return;
    case kAttrPerm: append_int_list(out, a.perm); return;
    case kAttrStart: append_int_list(out, a.start); return;
    case kAttrStep: append_int_list(out, a.step); return;
    case kAttrLow: append_int_list(out, a.low); return;
    case kAttrHigh: append_int_list(out, a.high); return;
    case kAttrAxis: out += std::to_string(a.axis); return;
    // A pad keeps its operand's dtype, so the node's dtype is the value's dtype for both ops.
    case kAttrValue: out += format_scalar(a.value, n.dtype()); return;
    case kAttrSeed: out += std::to_string(a.seed); return;
    case kAttrStream: out += std::to_string(a.stream); return;
    case kAttrNone: break;
  }
  KILN_CHECK(false) << "not a single attribute bit: " << static_cast<uint32_t>(bit);
}

class FunctionPrinter {
 public:
  FunctionPrinter(const Function& f, const PrintOptions& options) : f_(f), options_(options) {}

  std::string print() {
    std::vector<NodeRef> order = name_values();
    print_signature();
    GraphReadLock lock = lock_graph_for_reading();
    for (const NodeRef& n : order) print_statement(*n);
    out_ += "  return ";
    for (size_t i = 0; i < f_.results.size(); ++i) {
      if (i) out_ += ", ";
      out_ += names_.at(f_.results[i].get());
    }
    out_ += "\n}\n";
    return std::move(out_);
  }

  // Names every argument and statement; returns the statements in print order.
  std::vector<NodeRef> name_values() {
    name_arguments();
    std::vector<NodeRef> order = topo_order(f_);
    name_statements(order);
    return order;
  }
  std::unordered_map<const Node*, std::string>& names() { return names_; }

 private:
  void name_arguments() {
    if (!is_valid_name(f_.name)) throw ValueError("cannot print function @" + f_.name + ": not a valid name");
    if (f_.results.empty()) throw ValueError("cannot print function @" + f_.name + ": it has no results");
    for (const Argument& a : f_.args) {
      KILN_CHECK(a.node) << "@" << f_.name << ": null argument %" << a.name;
      if (!is_valid_name(a.name))
        throw ValueError("cannot print function @" + f_.name + ": argument name '" + a.name + "' is not a valid name");
      if (!used_.insert(a.name).second)
        throw ValueError("cannot print function @" + f_.name + ": two arguments are named %" + a.name);
      if (!names_.emplace(a.node.get(), "%" + a.name).second)
        throw ValueError("cannot print function @" + f_.name + ": argument %" + a.name +
                         " is the same node as an earlier argument");
    }
  }

  void name_statements(const std::vector<NodeRef>& order) {
    int64_t next = 0;
    for (const NodeRef& n : order) {
      KILN_CHECK(n->op() != Op::Param) << "@" << f_.name << ": param '" << n->name() << "' of type "
                                       << type_str(n->type()) << " is reached but is not an argument";
      KILN_CHECK(!n->evaluated()) << "@" << f_.name << ": an evaluated " << op_name(n->op()) << " of type "
                                  << type_str(n->type()) << " is reached but is not an argument";
      while (used_.count(std::to_string(next))) ++next;
      names_.emplace(n.get(), fmt::format("%{}", next++));
    }
  }

  void print_signature() {
    out_ += "func @" + f_.name + "(";
    for (size_t i = 0; i < f_.args.size(); ++i) {
      if (i) out_ += ", ";
      out_ += "%" + f_.args[i].name + ": " + type_str(f_.args[i].node->type());
      const Device d = f_.args[i].node->attrs().device;
      if (!d.is_cpu()) {
        out_ += " {";
        append_device(d, "");
        out_ += '}';
      }
    }
    out_ += ") -> ";
    bool several = f_.results.size() != 1;
    if (several) out_ += '(';
    for (size_t i = 0; i < f_.results.size(); ++i) {
      KILN_CHECK(f_.results[i]) << "@" << f_.name << ": null result " << i;
      if (i) out_ += ", ";
      out_ += type_str(f_.results[i]->type());
    }
    if (several) out_ += ')';
    out_ += " {\n";
  }

  void print_statement(const Node& n) {
    KILN_CHECK(!n.evaluated()) << "@" << f_.name << ": a " << op_name(n.op()) << " was evaluated while printing";
    out_ += "  " + names_.at(&n) + " = ";
    out_ += op_name(n.op());
    std::span<const NodeRef> operands = n.operands();
    for (size_t i = 0; i < operands.size(); ++i) {
      out_ += i ? ", " : " ";
      out_ += names_.at(operands[i].get());
    }
    uint32_t bits = op_info(n.op()).attrs;
    const bool on_device = !n.attrs().device.is_cpu();
    if (bits || on_device) {
      out_ += " {";
      bool first = true;
      for (const TextAttr& a : kTextAttrs) {
        if (!(bits & a.bit)) continue;
        if (!first) out_ += ", ";
        first = false;
        out_ += a.name;
        out_ += " = ";
        append_attr_value(out_, n, a.bit);
      }
      if (on_device) append_device(n.attrs().device, first ? "" : ", ");
      out_ += '}';
    }
    out_ += " : " + type_str(n.type());
    if (options_.locations && n.loc()) {
      out_ += " loc(";
      append_quoted(out_, n.loc().file);
      out_ += fmt::format(":{})", n.loc().line);
    }
    out_ += '\n';
  }

  // `device = "cuda:N"`, the entry a value off the cpu adds to its attributes.
  void append_device(Device d, const char* separator) {
    out_ += separator;
    out_ += "device = ";
    append_quoted(out_, d.str());
  }

  const Function& f_;
  const PrintOptions& options_;
  std::unordered_map<const Node*, std::string> names_;
  std::unordered_set<std::string> used_;  // argument names
  std::string out_;
};

}  // namespace

std::string format_scalar(const Scalar& v, DType t) {
  Scalar s = scalar_to_dtype(v, t);
  switch (dtype_class(t)) {
    case DTypeClass::Float: return format_float(s.f, t);
    case DTypeClass::Bool: return s.i ? "true" : "false";
    case DTypeClass::Signed:
    case DTypeClass::Unsigned: return std::to_string(s.i);
  }
  return "?";
}

std::string print_function(const Function& f, const PrintOptions& options) {
  return FunctionPrinter(f, options).print();
}

std::unordered_map<const Node*, std::string> value_names(const Function& f) {
  PrintOptions options;
  FunctionPrinter printer(f, options);
  printer.name_values();
  return std::move(printer.names());
}

std::string print_module(const Module& m, const PrintOptions& options) {
  std::string out;
  for (size_t i = 0; i < m.functions.size(); ++i) {
    if (i) out += '\n';
    out += print_function(m.functions[i], options);
  }
  return out;
}

}  // namespace kiln
