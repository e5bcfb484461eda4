"""Drives Tessera's MCP endpoint with the official Python MCP SDK, as an
independent client would. Run by tests/api/mcp.rs against a live server:

    python client_test.py BASE_URL TOKEN ORG_ID FOREIGN_ORG_ID FOREIGN_USER_ID

Every check is an assert; the last line printed is a JSON summary. Any
failure exits non-zero with a traceback.
"""

import asyncio
import json
import sys

import httpx
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

TOOLS = {
    "listUsers",
    "getUser",
    "createUser",
    "updateUser",
    "removeUser",
    "updateMembership",
    "deactivateUser",
    "inviteUser",
    "requestAccess",
    "approveAccessRequest",
    "denyAccessRequest",
}


class Server:
    def __init__(self, base, token):
        self.url = base.rstrip("/") + "/api/mcp/v1"
        self.token = token

    def session(self, version):
        """A connected, initialized session speaking `version`."""
        return _Session(self, version)


class _Session:
    def __init__(self, server, version):
        self.server = server
        self.version = version

    async def __aenter__(self):
        # The SDK always offers its latest revision; a client built for an
        # older one offers that instead.
        types.LATEST_PROTOCOL_VERSION = self.version
        self.http = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {self.server.token}"},
            timeout=httpx.Timeout(30.0),
        )
        self.transport = streamable_http_client(self.server.url, http_client=self.http)
        read, write, _ = await self.transport.__aenter__()
        self.session = ClientSession(read, write)
        await self.session.__aenter__()
        self.init = await self.session.initialize()
        return self

    async def __aexit__(self, *exc):
        await self.session.__aexit__(*exc)
        await self.transport.__aexit__(*exc)
        await self.http.aclose()

    async def call(self, name, arguments):
        """A successful tool result's structured content (checked against
        the text block, which must carry the same JSON)."""
        result = await self.session.call_tool(name, arguments)
        assert not result.isError, f"{name} failed: {result.content}"
        assert result.structuredContent is not None, f"{name}: no structuredContent"
        assert len(result.content) == 1 and result.content[0].type == "text"
        assert json.loads(result.content[0].text) == result.structuredContent
        return result.structuredContent

    async def fail(self, name, arguments):
        """The message of a tool result that must be a domain error."""
        result = await self.session.call_tool(name, arguments)
        assert result.isError, f"{name} {arguments} should fail: {result.structuredContent}"
        return " ".join(c.text for c in result.content if c.type == "text")

    async def rpc_error(self, name, arguments):
        """The JSON-RPC error code a call must be refused with."""
        try:
            result = await self.session.call_tool(name, arguments)
        except McpError as e:
            return e.error.code
        raise AssertionError(f"{name} {arguments} should be a JSON-RPC error: {result}")


async def handshake(server, checked):
    for version in ("2025-03-26", "2025-06-18"):
        async with server.session(version) as s:
            init = s.init
            assert init.protocolVersion == version, (version, init.protocolVersion)
            assert init.serverInfo.name == "tessera"
            assert init.capabilities.tools is not None
            await s.session.send_ping()
            checked.append(f"initialize {version}")


async def tool_list(server, checked):
    async with server.session("2025-06-18") as s:
        tools = {t.name: t for t in (await s.session.list_tools()).tools}
        assert set(tools) == TOOLS, sorted(tools)
        for tool in tools.values():
            assert tool.inputSchema["type"] == "object", tool.name
            assert tool.outputSchema and tool.outputSchema["type"] == "object", tool.name
            assert tool.description, tool.name
        create = tools["createUser"].inputSchema
        assert set(create["required"]) == {
            "organization_id",
            "full_name",
            "email_address",
            "role",
            "kind",
        }, create["required"]
        assert set(tools["updateUser"].inputSchema["required"]) == {"id", "full_name", "kind"}
        assert set(tools["listUsers"].outputSchema["required"]) == {"users"}
        checked.append("tools/list")


