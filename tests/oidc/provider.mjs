// A real OpenID Provider for Tessera's SSO tests: panva's oidc-provider
// (OpenID Certified), on 127.0.0.1 and a free port. It prints one JSON line
// {"issuer": ...} once it listens, and exits when its standard input closes
// (so a test that dies takes it along).
//
// Arguments: the redirect URI Tessera registers (its /sso/oidc/callback/).
// Environment: PORT (default 0: a free one) to restart on the same issuer;
// CLOCK_OFFSET (seconds, default 0) to run the provider's clock early or
// late, so its ID tokens are expired or issued in the future. Each start
// signs with a new RSA key: a restart is a key rotation.
// Accounts: any login works through the development login form (any
// password); the accounts below carry claims:
//   alice  alice@corp.example, verified, groups ["engineering", "admins"]
//   bob    bob@corp.example, verified, no groups
//   eve    eve@corp.example, NOT verified
//   olga   olga@other.example, verified (another organization's domain)
// Any other login `name` gets `name@corp.example`, verified, no groups.
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const redirectUri = process.argv[2];
if (!redirectUri) {
  console.error('usage: node provider.mjs <redirect_uri>');
  process.exit(2);
}

const ACCOUNTS = {
  alice: { email: 'alice@corp.example', email_verified: true, groups: ['engineering', 'admins'] },
  bob: { email: 'bob@corp.example', email_verified: true, groups: [] },
  eve: { email: 'eve@corp.example', email_verified: false, groups: [] },
  olga: { email: 'olga@other.example', email_verified: true, groups: [] },
};

function account(id) {
  return ACCOUNTS[id] ?? { email: `${id}@corp.example`, email_verified: true, groups: [] };
}

const offset = Number(process.env.CLOCK_OFFSET ?? 0) * 1000;
if (offset) {
  const realNow = Date.now;
  Date.now = () => realNow() + offset;
}

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), use: 'sig', alg: 'RS256', kid: `k${Date.now()}` };

const server = http.createServer();
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'tessera',
      client_secret: 'tessera-client-secret-0123456789',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    jwks: { keys: [signingKey] },
    // Long enough for a clock run early (CLOCK_OFFSET) to keep its cookies.
    ttl: { Interaction: 86400, Session: 86400, Grant: 86400, IdToken: 3600, AuthorizationCode: 600 },
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    // The ID token carries the claims of the scopes granted (Tessera reads
    // email and groups from it, not from userinfo).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    findAccount(ctx, id) {
      const a = account(id);
      return {
        accountId: id,
        async claims() {
          return { sub: id, name: id, ...a };
        },
      };
    },
    cookies: { keys: ['tessera-test-provider-cookie-key'] },
  });
  // The provider runs on plain http on the loopback interface.
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  // Anything else it would print goes nowhere (the test reads one line).
  console.log = () => {};
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
