// KILN_PROFILE: the trace is valid JSON in the Trace Event Format, with one complete event per
// evaluation, per pass, per kernel compile or disk load and per kernel launch (with its hash,
// elements, bytes and GB/s); it is written at exit and by write_profile(), and off costs
// nothing but a check.
#include <doctest/doctest.h>
#include <kiln/kiln.hpp>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "passes/pass_manager.hpp"
#include "runtime_test_util.hpp"

using namespace kiln;

namespace {

// A JSON value, parsed strictly enough to reject what a trace viewer would reject.
struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  double number = 0;
  std::string string;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  const Json& operator[](const std::string& key) const {
    static const Json missing;
    auto it = fields.find(key);
    return it == fields.end() ? missing : it->second;
  }
  bool has(const std::string& key) const { return fields.count(key) > 0; }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}
  // The value of the whole text; throws std::runtime_error at the first malformed byte.
  Json parse() {
    Json v = value();
    space();
    if (at_ != s_.size()) fail("text after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + " at byte " + std::to_string(at_));
  }
  void space() {
    while (at_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[at_]))) ++at_;
  }
  void expect(char c) {
    space();
    if (at_ >= s_.size() || s_[at_] != c) fail(std::string("expected '") + c + "'");
    ++at_;
  }
  bool next_is(char c) {
    space();
    return at_ < s_.size() && s_[at_] == c;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (at_ < s_.size() && s_[at_] != '"') {
      char c = s_[at_++];
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c == '\\') {
        if (at_ >= s_.size()) fail("unfinished escape");
        char e = s_[at_++];
        if (e == 'u') {
          if (at_ + 4 > s_.size()) fail("short \\u escape");
          c = static_cast<char>(std::stoi(s_.substr(at_, 4), nullptr, 16));
          at_ += 4;
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          fail("bad escape");
        } else {
          c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
      }
      out += c;
    }
    expect('"');
    return out;
  }
  Json value() {
    Json v;
    space();
    if (at_ >= s_.size()) fail("missing value");
    char c = s_[at_];
    if (c == '{') {
      v.kind = Json::Kind::Object;
      ++at_;
      while (!next_is('}')) {
        if (!v.fields.empty()) expect(',');
        std::string key = string();
        expect(':');
        v.fields[key] = value();
      }
      ++at_;
    } else if (c == '[') {
      v.kind = Json::Kind::Array;
      ++at_;
      while (!next_is(']')) {
        if (!v.items.empty()) expect(',');
        v.items.push_back(value());
      }
      ++at_;
    } else if (c == '"') {
      v.kind = Json::Kind::String;
      v.string = string();
    } else if (s_.compare(at_, 4, "true") == 0 || s_.compare(at_, 5, "false") == 0) {
      v.kind = Json::Kind::Bool;
      at_ += s_[at_] == 't' ? 4 : 5;
    } else {
      v.kind = Json::Kind::Number;
      size_t used = 0;
      try {
        v.number = std::stod(s_.substr(at_, 32), &used);
      } catch (const std::logic_error&) {
        fail("not a value");
      }
      at_ += used;
    }
    return v;
  }

  const std::string& s_;
  size_t at_ = 0;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The complete events of a trace file, each checked for the fields every event must have.
std::vector<Json> complete_events(const std::string& path) {
  std::string text = read_file(path);
  REQUIRE(!text.empty());
  Json trace;
  REQUIRE_NOTHROW(trace = JsonParser(text).parse());
  REQUIRE(trace["traceEvents"].kind == Json::Kind::Array);
  REQUIRE(!trace["traceEvents"].items.empty());
  CHECK(trace["traceEvents"].items[0]["name"].string == "process_name");
  CHECK(trace["traceEvents"].items[0]["pid"].number > 0);
  std::vector<Json> events;
  for (const Json& e : trace["traceEvents"].items) {
    if (e["ph"].string != "X") continue;
    CHECK(e["name"].kind == Json::Kind::String);
    CHECK(e["cat"].kind == Json::Kind::String);
    CHECK(e["ts"].number >= 0);
    CHECK(e["dur"].number >= 0);
    CHECK(e["pid"].number == trace["traceEvents"].items[0]["pid"].number);  // the process_name event's
    CHECK(e["tid"].number >= 1);
    events.push_back(e);
  }
  return events;
}

int count_if(const std::vector<Json>& events, const std::string& cat, const std::string& name_prefix = "") {
  int n = 0;
  for (const Json& e : events) n += e["cat"].string == cat && e["name"].string.rfind(name_prefix, 0) == 0;
  return n;
}

// These tests are about kernels: under KILN_BACKEND=interp they use a backend that has some.
const int kBackend = [] {
  if (backend_name() == "interp") set_backend(backend_names()[0] == "interp" ? "kernels" : backend_names()[0]);
  return 0;
}();

// Child mode: evaluate twice and exit without writing the profile; prints the setting.
int child_main() {
  std::printf("profiling=%d path=%s\n", profiling() ? 1 : 0, profile_path().c_str());
  Array x = from_vector<float>({1, 2, 3, 4, 5});
  for (int i = 0; i < 2; ++i) x = (tanh(x) * 0.5f).eval();
  std::printf("write=%d\n", write_profile() ? 1 : 0);
  return 0;
}

const int kChild = [] {
  if (test::child_mode()) std::exit(child_main());
  return 0;
}();

}  // namespace

