// Uses the public API only; prints a value the test script checks.
#include <kiln/kiln.hpp>

#include <cstdio>

int main() {
  kiln::Array x = kiln::arange(1, 5, 1, kiln::f32);        // 1 2 3 4
  kiln::Array s = kiln::sum(x * x);                       // 30
  std::printf("consumer: %g\n", s.item<double>());
  return s.item<float>() == 30.0f ? 0 : 1;
}
