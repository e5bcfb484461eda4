/**
 * README's walk-through, through the typed client, against a live server:
 * tests/typescript/run.sh starts `tessera serve` on a fresh database whose
 * OWNER is admin@example.com and passes its base URL and password in BASE
 * and PASSWORD. A missing variable fails the run: it is never skipped.
 *
 * The lines between `readme:start` and `readme:end` are the ones README's
 * "A typed TypeScript client" section shows; the first test checks that the
 * README still shows them, the second runs them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { createTesseraClient, TesseraError, unwrap } from "../src/index.ts";

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (tests/typescript/run.sh sets it)`);
  return value;
}

const BASE = env("BASE");
const PASSWORD = env("PASSWORD");

/** The lines of `text` between the lines that are `start` and `end` (trimmed). */
function between(text: string, start: string, end: string): string {
  const lines = text.split("\n");
  const from = lines.findIndex((l) => l.trim() === start);
  const to = lines.findIndex((l) => l.trim() === end);
  assert.ok(from >= 0 && to > from, `${start} ... ${end} marker lines`);
  return lines.slice(from + 1, to).join("\n") + "\n";
}

/** `text` less the indentation its lines share. */
function dedent(text: string): string {
  const lines = text.split("\n");
  const indent = Math.min(
    ...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(indent)).join("\n");
}

test("README shows this test's calls", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const block = between(readme, "<!-- typescript:start -->", "<!-- typescript:end -->");
  assert.ok(block.startsWith("```ts\n") && block.endsWith("```\n"), block);
  const code = block.slice("```ts\n".length, -"```\n".length);
  const source = readFileSync(fileURLToPath(import.meta.url), "utf8");
  const shown = dedent(between(source, "// readme:start", "// readme:end"));
  assert.ok(
    code.includes(shown),
    `README's TypeScript block must contain, as written, the lines this test runs:\n${shown}`,
  );
});

test("README's walk-through through the typed client", async () => {
  // readme:start
  // 1. Obtain a token; the client sends it with every call.
  const guest = createTesseraClient({ baseUrl: BASE });
  const { token } = unwrap(
    await guest.POST("/auth/obtain/", {
      body: { username: "admin@example.com", password: PASSWORD },
    }),
  );
  const api = createTesseraClient({ baseUrl: BASE, token });
  // 2. Create a user: the body is checked against the UserWrite schema.
  const jane = unwrap(
    await api.POST("/users/", {
      body: {
        email: "jane@example.com", name: "Jane Smith", title: "seceng", kind: "employee",
        user_roles: [{ role: "VIEWER", scope: { tier: "account" } }],
      },
    }),
  );
  // 3. Get the user; 4. list users: searched, filtered, ordered and paginated.
  const user = unwrap(await api.GET("/users/{id}/", { params: { path: { id: jane.id } } }));
  const page = unwrap(
    await api.GET("/users/", {
      params: { query: { search: "jane", active: true, ordering: "-created", page: 1, length: 20 } },
    }),
  );
  console.log(user.email, user.user_roles[0]?.role.name, page.count); // jane@example.com VIEWER 1
  // readme:end

  assert.equal(jane.email, "jane@example.com");
  assert.equal(jane.state, "PENDING");
  assert.equal(user.id, jane.id);
  assert.equal(user.name, "Jane Smith");
  assert.equal(user.title, "seceng");
  assert.equal(user.kind, "employee");
  assert.equal(user.user_roles.length, 1);
  assert.equal(user.user_roles[0]?.role.name, "VIEWER");
  assert.equal(user.user_roles[0]?.scope.tier, "account");
  assert.equal(page.count, 1);
  assert.equal(page.length, 20);
  assert.equal(page.page, 1);
  assert.deepEqual(
    page.results.map((u) => u.id),
    [jane.id],
  );
  // The filters reach the server: nobody inactive matches "jane".
  const inactive = unwrap(
    await api.GET("/users/", { params: { query: { search: "jane", active: false } } }),
  );
  assert.equal(inactive.count, 0);

  // An error answer is typed by its status: a duplicate email is a 400
  // naming the field.
  const duplicate = await api.POST("/users/", {
    body: { email: "jane@example.com", name: "Jane Again" },
  });
  assert.equal(duplicate.response.status, 400);
  assert.ok(duplicate.error && "email" in duplicate.error, JSON.stringify(duplicate.error));
  assert.throws(() => unwrap(duplicate), (e) => e instanceof TesseraError && e.status === 400);
  // No token: a 401 answer, not data.
  const anonymous = await guest.GET("/users/{id}/", { params: { path: { id: jane.id } } });
  assert.equal(anonymous.response.status, 401);
  assert.equal(anonymous.data, undefined);

  // 5. Create a team, and make Jane ADMIN of that team only (she stays
  //    VIEWER of the organization).
  const team = unwrap(await api.POST("/teams/", { body: { name: "Blue team" } }));
  const granted = unwrap(
    await api.PATCH("/users/{id}/", {
      params: { path: { id: jane.id } },
      body: {
        user_roles: [
          { role: "VIEWER" },
          { role: "ADMIN", scope: { tier: "team" }, team: team.id },
        ],
      },
    }),
  );
  assert.equal(granted.user_roles.length, 2, JSON.stringify(granted.user_roles));
  const teamRole = granted.user_roles.find((r) => r.scope.tier === "team");
  assert.ok(teamRole, JSON.stringify(granted.user_roles));
  assert.equal(teamRole.role.name, "ADMIN");
  assert.equal(teamRole.team?.id, team.id);
  assert.equal(teamRole.team?.name, "Blue team");
  // A repeated query parameter: users with a role in that team.
  const inTeam = unwrap(await api.GET("/users/", { params: { query: { team: [team.id] } } }));
  assert.deepEqual(
    inTeam.results.map((u) => u.id),
    [jane.id],
  );

  // 6. Invite Jane (PENDING: she has no password yet). Without SMTP the
  //    answer carries the link.
  const invitation = unwrap(await api.POST("/invitations/", { body: { user: jane.id } }));
  assert.equal(invitation.status, "PENDING");
  assert.equal(invitation.user.id, jane.id);
  assert.ok(invitation.link, "without SMTP the answer carries the link");
  const linkToken = new URL(invitation.link).searchParams.get("token");
  assert.ok(linkToken, invitation.link);

  // 7. Jane posts the link's token with her password, then logs in.
  const accepted = await guest.POST("/invitations/accept/", {
    body: { token: linkToken, password: "jane-secret-42" },
  });
  assert.equal(accepted.response.status, 204, JSON.stringify(accepted.error));
  const janeToken = unwrap(
    await guest.POST("/auth/obtain/", {
      body: { username: "jane@example.com", password: "jane-secret-42" },
    }),
  );
  assert.ok(janeToken.token);
  const asJane = createTesseraClient({ baseUrl: BASE, token: janeToken.token });
  const profile = unwrap(await asJane.GET("/profile/"));
  assert.equal(profile.id, jane.id);
  assert.equal(profile.state, "ACTIVE");
});
