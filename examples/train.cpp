// The kiln demo: a small neural network trained by gradient descent, entirely through kiln.
//
// The data set is "two moons": 2-D points of two classes on interleaved half circles. The
// model is an MLP 2 -> 32 -> 32 -> 1 with tanh, trained full-batch on the logistic loss. Each
// step builds the loss as a lazy expression, asks kiln for its gradient with respect to the
// six parameters (symbolic reverse mode: the gradient is more graph, simplified and fused
// with the loss), and evaluates the loss and the updated parameters together. The kernels
// are compiled in the first step only; every later step finds them in the cache (the
// learning rate is a launch parameter, not a constant in the code).
#include <kiln/kiln.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

constexpr int64_t kPoints = 1024;  // per class
constexpr int64_t kHidden = 32;
constexpr int kSteps = 400;
constexpr float kLearningRate = 0.5f;

struct Data {
  kiln::Array x;  // f32[2 * kPoints, 2]
  kiln::Array y;  // f32[2 * kPoints, 1]: +1 or -1
};

Data two_moons() {
  using namespace kiln;
  Array t = random_uniform({kPoints}, 1, f32, 0.0, M_PI);
  Array upper = stack({cos(t), sin(t)}, 1);
  Array lower = stack({1.0f - cos(t), 0.5f - sin(t)}, 1);
  Array x = concat({upper, lower}, 0) + 0.1f * random_normal({2 * kPoints, 2}, 2);
  Array y = concat({ones({kPoints, 1}), -ones({kPoints, 1})}, 0);
  eval(x, y);
  return {x, y};
}

// A weight matrix with entries of variance 1/fan_in, and a zero bias.
kiln::Array init_weight(int64_t fan_in, int64_t fan_out, uint64_t seed) {
  kiln::Array w = kiln::random_normal({fan_in, fan_out}, seed) * static_cast<float>(1.0 / std::sqrt(fan_in));
  return w.eval();
}

// The model's logits for points x, given params {w1, b1, w2, b2, w3, b3}.
kiln::Array logits(const std::vector<kiln::Array>& p, const kiln::Array& x) {
  kiln::Array h1 = kiln::tanh(kiln::matmul(x, p[0]) + p[1]);
  kiln::Array h2 = kiln::tanh(kiln::matmul(h1, p[2]) + p[3]);
  return kiln::matmul(h2, p[4]) + p[5];
}

// mean(log(1 + exp(-y z))), written so that it never overflows.
kiln::Array logistic_loss(const kiln::Array& z, const kiln::Array& y) {
  kiln::Array m = -y * z;
  return kiln::mean(kiln::maximum(m, 0.0f) + kiln::log1p(kiln::exp(-kiln::abs(m))));
}

}  // namespace

int main() {
  Data data = two_moons();
  std::vector<kiln::Array> params = {init_weight(2, kHidden, 10),       kiln::zeros({kHidden}).eval(),
                                     init_weight(kHidden, kHidden, 11), kiln::zeros({kHidden}).eval(),
                                     init_weight(kHidden, 1, 12),       kiln::zeros({1}).eval()};
  std::printf("two moons: %lld points; MLP 2-%lld-%lld-1, tanh; full-batch gradient descent, lr %.2f\n\n",
              static_cast<long long>(2 * kPoints), static_cast<long long>(kHidden), static_cast<long long>(kHidden),
              kLearningRate);
  std::printf("%6s  %10s  %9s  %17s  %16s\n", "step", "loss", "accuracy", "kernels compiled", "launches/step");
  for (int step = 1; step <= kSteps; ++step) {
    kiln::Array z = logits(params, data.x);
    kiln::ValueAndGrad vg = kiln::value_and_grad(logistic_loss(z, data.y), params);
    std::vector<kiln::Array> next;
    for (size_t i = 0; i < params.size(); ++i) next.push_back(params[i] - kLearningRate * vg.grads[i]);
    bool report = step == 1 || step % 50 == 0;
    int64_t launches_before = kiln::stats().launches;
    kiln::Array accuracy = kiln::mean(kiln::cast(z * data.y > 0.0f, kiln::f32));
    std::vector<kiln::Array> outputs = next;
    outputs.push_back(vg.value);
    outputs.push_back(accuracy);
    kiln::eval(outputs);  // one evaluation: loss, accuracy and the new parameters, every step
    params = next;
    if (report) {
      kiln::Stats s = kiln::stats();
      std::printf("%6d  %10.6f  %8.2f%%  %17lld  %16lld\n", step, vg.value.item<float>(), 100.0 * accuracy.item<float>(),
                  static_cast<long long>(s.kernels_compiled), static_cast<long long>(s.launches - launches_before));
    }
  }
  kiln::Stats s = kiln::stats();
  std::printf("\n%lld evaluations, %lld kernel launches; %lld kernels compiled (%.1f ms), %lld loaded from the disk cache\n",
              static_cast<long long>(s.evaluations), static_cast<long long>(s.launches),
              static_cast<long long>(s.kernels_compiled), s.compile_ms, static_cast<long long>(s.disk_hits));
  std::printf("(a second run of this program loads every kernel from the disk cache: KILN_CACHE_DIR)\n");
  return 0;
}
