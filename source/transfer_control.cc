#include "source/transfer_control.h"

#include <sys/socket.h>

#include <algorithm>

#include "common/egress.h"

namespace nkd::source {

namespace {

thread_local TransferControl* current_control = nullptr;

}  // namespace

TransferControl::Transfer TransferControl::begin(std::chrono::milliseconds timeout,
                                                 std::string setting, DialPolicy policy) {
  {
    std::lock_guard lock(mutex_);
    policy_ = std::move(policy);
    if (!policy_.resolver) policy_.resolver = resolve_host;
    connection_error_.reset();
    running_ = true;
    timeout_ = timeout;
    // The real clock, not an injected one: the deadline ends a libgit2 transfer on real sockets
    // (shut down by watch(), handed to poll() through remaining_ms()), which simulated time
    // could not bound.
    deadline_ = std::chrono::steady_clock::now() + timeout;
    setting_ = std::move(setting);
    activity_.clear();
    interruption_.reset();
    if (cancelled_)
      interrupt_locked(Error{ErrorCode::kUnavailable, "not started: nkd is stopping"});
  }
  watcher_ = std::thread([this] { watch(); });
  current_control = this;
  return Transfer(*this);
}

TransferControl::Transfer::~Transfer() { control_->finish(); }

void TransferControl::finish() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
    sockets_.clear();
  }
  changed_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  current_control = nullptr;
}

TransferControl* TransferControl::current() { return current_control; }

void TransferControl::watch() {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline_, [this] { return !running_ || interruption_.has_value(); });
  if (running_ && !interruption_) {
    interrupt_locked(Error{ErrorCode::kTimeout, "timed out after " +
                                                    std::to_string(timeout_.count()) + " ms (" +
                                                    setting_ + ")" + activity_});
  }
}

void TransferControl::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (running_) interrupt_locked(Error{ErrorCode::kUnavailable, "interrupted: nkd is stopping"});
}

void TransferControl::expire() {
  std::lock_guard lock(mutex_);
  if (!interruption_) {
    interrupt_locked(Error{ErrorCode::kTimeout, "timed out after " +
                                                    std::to_string(timeout_.count()) + " ms (" +
                                                    setting_ + ")" + activity_});
  }
}

void TransferControl::interrupt_locked(Error reason) {
  if (!interruption_) interruption_ = std::move(reason);
  // shutdown(), not close(): the descriptor stays valid (and is not reused) until its owner
  // closes it, while every blocked call on it returns now.
  for (const int fd : sockets_) shutdown(fd, SHUT_RDWR);
  changed_.notify_all();
}

bool TransferControl::add_socket(int fd) {
  std::lock_guard lock(mutex_);
  if (!running_ || interruption_) {
    shutdown(fd, SHUT_RDWR);
    return false;
  }
  sockets_.insert(fd);
  return true;
}

void TransferControl::remove_socket(int fd) {
  std::lock_guard lock(mutex_);
  sockets_.erase(fd);
}

void TransferControl::set_activity(std::string activity) {
  std::lock_guard lock(mutex_);
  activity_ = " " + std::move(activity);
}

int TransferControl::remaining_ms() const {
  std::lock_guard lock(mutex_);
  // Real time, as the deadline (see begin()): the result is a socket timeout for the kernel.
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 24 * 3'600'000));
}

Result<std::vector<IpAddress>> TransferControl::allowed_addresses(const std::string& host,
                                                                 int port) {
  DialPolicy policy;
  {
    std::lock_guard lock(mutex_);
    policy = policy_;
  }
  // A literal address is taken as it is; a name is resolved once, here.
  auto addresses = parse_ip(host) ? Result<std::vector<IpAddress>>(std::vector{*parse_ip(host)})
                                  : policy.resolver(host, port);
  if (addresses) {
    if (auto status = check_addresses(host, *addresses, policy.allow); !status) {
      addresses = Result<std::vector<IpAddress>>(status.error());
    }
  }
  if (!addresses) record_connection_error(addresses.error());
  return addresses;
}

void TransferControl::record_connection_error(Error error) {
  std::lock_guard lock(mutex_);
  connection_error_ = std::move(error);
}

std::optional<Error> TransferControl::connection_error() const {
  std::lock_guard lock(mutex_);
  return connection_error_;
}

std::optional<Error> TransferControl::interruption() const {
  std::lock_guard lock(mutex_);
  return interruption_;
}

}  // namespace nkd::source
