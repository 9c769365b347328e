// The one header of daemon/ that includes Boost.Asio and Beast. Boost 1.74's
// awaitable.hpp uses std::exchange without including <utility>, which g++ 12
// in C++20 mode no longer pulls in transitively: include it first.
#ifndef CREDITD_DAEMON_ASIO_INTERNAL_H_
#define CREDITD_DAEMON_ASIO_INTERNAL_H_

// clang-format off
#include <utility>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
// clang-format on

namespace creditd {
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
}  // namespace creditd

#endif  // CREDITD_DAEMON_ASIO_INTERNAL_H_