async def lifecycle(server, org, checked):
    async with server.session("2025-06-18") as s:
        created = await s.call(
            "createUser",
            {
                "organization_id": org,
                "full_name": "Jane Smith",
                "email_address": "jane.smith@example.com",
                "role": "EMPLOYEE",
                "kind": "employee",
                "position": "Security Engineer",
                "contract_start_date": "2024-01-01T00:00:00Z",
            },
        )
        jane = created["user"]
        assert jane["organization_id"] == org
        assert jane["full_name"] == "Jane Smith"
        assert jane["email_address"] == "jane.smith@example.com"
        assert jane["state"] == "PENDING"
        assert jane["kind"] == "employee"
        assert jane["position"] == "Security Engineer"
        assert jane["contract_start_date"] == "2024-01-01T00:00:00.000000Z"
        assert jane["additional_email_addresses"] == []
        assert jane["membership"]["role"] == "EMPLOYEE"
        checked.append("createUser")

        got = await s.call("getUser", {"id": jane["id"]})
        assert got["user"] == jane, (got, jane)
        checked.append("getUser")

        for name, email, role in (
            ("Amy Adams", "amy@example.com", "VIEWER"),
            ("Bob Brown", "bob@example.com", "AUDITOR"),
        ):
            await s.call(
                "createUser",
                {
                    "organization_id": org,
                    "full_name": name,
                    "email_address": email,
                    "role": role,
                    "kind": None,
                },
            )

        # Four people (the OWNER and three new ones), two a page, by email.
        order = {"field": "EMAIL_ADDRESS", "direction": "ASC"}
        first = await s.call("listUsers", {"organization_id": org, "size": 2, "order_by": order})
        assert [u["email_address"] for u in first["users"]] == [
            "amy@example.com",
            "bob@example.com",
        ], first
        assert first.get("next_cursor"), first
        second = await s.call(
            "listUsers",
            {"organization_id": org, "size": 2, "order_by": order, "cursor": first["next_cursor"]},
        )
        assert [u["email_address"] for u in second["users"]] == [
            "jane.smith@example.com",
            "owner@example.com",
        ], second
        assert "next_cursor" not in second, second
        default = await s.call("listUsers", {"organization_id": org})
        assert len(default["users"]) == 4 and "next_cursor" not in default
        # Default order: newest first.
        created_at = [u["created_at"] for u in default["users"]]
        assert created_at == sorted(created_at, reverse=True), created_at
        found = await s.call(
            "listUsers", {"organization_id": org, "filter": {"query": "security eng"}}
        )
        assert [u["id"] for u in found["users"]] == [jane["id"]], found
        owners = await s.call("listUsers", {"organization_id": org, "filter": {"role": "OWNER"}})
        assert [u["email_address"] for u in owners["users"]] == ["owner@example.com"]
        pending = await s.call(
            "listUsers", {"organization_id": org, "filter": {"states": ["PENDING"]}}
        )
        assert len(pending["users"]) == 3, pending
        checked.append("listUsers")

        updated = await s.call(
            "updateUser",
            {
                "id": jane["id"],
                "full_name": "Jane Q. Smith",
                "kind": "contractor",
                "position": None,
                "additional_email_addresses": ["jane@home.example.com"],
            },
        )
        user = updated["user"]
        assert user["full_name"] == "Jane Q. Smith"
        assert user["kind"] == "contractor"
        assert user["position"] is None
        assert user["additional_email_addresses"] == ["jane@home.example.com"]
        # Omitted: kept.
        assert user["contract_start_date"] == jane["contract_start_date"]
        assert user["updated_at"] >= jane["updated_at"]
        checked.append("updateUser")

        membership = await s.call(
            "updateMembership",
            {
                "organization_id": org,
                "membership_id": jane["membership"]["id"],
                "role": "ADMIN",
            },
        )
        assert membership["membership"]["id"] == jane["membership"]["id"], membership
        assert membership["membership"]["role"] == "ADMIN"
        assert membership["membership"]["created_at"] == jane["membership"]["created_at"]
        again = await s.call("getUser", {"id": jane["id"]})
        assert again["user"]["membership"]["role"] == "ADMIN"
        checked.append("updateMembership")

        deactivated = await s.call(
            "deactivateUser", {"organization_id": org, "profile_id": jane["id"]}
        )
        assert deactivated["user"]["state"] == "DEACTIVATED"
        checked.append("deactivateUser")

        # Inviting a DEACTIVATED user brings it back to PENDING; without SMTP
        # (as in the tests) the result carries the link.
        invited = await s.call("inviteUser", {"organization_id": org, "profile_id": jane["id"]})
        assert len(invited["invitation_id"]) == 12, invited
        assert "/invitations/accept/?token=" in invited["link"], invited
        again = await s.call("getUser", {"id": jane["id"]})
        assert again["user"]["state"] == "PENDING", again
        checked.append("inviteUser")

        removed = await s.call("removeUser", {"organization_id": org, "profile_id": jane["id"]})
        assert removed == {"deleted_user_id": jane["id"]}
        message = await s.fail("getUser", {"id": jane["id"]})
        assert "not found" in message.lower(), message
        checked.append("removeUser")

        # The owner asks for BILLING for an hour; no one decides their own.
        asked = await s.call(
            "requestAccess",
            {
                "organization_id": org,
                "role": "BILLING",
                "tier": "account",
                "duration_seconds": 3600,
                "reason": "Quarterly invoices",
            },
        )
        request = asked["access_request"]
        assert request["status"] == "PENDING", request
        assert request["role_name"] == "BILLING"
        assert request["duration_seconds"] == 3600
        checked.append("requestAccess")
        decide = {"organization_id": org, "access_request_id": request["id"]}
        message = await s.fail("approveAccessRequest", decide)
        assert message == "You cannot decide your own access request.", message
        message = await s.fail("denyAccessRequest", decide)
        assert message == "You cannot decide your own access request.", message
        checked.append("approveAccessRequest")


