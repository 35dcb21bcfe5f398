// KILN_DUMP and kiln::dump()/to_dot(): every evaluation writes the graph around each pass
// (parseable .kir), the schedule, each kernel's kernel IR and LLVM IR, and a Graphviz
// picture with one cluster per kernel; the API returns the same texts without evaluating;
// a directory that cannot be written costs one warning, never the evaluation.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "compiler/ir/parser.hpp"
#include "compiler/ir/verifier.hpp"
#include "passes/pass_manager.hpp"
#include "runtime/log.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;
namespace fs = std::filesystem;

namespace {

// The files of a directory by name, with their contents.
std::map<std::string, std::string> read_dir(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    files[e.path().filename().string()] = ss.str();
  }
  return files;
}

std::vector<std::string> eval_dirs(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int count_files(const std::map<std::string, std::string>& files, const std::string& suffix) {
  return static_cast<int>(std::count_if(files.begin(), files.end(), [&](const auto& f) { return ends_with(f.first, suffix); }));
}

bool llvm_backend_active() { return backend_name() == "llvm"; }

// Checks that a Graphviz text is well formed as kiln writes it: one digraph, balanced
// braces, and no edge to or from a node that no statement defines (which dot would draw as
// an unlabelled extra node). With the `dot` program installed, it must also accept it.
void check_dot(const std::string& dot) {
  REQUIRE(dot.rfind("digraph ", 0) == 0);
  CHECK(std::count(dot.begin(), dot.end(), '{') == std::count(dot.begin(), dot.end(), '}'));
  std::set<std::string> defined = {"return"};
  std::regex node_line(R"(^\s*(\w+) \[label=)"), edge_line(R"(^\s*(\w+) -> (\w+))");
  std::istringstream lines(dot);
  std::vector<std::pair<std::string, std::string>> edges;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, node_line)) defined.insert(m[1]);
    if (std::regex_search(line, m, edge_line)) edges.emplace_back(m[1], m[2]);
  }
  CHECK(!edges.empty());
  for (const auto& [from, to] : edges) {
    CAPTURE(from);
    CAPTURE(to);
    CHECK(defined.count(from));
    CHECK(defined.count(to));
  }
  if (!fs::exists("/usr/bin/dot")) {
    MESSAGE("the dot program is not installed; graph.dot was checked by structure only");
    return;
  }
  test::TempDir tmp;
  std::string path = tmp.path() + "/graph.dot";
  std::ofstream(path) << dot;
  CHECK(std::system(("/usr/bin/dot -Tsvg -o /dev/null " + path).c_str()) == 0);
}

// A program with an elementwise kernel, a row kernel and a GEMM routine (the row kernel
// reads other data than the elementwise one, so it does not store y in its pass).
struct Program {
  Array x = from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  Array w = from_vector<float>({1, 0, 0, 1, 1, 1, 2, 2}, {4, 2});
  Array v = from_vector<float>({8, 7, 6, 5, 4, 3, 2, 1}, {2, 4});
  Array y = sin(x) * 2.0f + 1.0f;
  Array s = sum(exp(v * 0.5f), 1);
  Array m = matmul(x, w);
  std::vector<Array> all() const { return {y, s, m}; }
};

// These tests are about kernels: under KILN_BACKEND=interp they use a backend that has some.
const int kBackend = [] {
  if (backend_name() == "interp") set_backend(backend_names()[0] == "interp" ? "kernels" : backend_names()[0]);
  return 0;
}();

// Child mode: one evaluation of a program whose size depends on the mode, then exit.
int child_main(const std::string& mode) {
  Array x = from_vector<float>({1, 2, 3, 4});
  if (mode == "one kernel")
    eval(sin(x) + 1.0f);
  else
    eval(sin(x) + 1.0f, sum(cos(from_vector<float>({5, 6, 7}))));
  return 0;
}

const int kChild = [] {
  if (const char* mode = test::child_mode()) std::exit(child_main(mode));
  return 0;
}();

}  // namespace

