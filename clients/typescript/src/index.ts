/**
 * A typed client of Tessera's REST API: `paths` and `components` are
 * generated from openapi/openapi.json by openapi-typescript (`npm run
 * generate`), and every call goes through openapi-fetch, so paths, path and
 * query parameters, bodies and answers are all checked by the compiler.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, paths } from "./schema";

export interface TesseraClientOptions extends ClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A JWT from `POST /auth/obtain/`, sent as `Authorization: JWT <token>`. */
  token?: string;
}

/** A client of one Tessera server, authenticated when `token` is given. */
export function createTesseraClient({ token, ...options }: TesseraClientOptions): Client<paths> {
  const client = createClient<paths>(options);
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        request.headers.set("Authorization", `JWT ${token}`);
      },
    });
  }
  return client;
}

/** An answer that is not a 2xx: its status and its (typed by the caller) body. */
export class TesseraError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`Tessera answered ${status}: ${JSON.stringify(body)}`);
    this.name = "TesseraError";
  }
}

/** What openapi-fetch answers: `data` on a 2xx, `error` otherwise. */
type Answer = { data?: unknown; error?: unknown; response: Response };

/** The type of `data` in an answer's 2xx branch. */
type DataOf<A> = A extends { data: infer D; error?: never } ? D : never;

/** The data of a 2xx answer; throws a {@link TesseraError} for any other. */
export function unwrap<A extends Answer>(answer: A): DataOf<A> {
  if (!answer.response.ok || answer.error !== undefined) {
    throw new TesseraError(answer.response.status, answer.error);
  }
  // A 2xx: openapi-fetch has set `data` (undefined only for a 204).
  return answer.data as DataOf<A>;
}