async def errors(server, org, foreign_org, foreign_user, checked):
    async with server.session("2025-03-26") as s:
        # Malformed arguments and unknown tools: JSON-RPC -32602.
        assert await s.rpc_error("getUser", {}) == -32602
        assert await s.rpc_error("createUser", {"organization_id": org}) == -32602
        assert await s.rpc_error("listUsers", {"organization_id": org, "size": "ten"}) == -32602
        assert await s.rpc_error("listUsers", {"organization_id": org, "cursor": "nope"}) == -32602
        assert await s.rpc_error("noSuchTool", {}) == -32602
        checked.append("invalid params")

        # Domain failures: tool results with isError.
        taken = await s.fail(
            "createUser",
            {
                "organization_id": org,
                "full_name": "Owner Again",
                "email_address": "owner@example.com",
                "role": "EMPLOYEE",
                "kind": None,
            },
        )
        assert "email_address" in taken and "already exists" in taken, taken
        invalid = await s.fail(
            "createUser",
            {
                "organization_id": org,
                "full_name": "X",
                "email_address": "not-an-email",
                "role": "EMPLOYEE",
                "kind": "astronaut",
            },
        )
        assert "email_address" in invalid and "kind" in invalid, invalid
        # Another organization's ids are not found.
        for name, arguments in (
            ("getUser", {"id": foreign_user}),
            ("listUsers", {"organization_id": foreign_org}),
            ("removeUser", {"organization_id": org, "profile_id": foreign_user}),
            ("deactivateUser", {"organization_id": foreign_org, "profile_id": foreign_user}),
            ("inviteUser", {"organization_id": org, "profile_id": foreign_user}),
            ("updateUser", {"id": foreign_user, "full_name": "Mallory", "kind": None}),
        ):
            message = await s.fail(name, arguments)
            assert "not found" in message.lower(), (name, message)
        checked.append("domain errors")


async def main(base, token, org, foreign_org, foreign_user):
    server = Server(base, token)
    checked = []
    await handshake(server, checked)
    await tool_list(server, checked)
    await lifecycle(server, org, checked)
    await errors(server, org, foreign_org, foreign_user, checked)
    print(json.dumps({"ok": True, "checked": checked}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