TEST_CASE("the profile has one event per evaluation, pass, compile and launch, with the launch's traffic") {
  test::TempDir tmp;
  std::string path = tmp.path() + "/trace.json";
  set_profile_path(path);
  clear_profile();
  Stats before = stats();
  // A structure no other test evaluates: the first evaluation plans, the second hits the cache.
  Array x = from_vector<float>(std::vector<float>(1024, 0.25f));
  for (float k : {3.0f, 4.0f}) CHECK((atan(x) * k).to_vector<float>()[0] == doctest::Approx(std::atan(0.25) * k));
  Array a = from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  Array b = from_vector<float>({1, 0, 0, 1, 1, 1, 2, 2}, {4, 2});
  eval(matmul(a, b), sum(sqrt(a), 1));
  Stats after = stats();
  REQUIRE(write_profile());
  set_profile_path("");

  std::vector<Json> events = complete_events(path);
  const int evaluations = static_cast<int>(after.evaluations - before.evaluations);
  const int launches = static_cast<int>(after.launches - before.launches);
  CHECK(evaluations == 3);
  CHECK(count_if(events, "evaluate", "evaluate") == evaluations);
  CHECK(count_if(events, "evaluate", "trace") == evaluations);
  CHECK(count_if(events, "schedule") == 2);  // two structures, each planned once
  CHECK(count_if(events, "pass") == 2 * static_cast<int>(default_pipeline().size()));
  CHECK(count_if(events, "compile") == after.kernels_compiled - before.kernels_compiled +
                                           after.disk_hits - before.disk_hits);
  CHECK(count_if(events, "launch") == launches);

  int atan_launches = 0, gemm_launches = 0;
  for (const Json& e : events) {
    if (e["cat"].string != "launch") continue;
    const Json& args = e["args"];
    CAPTURE(e["name"].string);
    CHECK(args["gbps"].number >= 0);
    if (e["name"].string == "gemm") {  // a 2x4 by 4x2 product: 32 + 32 bytes in, 16 out
      ++gemm_launches;
      CHECK_FALSE(args.has("hash"));
      CHECK(args["elements"].number == 4);
      CHECK(args["bytes"].number == 80);
      continue;
    }
    CHECK(e["name"].string == "k" + args["hash"].string);
    if (args["bytes"].number == 8192) {  // atan(x) * k: 4 KiB in, 4 KiB out
      ++atan_launches;
      CHECK(args["elements"].number == 1024);
    }
    // Each launch lies inside an evaluation on the same thread.
    bool inside = false;
    for (const Json& ev : events)
      inside = inside || (ev["name"].string == "evaluate" && ev["tid"].number == e["tid"].number &&
                          ev["ts"].number <= e["ts"].number + 0.002 &&
                          ev["ts"].number + ev["dur"].number + 0.002 >= e["ts"].number + e["dur"].number);
    CHECK(inside);
  }
  CHECK(atan_launches == 2);
  CHECK(gemm_launches == 1);
}

TEST_CASE("evaluations on several threads record their events on their own thread ids") {
  test::TempDir tmp;
  std::string path = tmp.path() + "/threads.json";
  set_profile_path(path);
  clear_profile();
  constexpr int kThreads = 4, kEvaluations = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < kEvaluations; ++i) eval(kiln::log1p(from_vector<float>({1.0f * t, 1.0f * i})) - 1.0f);
    });
  for (std::thread& t : threads) t.join();
  REQUIRE(write_profile());
  set_profile_path("");
  std::vector<Json> events = complete_events(path);
  std::set<double> tids;
  for (const Json& e : events)
    if (e["name"].string == "evaluate") tids.insert(e["tid"].number);
  CHECK(count_if(events, "evaluate", "evaluate") == kThreads * kEvaluations);
  CHECK(count_if(events, "launch") == kThreads * kEvaluations);
  CHECK(tids.size() == kThreads);
}

TEST_CASE("KILN_PROFILE from the environment is written at exit") {
  test::TempDir tmp;
  std::string file = tmp.path() + "/a-file";
  std::ofstream(file) << "not a directory";
  std::string path = file + "/trace.json";
  test::ChildResult r = test::run_self("profile", {"KILN_PROFILE=" + path});
  CAPTURE(r.output);
  REQUIRE(r.status == 0);
  CHECK(r.output.find("profiling=1 path=" + path) != std::string::npos);
  // A file is in the way: the explicit write fails with a warning, and so does the one at
  // exit; the evaluations still ran.
  CHECK(r.output.find("write=0") != std::string::npos);
  CHECK(test::count_of(r.output, "kiln: warning: cannot write the profile (KILN_PROFILE)") == 2);

  path = tmp.path() + "/new/trace.json";  // a missing directory is created
  r = test::run_self("profile", {"KILN_PROFILE=" + path});
  REQUIRE(r.status == 0);
  CHECK(r.output.find("write=1") != std::string::npos);
  std::vector<Json> events = complete_events(path);  // the write at exit replaced the first
  CHECK(count_if(events, "evaluate", "evaluate") == 2);
  CHECK(count_if(events, "launch") == 2);
}

TEST_CASE("without KILN_PROFILE nothing is recorded or written") {
  test::ChildResult r = test::run_self("profile", {"KILN_PROFILE"});
  CAPTURE(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("profiling=0 path=\n") != std::string::npos);
  CHECK(r.output.find("write=1") != std::string::npos);
}
