/**
 * Compile-time checks only (tsc, never run): the generated types refuse what
 * the document does not allow. Each `@ts-expect-error` fails the type check
 * if the line below it ever compiles, e.g. if a schema degrades to `any`.
 */
import { createTesseraClient, unwrap } from "../src/index.ts";

export async function refusedByTheCompiler(): Promise<void> {
  const api = createTesseraClient({ baseUrl: "http://127.0.0.1:8080", token: "t" });
  // @ts-expect-error: no such path
  await api.GET("/no-such-path/");
  // @ts-expect-error: `name` is required by UserWrite
  await api.POST("/users/", { body: { email: "a@example.com" } });
  await api.POST("/users/", {
    // @ts-expect-error: `kind` is an enum
    body: { email: "a@example.com", name: "A", kind: "robot" },
  });
  await api.POST("/users/", {
    // @ts-expect-error: a tier is account, team, scope or target
    body: { email: "a@example.com", name: "A", user_roles: [{ role: "VIEWER", scope: { tier: "planet" } }] },
  });
  // @ts-expect-error: the path parameter is required
  await api.GET("/users/{id}/", {});
  // @ts-expect-error: `active` is a boolean
  await api.GET("/users/", { params: { query: { active: "yes" } } });
  const user = unwrap(await api.GET("/users/{id}/", { params: { path: { id: "x" } } }));
  // @ts-expect-error: a user has no `password` to read
  void user.password;
  const email: string = user.email;
  void email;
}
