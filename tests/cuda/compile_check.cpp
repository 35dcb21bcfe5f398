// The compile-only CUDA test: every kernel that the emulated differential tests generated
// (recorded by the cuda-emu test vehicle as <symbol>.cu in a directory, KILN_CUDA_EMU_RECORD)
// is compiled by NVRTC to PTX for sm_90, so code generation errors surface without a GPU.
// The costlier targets run on a fixed sample of the programs (every kSampleEvery-th, which
// covers each kind of kernel many times over): PTX for sm_80, CUBIN (machine code) for sm_90
// and, where ptxas is found, the sm_80 PTX assembled. Kernels are compiled many to one NVRTC
// program (the prelude once), the programs on all cores at once (NVRTC compiles distinct
// programs concurrently); a program that fails is compiled again kernel by kernel to name the
// culprits.
//
//   kiln_cuda_compile_check DIR
//
// Exit status: 0 all compiled, 1 failures (each printed with NVRTC's log), 2 bad usage or no
// recorded kernel, 77 skipped because NVRTC cannot be loaded (the reason is printed).
#include <dirent.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "compiler/cuda/cuda_source.hpp"
#include "compiler/cuda/nvrtc.hpp"
#include "compiler/ir/error.hpp"

namespace {

constexpr size_t kKernelsPerProgram = 200;
constexpr size_t kSampleEvery = 8;

struct Recorded {
  std::string name, code;
};

std::vector<Recorded> read_dir(const std::string& dir) {
  std::vector<Recorded> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() < 4 || name.substr(name.size() - 3) != ".cu") continue;
    std::ifstream in(dir + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back({name, ss.str()});
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const Recorded& a, const Recorded& b) { return a.name < b.name; });
  return out;
}

std::string find_ptxas() {
  for (const char* p : {"/usr/local/cuda/bin/ptxas"})
    if (access(p, X_OK) == 0) return p;
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string dir;
  while (std::getline(ss, dir, ':'))
    if (!dir.empty() && access((dir + "/ptxas").c_str(), X_OK) == 0) return dir + "/ptxas";
  return "";
}

// Assembles PTX for sm_<arch> with ptxas; returns "" or the failure.
std::string assemble(const std::string& ptxas, const std::string& ptx, int arch) {
  char path[] = "/tmp/kiln-ptx-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "cannot create a temporary file for ptxas";
  close(fd);
  std::ofstream(path) << ptx;
  const std::string log = std::string(path) + ".log";
  const std::string cmd = fmt::format("'{}' -arch=sm_{} '{}' -o /dev/null > '{}' 2>&1", ptxas, arch, path, log);
  const int rc = std::system(cmd.c_str());
  std::stringstream out;
  out << std::ifstream(log).rdbuf();
  unlink(path);
  unlink(log.c_str());
  return rc == 0 ? "" : fmt::format("ptxas -arch=sm_{} failed:\n{}", arch, out.str());
}

// Compiles one program of kernels (with `all_targets`, for every target); returns the
// failures ("" if none).
std::string compile(const std::vector<Recorded>& kernels, size_t begin, size_t end, const std::string& ptxas,
                    bool all_targets) {
  std::string source(kiln::cuda::cuda_prelude());
  for (size_t i = begin; i < end; ++i) source += kernels[i].code;
  const std::string name = end - begin == 1 ? kernels[begin].name : fmt::format("kernels {}..{}", begin, end - 1);
  try {
    kiln::cuda::nvrtc_compile(source, name, 90, false);
    if (!all_targets) return "";
    kiln::cuda::NvrtcOutput ptx = kiln::cuda::nvrtc_compile(source, name, 80, false);
    kiln::cuda::nvrtc_compile(source, name, 90, true);
    return ptxas.empty() ? "" : assemble(ptxas, ptx.ptx, 80);
  } catch (const kiln::RuntimeError& e) {
    return e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kiln_cuda_compile_check DIR\n");
    return 2;
  }
  std::string why;
  if (!kiln::cuda::nvrtc_available(&why)) {
    fmt::print("SKIPPED: the CUDA compile-only test needs NVRTC: {}\n", why);
    return 77;
  }
  const std::vector<Recorded> kernels = read_dir(argv[1]);
  if (kernels.empty()) {
    fmt::print(stderr, "no recorded kernel (*.cu) in {}: run the cuda-emu differential tests first\n", argv[1]);
    return 2;
  }
  const kiln::cuda::NvrtcVersion v = kiln::cuda::nvrtc_version();
  const std::string ptxas = find_ptxas();
  fmt::print("NVRTC {}.{} ({}); ptxas: {}\n", v.major, v.minor, kiln::cuda::nvrtc_library(),
             ptxas.empty() ? "not found, PTX is not assembled" : ptxas);
  const auto start = std::chrono::steady_clock::now();
  // Every program compiled by a pool of threads; the failures are then reported in order.
  const size_t programs = (kernels.size() + kKernelsPerProgram - 1) / kKernelsPerProgram;
  std::vector<std::string> batch_errors(programs);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t p = next++; p < programs; p = next++) {
      const size_t b = p * kKernelsPerProgram, e = std::min(kernels.size(), b + kKernelsPerProgram);
      batch_errors[p] = compile(kernels, b, e, ptxas, p % kSampleEvery == 0);
    }
  };
  std::vector<std::thread> threads;
  const size_t workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, programs);
  for (size_t t = 0; t < workers; ++t) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  int failures = 0;
  for (size_t b = 0; b < kernels.size(); b += kKernelsPerProgram) {
    const size_t e = std::min(kernels.size(), b + kKernelsPerProgram);
    const bool all_targets = (b / kKernelsPerProgram) % kSampleEvery == 0;
    const std::string& batch_error = batch_errors[b / kKernelsPerProgram];
    if (batch_error.empty()) continue;
    const int before = failures;
    for (size_t i = b; i < e; ++i) {
      std::string error = compile(kernels, i, i + 1, ptxas, all_targets);
      if (error.empty()) continue;
      ++failures;
      fmt::print("FAILED: {}\n{}\n--- source ---\n{}\n", kernels[i].name, error, kernels[i].code);
    }
    if (failures == before) {  // each compiles alone, together they do not
      ++failures;
      fmt::print("FAILED: kernels {}..{} together:\n{}\n", b, e - 1, batch_error);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{} kernels compiled to PTX for sm_90, one program in {} also for sm_80 (PTX{}) and sm_90 (CUBIN), in "
             "{:.1f} s: {} failed\n",
             kernels.size(), kSampleEvery, ptxas.empty() ? "" : ", assembled", secs, failures);
  return failures == 0 ? 0 : 1;
}
