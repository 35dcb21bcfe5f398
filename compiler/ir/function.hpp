// A function of the graph IR: named arguments in, result nodes out.
//
// The nodes themselves are global and hash-consed (node.hpp); a Function only says which
// nodes are its inputs and which are its results. This is the unit that the printer, the
// parser, the verifier, the interpreter (and later passes and kilnc) work on.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/node.hpp"

namespace kiln {

struct Argument {
  NodeRef node;  // a param, or an evaluated node standing in for its value
  std::string name;
};

struct Function {
  std::string name = "main";
  std::vector<Argument> args;
  std::vector<NodeRef> results;
};

struct Module {
  std::vector<Function> functions;
};

// The nodes the results depend on, operands before users, each once, in a deterministic order
// (depth-first from the results in order, operands left to right). Arguments are leaves and
// are not included. Walks iteratively. Takes the graph read lock.
std::vector<NodeRef> topo_order(const Function& f);

// The function computing `results` from what is already known: every reached param or
// evaluated node becomes an argument (in the order first reached), named after the param when
// it has a name not used before, else `arg<i>`.
Function function_of(std::vector<NodeRef> results, std::string name = "main");

}  // namespace kiln
