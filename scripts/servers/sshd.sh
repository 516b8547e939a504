#!/usr/bin/env bash
# sshd.sh DIR [PORT] — an AUR-like git remote: a private OpenSSH server on 127.0.0.1 (never
# the packaged service) with a throwaway ed25519 host key, serving bare repositories to one
# user whose shell only allows git (git-shell), with key authentication only.
#   As root: the user `aurgit` made by scripts/setup.d/71-aur.sh (login shell git-shell); its
#   repositories and authorized_keys live under its home in a per-server directory `srv`
#   (sshd reads authorized_keys as that user, and the test's DIR is private to root).
#   Not root: sshd can only serve the user running it; `ForceCommand git-shell` keeps that
#   user to git commands.
# Environment: SSHD_REPOS="a-bin b-bin" creates those empty bare repositories.
# Prints one JSON line:
# {"port":P,"pid":N,"user":"aurgit","base":"ssh://aurgit@127.0.0.1:P","repos":"SRV/repos",
#  "srv":SRV,"key":"DIR/client_ed25519","known_hosts":"DIR/known_hosts",
#  "wrong_known_hosts":"DIR/known_hosts.wrong","log":"DIR/sshd.log"}
# A repository's URL is "$base$repos/<name>.git".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
init_dir "${1:-}"
PORT="${2:-$(free_port)}"
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || die "$SSHD missing; run scripts/setup.d/71-aur.sh"
command -v ssh-keygen >/dev/null || die "ssh-keygen missing; run scripts/setup.d/71-aur.sh"
SHELL_BIN="$(command -v git-shell || echo "$(git --exec-path)/git-shell")"
[ -x "$SHELL_BIN" ] || die "git-shell missing; install git"
LOG="$DIR/sshd.log"
keygen() { rm -f "$1" "$1.pub"; ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1"; }
keygen "$DIR/host_ed25519" tagship-test-host
keygen "$DIR/client_ed25519" tagship-test-client
keygen "$DIR/other_host_ed25519" tagship-test-other-host
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/host_ed25519.pub")" > "$DIR/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/other_host_ed25519.pub")" > "$DIR/known_hosts.wrong"
if [ "$(id -u)" -eq 0 ]; then
  USER_NAME=aurgit
  id "$USER_NAME" >/dev/null 2>&1 || die "user $USER_NAME missing; run scripts/setup.d/71-aur.sh"
  HOME_DIR="$(getent passwd "$USER_NAME" | cut -d: -f6)"
  [ "$(getent passwd "$USER_NAME" | cut -d: -f7)" = "$SHELL_BIN" ] \
    || die "$USER_NAME's shell is not $SHELL_BIN; run scripts/setup.d/71-aur.sh"
  SRV="$HOME_DIR/srv-$PORT-$(rand_secret 8)"
  FORCE=""
  mkdir -p /run/sshd
else
  USER_NAME="$(id -un)"
  SRV="$DIR/srv"
  FORCE="ForceCommand $SHELL_BIN -c \"\$SSH_ORIGINAL_COMMAND\""
fi
mkdir -p "$SRV/repos"
cp "$DIR/client_ed25519.pub" "$SRV/authorized_keys"
for name in ${SSHD_REPOS:-}; do
  git init --quiet --bare "$SRV/repos/$name.git"
done
[ "$(id -u)" -eq 0 ] && chown -R "$USER_NAME:" "$SRV"
echo "$SRV" > "$DIR/srv.path"
cat > "$DIR/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_ed25519
PidFile $DIR/sshd.pid.daemon
AuthorizedKeysFile $SRV/authorized_keys
AllowUsers $USER_NAME
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
LogLevel VERBOSE
$FORCE
CFG
start_bg sshd "$LOG" "$SSHD" -D -e -f "$DIR/sshd_config"
i=0
until "$SYS_PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$PORT" 2>/dev/null; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail_start "sshd exited during startup"
  [ "$i" -lt 100 ] || fail_start "sshd is not listening on $PORT after 10s"
  sleep 0.1; i=$((i + 1))
done
json port "$PORT" pid "$SERVER_PID" user "$USER_NAME" base "ssh://$USER_NAME@127.0.0.1:$PORT" \
  repos "$SRV/repos" srv "$SRV" key "$DIR/client_ed25519" known_hosts "$DIR/known_hosts" \
  wrong_known_hosts "$DIR/known_hosts.wrong" log "$LOG"
