#!/usr/bin/env bash
# oci_token.sh DIR [PORT] — start scripts/servers/oci_token.py, the token issuer for the
# registry's `auth: token` mode (oci_registry.sh with OCI_AUTH=token). It makes a throwaway
# RSA key and self-signed certificate in DIR with openssl; the registry trusts that
# certificate. User `tester` / $OCI_PASSWORD (random if unset). Prints one JSON line:
# {"url":"http://127.0.0.1:P/token","cert":"DIR/token-cert.pem","user":"tester","password":"...",
#  "tokens":"DIR/tokens.log","port":P,"pid":N,"log":"DIR/oci_token.log"}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-0}"
command -v openssl >/dev/null || die "openssl missing; run scripts/setup.d/50-oci.sh"
export OCI_USER="tester"
export OCI_PASSWORD="${OCI_PASSWORD:-$(rand_secret 20)}"
LOG="$DIR/oci_token.log"
rm -f "$DIR/oci_token.port"
: > "$DIR/tokens.log"
start_bg oci_token "$LOG" "$SYS_PYTHON" "$SERVERS_DIR/oci_token.py" "$DIR" --port "$PORT" \
  --port-file "$DIR/oci_token.port"
PORT="$(wait_port_file "$DIR/oci_token.port")"
json url "http://127.0.0.1:$PORT/token" cert "$DIR/token-cert.pem" user "$OCI_USER" \
  password "$OCI_PASSWORD" tokens "$DIR/tokens.log" port "$PORT" pid "$SERVER_PID" log "$LOG"
