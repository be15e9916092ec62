// Noticing that the client of a NON-streaming request went away (docs/server.md, "Clients that
// disconnect"). A stream notices at its next write; a plain JSON answer writes nothing until the
// end, so without this a vanished client would keep its KV blocks until max_tokens.
//
// cpp-httplib 0.11 (Debian) does not hand the handler its socket (newer releases have
// Request::is_connection_closed, which peeks the socket the same way). The socket of a request is
// found among the process's descriptors by its two addresses, which identify a TCP connection.
#pragma once
#include <string>

namespace llm::cli {

// The descriptor of the connected TCP socket whose local end is local_addr:local_port and remote
// end remote_addr:remote_port (numeric hosts, as httplib::Request holds them), or -1.
int find_connection_socket(const std::string& local_addr, int local_port, const std::string& remote_addr,
                           int remote_port);

// True when the peer has closed the connection (an orderly close or a reset). Does not block and
// consumes nothing (MSG_PEEK). A client that only half-closes (shutdown of its write side) after
// sending the request also counts as gone, as in newer cpp-httplib.
bool peer_closed(int fd);

}  // namespace llm::cli
