"""A remote-controlled MCP client on the official Python SDK (`mcp` 2.3.x), driven by
`cargo xtask e2e`.

The xtask decides what to do and checks the outcome; this script only speaks MCP. It reads
one JSON command per line on stdin and answers each with one JSON line on stdout:

  {"op": "connect", "mode": "auto"|"legacy", "url": URL, "elicit": true}
  {"op": "connect", "mode": ..., "stdio": {"command": C, "args": [...], "env": {...}}, "elicit": false}
  {"op": "list_tools"}                                  -> {"tools": [...tool objects...]}
  {"op": "call", "tool": NAME, "args": {...}, "answer": "accept"|"decline"}
                                                        -> {"result": {...}, "asked": [messages]}
  {"op": "close"}
  {"op": "quit"}

Every answer carries "ok": true, or "ok": false with "error". With "elicit": true the client
declares elicitation and answers each question with the current call's "answer" (accept with
empty content, or decline); the questions it was asked come back in "asked". In `auto` mode the
SDK probes `server/discover` (2026-07-28) and falls back to `initialize`; `legacy` forces
`initialize`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib.metadata import version
from typing import Any

from mcp import Client, StdioServerParameters, types

MAX_PAGES = 100


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def describe(error: BaseException) -> str:
    # anyio task groups wrap the real failure; show the leaves.
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"


class Driver:
    def __init__(self) -> None:
        self.answer = "decline"
        self.asked: list[str] = []

    async def elicit(self, _context: Any, params: Any) -> Any:
        self.asked.append(getattr(params, "message", "") or "")
        if self.answer == "accept":
            return types.ElicitResult(action="accept", content={})
        return types.ElicitResult(action=self.answer)

    async def read(self) -> dict[str, Any] | None:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return None
        return json.loads(line)

    def reply(self, body: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(body) + "\n")
        sys.stdout.flush()

    async def run(self) -> None:
        while True:
            command = await self.read()
            if command is None or command.get("op") == "quit":
                return
            if command.get("op") != "connect":
                self.reply({"ok": False, "error": f"not connected; got {command.get('op')!r}"})
                continue
            try:
                await self.session(command)
            except BaseException as error:  # noqa: BLE001 - every failure becomes an answer
                if isinstance(error, (KeyboardInterrupt, SystemExit)):
                    raise
                self.reply({"ok": False, "error": describe(error)})

    async def session(self, command: dict[str, Any]) -> None:
        if "stdio" in command:
            spec = command["stdio"]
            server: Any = StdioServerParameters(command=spec["command"], args=spec.get("args", []), env=spec.get("env"))
        else:
            server = command["url"]
        callback = self.elicit if command.get("elicit") else None
        async with Client(
            server,
            mode=command.get("mode", "auto"),
            read_timeout_seconds=60,
            elicitation_callback=callback,
        ) as client:
            session = client.session
            info = client.server_info
            self.reply(
                {
                    "ok": True,
                    "sdkVersion": version("mcp"),
                    "protocolVersion": client.protocol_version,
                    "handshake": "server/discover" if session.discover_result is not None else "initialize",
                    "serverInfo": dump(info) if info is not None else None,
                }
            )
            while True:
                command = await self.read()
                if command is None:
                    return
                op = command.get("op")
                if op == "close":
                    break
                try:
                    self.reply(await self.handle(client, command))
                except Exception as error:  # noqa: BLE001 - the xtask judges failures
                    self.reply({"ok": False, "error": describe(error)})
        self.reply({"ok": True, "closed": True})

    async def handle(self, client: Client, command: dict[str, Any]) -> dict[str, Any]:
        op = command.get("op")
        if op == "list_tools":
            tools: list[Any] = []
            cursor = None
            for _ in range(MAX_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools.extend(dump(tool) for tool in page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return {"ok": True, "tools": tools}
        if op == "call":
            self.answer = command.get("answer", "decline")
            self.asked = []
            result = await client.call_tool(command["tool"], command.get("args", {}))
            return {"ok": True, "result": dump(result), "asked": self.asked}
        return {"ok": False, "error": f"unknown op {op!r}"}


def main() -> int:
    try:
        asyncio.run(Driver().run())
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
