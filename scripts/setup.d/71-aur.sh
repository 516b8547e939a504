#!/usr/bin/env bash
# The AUR tests (platforms/aur, tests/aur_*.rs, the conformance line):
#   - makepkg + pacman-package-manager (Debian's build of pacman 6): `makepkg --printsrcinfo`,
#     the reference tagship's .SRCINFO must equal byte for byte (run as a non-root user),
#     and `makepkg` itself, which builds the package from a local archive (with
#     libarchive-tools: makepkg extracts sources with bsdtar);
#   - openssh-server: scripts/servers/sshd.sh starts a private sshd on 127.0.0.1 (never the
#     packaged service: policy-rc.d / no systemd keeps it from starting), serving bare repos
#     as the AUR does, over git-shell;
#   - the user `aurgit` whose login shell is git-shell (only git commands), unlocked
#     (`usermod -p '*'`: sshd refuses a locked account even for key logins with UsePAM no).
# Idempotent: skips apt when every tool is installed and the user when it exists.
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
need=()
command -v makepkg >/dev/null 2>&1 || need+=(makepkg)
command -v vercmp >/dev/null 2>&1 || need+=(pacman-package-manager)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v bsdtar >/dev/null 2>&1 || need+=(libarchive-tools)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null
fi
shell="$(command -v git-shell || true)"
[ -n "$shell" ] || shell="$(git --exec-path)/git-shell"
[ -x "$shell" ] || { echo "71-aur.sh: git-shell not found (install git)" >&2; exit 1; }
if ! id aurgit >/dev/null 2>&1; then
  $SUDO useradd --system --create-home --home-dir /var/lib/tagship-aurgit --shell "$shell" aurgit
fi
$SUDO usermod -p '*' -s "$shell" aurgit
makepkg --version | sed -n 1p >&2  # sed reads to the end: no SIGPIPE under pipefail
/usr/sbin/sshd -V 2>&1 | head -n 1 >&2 || true
