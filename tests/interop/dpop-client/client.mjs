// A DPoP client written elsewhere (oauth4webapi, by the author of the OAuth specs' test suites) against the sample
// host and API: discovery, a client credentials grant with DPoP, then a call to the API with the bound token.
// Usage: node client.mjs <issuer> <client_id> <client_secret> <api_url>. Prints one JSON line with what happened.
import * as oauth from 'oauth4webapi'

const [issuerText, clientId, clientSecret, apiText] = process.argv.slice(2)
const issuer = new URL(issuerText)
const insecure = { [oauth.allowInsecureRequests]: true } // the test servers listen on loopback http

const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }))
const client = { client_id: clientId }
const keyPair = await oauth.generateKeyPair('ES256')
const DPoP = oauth.DPoP(client, keyPair)

async function token () {
  try {
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(clientSecret), { scope: 'read:articles' }, { DPoP, ...insecure })
    return await oauth.processClientCredentialsResponse(as, client, response)
  } catch (error) {
    if (oauth.isDPoPNonceError(error)) {
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(clientSecret), { scope: 'read:articles' }, { DPoP, ...insecure })
      return await oauth.processClientCredentialsResponse(as, client, response)
    }
    throw error
  }
}

const result = await token()
const response = await oauth.protectedResourceRequest(result.access_token, 'GET', new URL(apiText), new Headers(), null, { DPoP, ...insecure })
const body = await response.json()
const stolen = await fetch(apiText, { headers: { authorization: `Bearer ${result.access_token}` } })
console.log(JSON.stringify({
  token_type: result.token_type,
  jkt: JSON.parse(Buffer.from(result.access_token.split('.')[1], 'base64url')).cnf?.jkt ?? null,
  status: response.status,
  caller: body.caller?.in_words ?? body.caller ?? null,
  bearer_replay_status: stolen.status
}))
