#include "state/etcd_connection.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace nkd::state {

void EtcdConnection::back_off(int tried) {
  thread_local std::mt19937 random(std::random_device{}());
  const int ceiling_ms = 1 << std::min(tried, 6);
  std::uniform_int_distribution<int> pause_ms(0, ceiling_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
}

}  // namespace nkd::state