TEST_CASE("KILN_DUMP writes every stage of an evaluation, and every .kir parses back") {
  test::TempDir tmp;
  set_dump_dir(tmp.path() + "/dump");
  Program p;
  std::vector<DumpText> api = dump(p.all(), DumpOptions{});
  eval(p.all());
  set_dump_dir("");
  std::vector<std::string> evals = eval_dirs(tmp.path() + "/dump");
  REQUIRE(evals.size() == 1);
  CHECK(std::regex_match(evals[0], std::regex("eval-[0-9]{4}")));
  std::map<std::string, std::string> files = read_dir(tmp.path() + "/dump/" + evals[0]);

  // The graph before the passes, then one file per pass of the default pipeline.
  CHECK(files.count("00-input.kir"));
  CHECK(count_files(files, ".kir") == static_cast<int>(default_pipeline().size()) + 1);
  for (const auto& [name, text] : files) {
    if (!ends_with(name, ".kir")) continue;
    CAPTURE(name);
    Function f = parse_function(text, name);
    CHECK_NOTHROW(verify(f));
    CHECK(f.results.size() == 3);
  }
  // Kernels: the elementwise one and the row kernel; the GEMM routine is a line of its own.
  int kernels = count_files(files, ".kernel");
  CHECK(kernels == 2);
  for (const auto& [name, text] : files) {
    if (!ends_with(name, ".kernel")) continue;
    CAPTURE(name);
    std::smatch m;
    REQUIRE(std::regex_match(name, m, std::regex("kernel-([0-9]{2})-(k[0-9a-f]{16})\\.kernel")));
    CHECK(text.rfind("kernel @" + m[2].str() + " ", 0) == 0);
    CHECK(files.at("schedule.txt").find("launch " + std::to_string(std::stoi(m[1])) + ": kernel " + m[2].str()) !=
          std::string::npos);
    if (llvm_backend_active()) {
      std::string ll = name.substr(0, name.size() - 7) + ".ll";
      REQUIRE(files.count(ll));
      CHECK(files.at(ll).find("define void @" + m[2].str()) != std::string::npos);
    }
  }
  // The GEMM routine: batch 1, m 2, n 2, k 4, no batch strides, neither operand transposed,
  // reading x and w, writing the product.
  CHECK(std::regex_search(files.at("schedule.txt"),
                          std::regex(R"(launch \d: builtin gemm args \[1, 2, 2, 4, 0, 0, 0, 0\] reads \[%arg\d: f32\[2,4\], )"
                                     R"(%arg\d: f32\[4,2\]\] writes \[%\d+: f32\[2,2\]\])")));
  // The picture: one cluster per kernel, one for the GEMM routine.
  const std::string& dot = files.at("graph.dot");
  CHECK(test::count_of(dot, "subgraph cluster_k") == kernels);
  CHECK(test::count_of(dot, "subgraph cluster_builtin") == 1);
  CHECK(dot.find("(builtin)") != std::string::npos);
  check_dot(dot);

  // kiln::dump() gave the same texts, in the same order, before anything was evaluated.
  std::vector<std::string> api_names;
  for (const DumpText& t : api) {
    api_names.push_back(t.name);
    CAPTURE(t.name);
    REQUIRE(files.count(t.name));
    CHECK(files.at(t.name) == t.text);
  }
  CHECK(api_names.size() == files.size());
  CHECK(api_names.front() == "00-input.kir");
  CHECK(api_names.back() == "graph.dot");
}

TEST_CASE("each evaluation gets its own numbered directory, also when its schedule is cached") {
  test::TempDir tmp;
  set_dump_dir(tmp.path());
  for (float v : {1.0f, 2.0f, 3.0f}) {
    Array x = from_vector<float>({v, v + 1, v + 2});
    CHECK((exp(x) * v).to_vector<float>()[0] == doctest::Approx(std::exp(v) * v));
  }
  set_dump_dir("");
  std::vector<std::string> evals = eval_dirs(tmp.path());
  REQUIRE(evals.size() == 3);
  std::set<std::string> kernels;
  for (const std::string& e : evals) {
    std::map<std::string, std::string> files = read_dir(tmp.path() + "/" + e);
    CHECK(files.count("00-input.kir"));
    CHECK(files.count("graph.dot"));
    CHECK(count_files(files, ".kernel") == 1);
    for (const auto& [name, text] : files)
      if (ends_with(name, ".kernel")) kernels.insert(name);
    // The literal is a launch parameter: each dump shows its own evaluation's value.
    CHECK(files.at("00-input.kir").find("literal") != std::string::npos);
  }
  CHECK(kernels.size() == 1);  // the same kernel every time
  // Numbers are consecutive.
  for (size_t i = 1; i < evals.size(); ++i) CHECK(std::stoi(evals[i].substr(5)) == std::stoi(evals[i - 1].substr(5)) + 1);
}

TEST_CASE("evaluations on several threads dump to distinct, complete directories") {
  test::TempDir tmp;
  set_dump_dir(tmp.path());
  constexpr int kThreads = 4, kEvaluations = 3;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < kEvaluations; ++i) {
        Array x = from_vector<float>({1.0f * t, 2.0f * i});
        eval(x * x + static_cast<float>(i));
      }
    });
  for (std::thread& t : threads) t.join();
  set_dump_dir("");
  std::vector<std::string> evals = eval_dirs(tmp.path());
  REQUIRE(evals.size() == kThreads * kEvaluations);
  for (const std::string& e : evals) {
    CAPTURE(e);
    std::map<std::string, std::string> files = read_dir(tmp.path() + "/" + e);
    CHECK(files.count("00-input.kir"));
    CHECK(files.count("schedule.txt"));
    CHECK(files.count("graph.dot"));
    CHECK(count_files(files, ".kernel") == 1);
  }
}

TEST_CASE("a dump directory that cannot be created warns once and evaluations still succeed") {
  test::TempDir tmp;
  std::string file = tmp.path() + "/a-file";
  std::ofstream(file) << "not a directory";
  set_dump_dir(file + "/dump");
  std::string err;
  {
    test::CaptureStderr capture;
    Array x = from_vector<float>({1, 2, 3});
    CHECK((x * 2.0f).to_vector<float>() == std::vector<float>{2, 4, 6});
    CHECK((x + 2.0f).to_vector<float>() == std::vector<float>{3, 4, 5});
    err = capture.text();
  }
  set_dump_dir("");
  CAPTURE(err);
  CHECK(test::count_of(err, "kiln: warning: KILN_DUMP: ") == 1);
  CHECK(err.find(file) != std::string::npos);
}

