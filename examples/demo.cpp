// The kiln demo: a lazy expression over a million elements, reduced, printed with the text
// IR that kiln recorded for it. Nothing is computed until a value is asked for; then kiln
// fuses, compiles (or loads from its cache) and runs the kernels.
#include <kiln/kiln.hpp>

#include <cstdio>
#include <iostream>

int main() {
  constexpr int64_t n = 1 << 20;
  // x = 0, 1/1024, 2/1024, ... : f32[1048576]
  kiln::Array x = kiln::arange(0, n, 1, kiln::f32) / 1024.0f;
  kiln::Array y = kiln::sin(x) * kiln::cos(x) + kiln::exp(-x * x);
  kiln::Array s = kiln::sum(y);
  kiln::Array m = kiln::max(y);

  std::cout << "The recorded graph of sum(y) (nothing has run yet):\n" << kiln::dump(s) << "\n";

  kiln::eval(s, m);  // one evaluation for both
  std::printf("sum(sin(x)*cos(x) + exp(-x*x)) over %lld elements = %.6f\n", static_cast<long long>(n),
              s.item<double>());
  std::printf("max = %.6f, mean = %.6f\n", m.item<double>(), kiln::mean(y).item<double>());
  std::cout << "first values of y: " << y.slice({{0, 6}}) << "\n";

  kiln::Array a = kiln::from_vector<float>({1, 2, 3, 4}, {2, 2});
  kiln::Array mm = kiln::matmul(a, kiln::transpose(a));
  std::cout << "a @ a.T =\n" << mm << "\n";
  std::cout << "softmax of each row of a =\n" << kiln::softmax(a, 1) << "\n";

  kiln::Stats st = kiln::stats();
  std::printf("kernels compiled: %lld, loaded from the disk cache: %lld, launches: %lld\n",
              static_cast<long long>(st.kernels_compiled), static_cast<long long>(st.disk_hits),
              static_cast<long long>(st.launches));

  // Mistakes are reported with the line that made them.
  try {
    kiln::Array bad = a + kiln::ones({3});
    (void)bad;
  } catch (const kiln::Error& e) {
    std::cout << "error, as expected: " << e.what() << "\n";
  }
  return 0;
}
