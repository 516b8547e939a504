#!/usr/bin/env bash
# The OCI registry tests (platforms/docker, tests/docker_registry.rs, the conformance line):
#   - docker-registry (Debian's build of distribution 2.8), started by scripts/servers/oci_registry.sh
#   - apache2-utils (htpasswd -B: the registry only reads bcrypt entries)
#   - skopeo and umoci: independent clients that inspect, pull and unpack what tagship pushed
#   - openssl: the token-auth test signs its JWTs with a throwaway certificate it makes
# Skips apt entirely when every tool is installed.
set -euo pipefail
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  # policy-rc.d (or no systemd) keeps the packaged registry service from starting: the tests
  # start their own on 127.0.0.1 with their own config.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null
fi
docker-registry --version >&2
skopeo --version >&2
umoci --version >&2
