#!/usr/bin/env bash
# Seed pattern 4 (AAuth) by hand: curl + openssl + jq against the sample host.
# research-bot signs every request with its ed25519 key (the sample key; never use it elsewhere).
#   1. gets its agent token by signing with the key it enrolled,
#   2. calls the sample resource, which answers 401 with a resource token,
#   3. takes the resource token to the token server for a key-bound auth token,
#   4. calls the resource again with the auth token, signed; then replays that exact request (refused).
set -euo pipefail

HOST=${HOST:-http://127.0.0.1:5080}
KEY=${KEY:-$(dirname "$0")/../LumoAuth.Agents.SampleHost/AAuth/research-bot.sample-key.pem}
TOKEN_URL="$HOST/t/acme-corp/api/v1/aauth/agent/token"
RESOURCE_URL="$HOST/sample-api/articles"

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# The public key (JWK x) and its RFC 7638 thumbprint, used as keyid.
X=$(openssl pkey -in "$KEY" -pubout -outform DER | tail -c 32 | b64url)
KEYID=$(printf '{"crv":"Ed25519","kty":"OKP","x":"%s"}' "$X" | openssl dgst -sha256 -binary | b64url)

# sign METHOD URL SIGNATURE_KEY [BODY] [AUTHORIZATION] -> sets HEADERS (curl -H arguments) for a signed request.
sign() {
  local method=$1 url=$2 sigkey=$3 body=${4:-} authz=${5:-}
  local created nonce components base digest=""
  created=$(date +%s)
  nonce=$(openssl rand -hex 16)
  components='"@method" "@target-uri"'
  base=$(printf '"@method": %s\n"@target-uri": %s' "$method" "$url")
  HEADERS=()
  if [ -n "$body" ]; then
    digest="sha-256=:$(printf '%s' "$body" | openssl dgst -sha256 -binary | base64 -w0):"
    components="$components \"content-digest\" \"content-type\""
    base=$(printf '%s\n"content-digest": %s\n"content-type": application/json' "$base" "$digest")
    HEADERS+=(-H "Content-Type: application/json" -H "Content-Digest: $digest")
  fi
  if [ -n "$authz" ]; then
    components="$components \"authorization\""
    base=$(printf '%s\n"authorization": AAuth %s' "$base" "$authz")
    HEADERS+=(-H "Authorization: AAuth $authz")
  fi
  components="$components \"signature-key\""
  base=$(printf '%s\n"signature-key": %s' "$base" "$sigkey")
  local params="($components);created=$created;nonce=\"$nonce\";keyid=\"$KEYID\""
  base=$(printf '%s\n"@signature-params": %s' "$base" "$params")
  local signature basefile
  basefile=$(mktemp)
  printf '%s' "$base" > "$basefile"
  signature=$(openssl pkeyutl -sign -inkey "$KEY" -rawin -in "$basefile" | base64 -w0)
  rm -f "$basefile"
  HEADERS+=(-H "Signature-Key: $sigkey" -H "Signature-Input: sig=$params" -H "Signature: sig=:$signature:")
}

echo "== 1. agent token (signed with the enrolled key, conveyed inline)"
BODY='{"request_type":"agent","agent_id":"research-bot"}'
sign POST "$TOKEN_URL" "sig=hwk;kty=\"OKP\";crv=\"Ed25519\";x=\"$X\"" "$BODY"
AGENT_TOKEN=$(curl -sS --fail-with-body "${HEADERS[@]}" --data "$BODY" "$TOKEN_URL" | jq -r .agent_token)
echo "agent token: ${AGENT_TOKEN:0:40}..."

echo "== 2. call the resource: 401 with a resource token"
JWT_KEY="sig=jwt;jwt=\"$AGENT_TOKEN\""
sign GET "$RESOURCE_URL" "$JWT_KEY"
RESOURCE_TOKEN=$(curl -sS "${HEADERS[@]}" "$RESOURCE_URL" | jq -r .resource_token)
echo "resource token: ${RESOURCE_TOKEN:0:40}..."

echo "== 3. the seed's request: agent token + resource token + scope -> auth token"
BODY=$(jq -cn --arg a "$AGENT_TOKEN" --arg r "$RESOURCE_TOKEN" '{request_type:"auth",agent_token:$a,resource_token:$r,scope:"read:articles"}')
sign POST "$TOKEN_URL" "$JWT_KEY" "$BODY"
AUTH_TOKEN=$(curl -sS --fail-with-body "${HEADERS[@]}" --data "$BODY" "$TOKEN_URL" | jq -r .auth_token)
echo "auth token: ${AUTH_TOKEN:0:40}..."

echo "== 4. call the resource with the key-bound auth token"
sign GET "$RESOURCE_URL" "$JWT_KEY" "" "$AUTH_TOKEN"
curl -sS --fail-with-body "${HEADERS[@]}" "$RESOURCE_URL" | jq -c .
echo
echo "== 5. replay the same signed request: refused"
curl -sS -D - -o /dev/null "${HEADERS[@]}" "$RESOURCE_URL" | grep -iE '^(HTTP|signature-error)'
