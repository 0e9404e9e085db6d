// The plain TCP stream libgit2 uses for every network transport: git:// and http:// directly,
// https:// beneath its TLS stream, ssh:// beneath libssh2. Registered once per process in place
// of libgit2's own, which (in 1.5) blocks in connect() and recv() without any timeout.
// Each socket binds to the TransferControl running on the thread that opens it: it connects only
// to addresses that transfer's dial policy resolved and allowed, no wait lasts past that
// transfer's deadline, and cancelling the transfer ends every wait at once. A socket
// opened outside a transfer waits at most kUnboundWaitMs per connect, read or write.
#pragma once

namespace nkd::source {

inline constexpr int kUnboundWaitMs = 120'000;

// Makes libgit2 open its sockets through this stream. Idempotent; called by ensure_initialized().
void install_bounded_socket_stream();

}  // namespace nkd::source
