#!/usr/bin/env bash
# oci_registry.sh DIR [PORT] — start Debian's docker-registry (distribution 2.8) on
# 127.0.0.1 with its own config in DIR (never the packaged /etc one), deletes enabled
# (tests delete a blob or a manifest behind tagship's back) unless OCI_DELETE=0 (then a
# DELETE gets 405 UNSUPPORTED, as on Docker Hub). Environment:
#   OCI_AUTH=basic (default)  htpasswd (bcrypt) user `tester` / $OCI_PASSWORD (random if unset)
#   OCI_AUTH=token            `auth: token`: JWTs signed by the certificate $OCI_TOKEN_CERT, issued
#                             at $OCI_TOKEN_REALM (scripts/servers/oci_token.sh) for service
#                             $OCI_TOKEN_SERVICE (default tagship-registry)
#   OCI_RELATIVE_URLS=1       relative `Location` headers (so uploads go back through a proxy)
# Prints one JSON line:
# {"url":"http://127.0.0.1:P","user":"tester","password":"...","port":P,"pid":N,
#  "log":"DIR/registry.log","data":"DIR/data","repositories":"DIR/data/docker/registry/v2/repositories"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-$(free_port)}"
command -v docker-registry >/dev/null || die "docker-registry missing; run scripts/setup.d/50-oci.sh"
USER_NAME="tester"
PASSWORD="${OCI_PASSWORD:-$(rand_secret 20)}"
LOG="$DIR/registry.log"
mkdir -p "$DIR/data"
case "${OCI_AUTH:-basic}" in
  basic)
    command -v htpasswd >/dev/null || die "htpasswd missing; run scripts/setup.d/50-oci.sh"
    htpasswd -Bbc "$DIR/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
    AUTH="  htpasswd: {realm: tagship-registry, path: $DIR/htpasswd}" ;;
  token)
    [ -n "${OCI_TOKEN_REALM:-}" ] && [ -s "${OCI_TOKEN_CERT:-}" ] \
      || die "OCI_AUTH=token needs OCI_TOKEN_REALM and OCI_TOKEN_CERT (scripts/servers/oci_token.sh)"
    AUTH="  token: {realm: \"$OCI_TOKEN_REALM\", service: ${OCI_TOKEN_SERVICE:-tagship-registry}, issuer: tagship-test-issuer, rootcertbundle: $OCI_TOKEN_CERT}" ;;
  *) die "OCI_AUTH must be basic or token" ;;
esac
DELETE=true
[ "${OCI_DELETE:-1}" = 0 ] && DELETE=false
RELATIVE=false
[ "${OCI_RELATIVE_URLS:-0}" = 1 ] && RELATIVE=true
cat > "$DIR/config.yml" <<YAML
version: 0.1
log: {level: info, fields: {service: registry}}
storage:
  filesystem: {rootdirectory: $DIR/data}
  delete: {enabled: $DELETE}
http:
  addr: 127.0.0.1:$PORT
  secret: $(rand_secret 32)
  relativeurls: $RELATIVE
auth:
$AUTH
YAML
start_bg registry "$LOG" docker-registry serve "$DIR/config.yml"
URL="http://127.0.0.1:$PORT"
wait_http "$URL/v2/" 30
json url "$URL" user "$USER_NAME" password "$PASSWORD" port "$PORT" pid "$SERVER_PID" log "$LOG" \
  data "$DIR/data" repositories "$DIR/data/docker/registry/v2/repositories"
