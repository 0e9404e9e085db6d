#include "syncd/http/connection_table.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace nkd::syncd {
namespace {

// A connected pair of sockets: the table holds one end, the test watches the other.
struct SocketPair {
  int held = -1;
  int peer = -1;
  SocketPair() {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0) {
      held = ends[0];
      peer = ends[1];
    }
  }
  ~SocketPair() {
    ::close(held);
    ::close(peer);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  // Whether the table shut the held end down (the peer reads end of stream at once).
  [[nodiscard]] bool shut_down() const {
    char byte;
    return ::recv(peer, &byte, 1, MSG_DONTWAIT) == 0;
  }
};

TEST(ConnectionTable, AtTheAddressLimitTheLongestWaitingConnectionOfThatAddressMakesRoom) {
  std::vector<ConnectionTable::DropReason> drops;
  ConnectionTable table({.max_connections = 10, .max_connections_per_address = 2},
                        [&](ConnectionTable::DropReason reason) { drops.push_back(reason); });
  SocketPair first, second, other, third;
  auto first_ticket = table.admit(first.held, "10.0.0.1");
  auto second_ticket = table.admit(second.held, "10.0.0.1");
  auto other_ticket = table.admit(other.held, "10.0.0.2");
  ASSERT_TRUE(first_ticket && second_ticket && other_ticket);
  second_ticket->set_waiting(false);  // busy with a request: never evicted
  auto third_ticket = table.admit(third.held, "10.0.0.1");
  ASSERT_TRUE(third_ticket);
  EXPECT_TRUE(first.shut_down());
  EXPECT_FALSE(second.shut_down());
  EXPECT_FALSE(other.shut_down());
  EXPECT_EQ(drops, std::vector{ConnectionTable::DropReason::kEvicted});
}

TEST(ConnectionTable, RefusesWhenEveryConnectionIsBusyAndAdmitsAgainWhenOneEnds) {
  std::vector<ConnectionTable::DropReason> drops;
  ConnectionTable table({.max_connections = 2, .max_connections_per_address = 2},
                        [&](ConnectionTable::DropReason reason) { drops.push_back(reason); });
  SocketPair a, b, c;
  auto a_ticket = table.admit(a.held, "10.0.0.1");
  std::optional<ConnectionTable::Ticket> b_ticket = table.admit(b.held, "10.0.0.2");
  ASSERT_TRUE(a_ticket && b_ticket);
  a_ticket->set_waiting(false);
  b_ticket->set_waiting(false);
  EXPECT_FALSE(table.admit(c.held, "10.0.0.3"));
  EXPECT_EQ(drops, std::vector{ConnectionTable::DropReason::kRefusedBusy});
  b_ticket.reset();
  EXPECT_TRUE(table.admit(c.held, "10.0.0.3"));
}

TEST(ConnectionTable, ShuttingDownDisconnectsEveryoneAndRefusesNewcomers) {
  ConnectionTable table({}, {});
  SocketPair a, b;
  auto a_ticket = table.admit(a.held, "10.0.0.1");
  ASSERT_TRUE(a_ticket);
  a_ticket->set_waiting(false);
  table.shut_down_all();
  EXPECT_TRUE(a.shut_down());
  EXPECT_FALSE(table.admit(b.held, "10.0.0.1"));
}

}  // namespace
}  // namespace nkd::syncd
