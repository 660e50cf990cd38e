// A real OAuth 2.0 server for the integration tests: oauth2-mock-server on 127.0.0.1, with a hook that
// reports every token request on stdout (one JSON line each) and rejects the client "rejected-client"
// the way an identity provider does. Usage: node server.mjs [port]. The first line is
// {"event":"ready","port":...,"jwks":{...}}: the public keys the tokens are signed with.
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

server.service.on('beforeResponse', (response, req) => {
  let clientId = req.body.client_id;
  let clientSecret = req.body.client_secret;
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString();
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon));
    clientSecret = decodeURIComponent(decoded.slice(colon + 1));
  }
  const record = { event: 'token', grant_type: req.body.grant_type, client_id: clientId, client_secret: clientSecret ?? null, scope: req.body.scope ?? null };
  process.stdout.write(JSON.stringify(record) + '\n');
  if (clientId === 'rejected-client') {
    response.statusCode = 401;
    response.body = { error: 'invalid_client', error_description: 'Client authentication failed' };
  }
});

await server.start(Number(process.argv[2] ?? 0), '127.0.0.1');
const port = server.address().port;
process.stdout.write(JSON.stringify({ event: 'ready', port, jwks: server.issuer.keys.toJSON() }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => server.stop().then(() => process.exit(0)));