TEST_CASE("DumpOptions choose the stages, and to_dot draws arguments, literals and kernels") {
  Array x = from_vector<float>({1, 2, 3, 4});
  Array y = sqrt(abs(x)) * 3.0f;
  DumpOptions options;
  options.kernels = options.code = options.dot = false;
  options.locations = false;
  std::vector<DumpText> graphs = dump({y}, options);
  REQUIRE(graphs.size() == default_pipeline().size() + 1);
  for (const DumpText& t : graphs) {
    CHECK(ends_with(t.name, ".kir"));
    CHECK(t.text.find("loc(") == std::string::npos);
  }
  CHECK(graphs[0].text == dump(y, false));

  std::string dot = to_dot(y);
  check_dot(dot);
  CHECK(test::count_of(dot, "subgraph cluster_k") == 1);
  CHECK(dot.find("a0 [label=\"%arg0\\nf32[4]\", shape=box, style=filled") != std::string::npos);
  CHECK(dot.find("literal 3.0\\nf32[]\", shape=box, style=\"rounded,dashed\"") != std::string::npos);
  CHECK(dot.find("= sqrt\\nf32[4]\"") != std::string::npos);
  CHECK(dot.find("-> return [label=\"0\"]") != std::string::npos);
  CHECK_FALSE(y.is_evaluated());  // nothing was evaluated
}

TEST_CASE("to_dot draws temporaries: a split reduction's partial sums, a matmul's transposed operand") {
  Array x = arange(0, 1 << 20, 1, f32);
  std::string dot = to_dot(sum(sin(x)));
  check_dot(dot);
  CHECK(test::count_of(dot, "subgraph cluster_k") == 2);  // partial sums, then their sum per row
  CHECK(test::count_of(dot, "shape=box3d") == 1);
  CHECK(std::regex_search(dot, std::regex(R"(t0 -> n\d+ \[style=dashed\])")));

  Array a = arange(0, 64, 1, i32).reshape({8, 8});
  dot = to_dot(matmul(a, a + 1));  // integers: a row kernel reading a transposed copy
  check_dot(dot);
  CHECK(test::count_of(dot, "subgraph cluster_k") == 2);
  CHECK(test::count_of(dot, "shape=box3d") == 1);
}

TEST_CASE("the interp backend dumps the graph it interprets, from the API and when evaluating") {
  std::string before = backend_name();
  set_backend("interp");
  Array x = from_vector<float>({1, 2, 3, 4});
  Array s = sum(x * x);
  std::vector<DumpText> texts = dump({s}, DumpOptions{});
  const std::string ir = dump(s);
  test::TempDir tmp;
  set_dump_dir(tmp.path());
  CHECK(s.item<float>() == 30.0f);
  set_dump_dir("");
  set_backend(before);
  REQUIRE(texts.size() == 2);
  CHECK(texts[0].name == "00-input.kir");
  CHECK(texts[0].text == ir);
  CHECK(texts[1].name == "graph.dot");
  CHECK(test::count_of(texts[1].text, "subgraph cluster_") == 0);
  check_dot(texts[1].text);
  std::vector<std::string> evals = eval_dirs(tmp.path());
  REQUIRE(evals.size() == 1);
  std::map<std::string, std::string> files = read_dir(tmp.path() + "/" + evals[0]);
  CHECK(files.size() == 2);
  CHECK(files["00-input.kir"] == texts[0].text);
  CHECK(files["graph.dot"] == texts[1].text);
}

TEST_CASE("the kernels backend dumps kernel IR without backend code") {
  std::string before = backend_name();
  set_backend("kernels");
  Array x = from_vector<float>({1, 2, 3, 4});
  std::vector<DumpText> texts = dump({sum(x * x)}, DumpOptions{});
  set_backend(before);
  int kernels = 0;
  for (const DumpText& t : texts) {
    CHECK_FALSE(ends_with(t.name, ".ll"));
    kernels += ends_with(t.name, ".kernel");
  }
  CHECK(kernels == 1);
}

TEST_CASE("KILN_DUMP from the environment; a rerun replaces an earlier run's directory") {
  test::TempDir tmp;
  test::ChildResult first = test::run_self("two kernels", {"KILN_DUMP=" + tmp.path()});
  CHECK(first.status == 0);
  CHECK(count_files(read_dir(tmp.path() + "/eval-0000"), ".kernel") == 2);
  test::ChildResult second = test::run_self("one kernel", {"KILN_DUMP=" + tmp.path()});
  CHECK(second.status == 0);
  CHECK(eval_dirs(tmp.path()) == std::vector<std::string>{"eval-0000"});  // no temporaries left behind
  CHECK(count_files(read_dir(tmp.path() + "/eval-0000"), ".kernel") == 1);
}
