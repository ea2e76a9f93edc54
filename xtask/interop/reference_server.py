"""A minimal MCP server on the official Python SDK, for checking the xtask harness itself.

It serves only the conformance fixture's `test_simple_text`, so `cargo xtask interop` must pass
against it and `cargo xtask conformance` must run to the end and report the scenarios it cannot
serve as failures. See xtask/README.md ("Checking the harness itself").

Usage: python reference_server.py                       (stdio)
       python reference_server.py --http 127.0.0.1:PORT (Streamable HTTP at /mcp)
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("xtask-reference-server")


@server.tool()
def test_simple_text() -> str:
    """Returns the conformance fixture's simple text."""
    return "This is a simple text response for testing."


def main(argv: list[str]) -> None:
    if len(argv) == 2 and argv[0] == "--http":
        host, _, port = argv[1].rpartition(":")
        server.run("streamable-http", host=host, port=int(port))
    elif not argv:
        server.run()
    else:
        sys.exit("usage: reference_server.py [--http HOST:PORT]")


if __name__ == "__main__":
    main(sys.argv[1:])
