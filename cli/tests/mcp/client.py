"""Drives `mlobs mcp serve` with the official Python MCP client (the `mcp`
package of the reference venv), for cli/tests/mcp.rs.

Reads one JSON object on stdin: {"transport": "stdio" | "http",
"command": [...], "env": {...}} for stdio, {"url", "token"} for HTTP, and
"calls": [{"name", "arguments"}]. Prints one JSON object: the tools listed
(name -> input schema), each call's outcome (is_error, structured content,
text), the transport, and for HTTP the status and body of requests without the token and
with a wrong one (and with the token on another path). The Rust test
holds the truth and judges; this only talks.
"""

import asyncio
import json
import sys

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "mlobs-test", "version": "1"},
    },
}


async def session_work(session, calls):
    await session.initialize()
    listed = await session.list_tools()
    out = {"tools": {t.name: t.inputSchema for t in listed.tools}, "calls": []}
    for call in calls:
        result = await session.call_tool(call["name"], call["arguments"])
        text = "".join(b.text for b in result.content if b.type == "text")
        out["calls"].append(
            {
                "name": call["name"],
                "is_error": bool(result.isError),
                "structured": result.structuredContent,
                "text": text,
            }
        )
    return out


def refused(url, headers):
    """An initialize request with `headers`: its status and body."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        **headers,
    }
    response = httpx.post(url, json=INITIALIZE, headers=headers, timeout=10)
    return {"status": response.status_code, "body": response.text}


async def main():
    request = json.load(sys.stdin)
    calls = request["calls"]
    if request["transport"] == "stdio":
        command = request["command"]
        params = StdioServerParameters(
            command=command[0], args=command[1:], env=request["env"]
        )
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                out = await session_work(session, calls)
    else:
        url, token = request["url"], request["token"]
        out = {
            "no_token": refused(url, {}),
            "wrong_token": refused(url, {"Authorization": "Bearer " + token + "x"}),
            "wrong_path": refused(
                url.replace("/mcp", "/other"), {"Authorization": "Bearer " + token}
            ),
        }
        headers = {"Authorization": "Bearer " + token}
        async with streamablehttp_client(url, headers=headers) as (read, write, _):
            async with ClientSession(read, write) as session:
                out.update(await session_work(session, calls))
    out["transport"] = request["transport"]
    json.dump(out, sys.stdout)


asyncio.run(main())
