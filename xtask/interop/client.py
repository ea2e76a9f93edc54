"""Interop client on the official Python SDK (`mcp` 2.3.x), driven by `cargo xtask interop`.

Usage: python client.py [--mode auto|legacy] --url http://127.0.0.1:PORT/mcp TOOL
       python client.py [--mode auto|legacy] --stdio TOOL -- COMMAND [ARGS...]

In `auto` mode (the SDK default) the client probes `server/discover` first and falls back to
`initialize`; `legacy` forces `initialize`. It lists the tools (following `nextCursor`),
calls TOOL with no arguments and prints ONE JSON line on stdout describing what it saw.
The judging (is the tool there, is the text right) is done by the xtask, not here.
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib.metadata import version
from typing import Any

from mcp import Client, StdioServerParameters

MAX_PAGES = 100


def parse_args(argv: list[str]) -> dict[str, Any]:
    head, command = argv, []
    if "--" in argv:
        split = argv.index("--")
        head, command = argv[:split], argv[split + 1 :]
    mode = "auto"
    if len(head) >= 2 and head[0] == "--mode":
        mode, head = head[1], head[2:]
    if mode not in ("auto", "legacy"):
        raise ValueError(f"unknown --mode {mode!r}")
    if len(head) == 3 and head[0] == "--url" and not command:
        return {"mode": mode, "server": head[1], "tool": head[2]}
    if len(head) == 2 and head[0] == "--stdio" and command:
        params = StdioServerParameters(command=command[0], args=command[1:])
        return {"mode": mode, "server": params, "tool": head[1]}
    raise ValueError("usage: client.py [--mode auto|legacy] (--url URL TOOL | --stdio TOOL -- COMMAND [ARGS...])")


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(report: dict[str, Any], argv: list[str]) -> None:
    args = parse_args(argv)
    report["mode"] = args["mode"]
    report["step"] = "connect"
    async with Client(args["server"], mode=args["mode"], read_timeout_seconds=30) as client:
        session = client.session
        report["protocolVersion"] = client.protocol_version
        # Which handshake won: `server/discover` (2026-07-28 era) or legacy `initialize`.
        report["handshake"] = "server/discover" if session.discover_result is not None else "initialize"
        info = client.server_info
        report["serverInfo"] = dump(info) if info is not None else None

        report["step"] = "tools/list"
        tools: list[str] = []
        cursor = None
        for _ in range(MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools.extend(tool.name for tool in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        report["tools"] = tools

        report["step"] = "tools/call"
        result = await client.call_tool(args["tool"], {})
        report["callResult"] = dump(result)
        report["step"] = "close"
    report["ok"] = True
    report["step"] = "done"


def describe(error: BaseException) -> str:
    # anyio task groups wrap the real failure; show the leaves, not "unhandled errors in a TaskGroup".
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"


def main() -> int:
    report: dict[str, Any] = {"client": "python", "sdkVersion": version("mcp"), "ok": False, "step": "args"}
    try:
        asyncio.run(run(report, sys.argv[1:]))
    except BaseException as error:  # noqa: BLE001 - every failure becomes a report line
        report["ok"] = False
        report["error"] = describe(error)
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
