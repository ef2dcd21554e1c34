#!/bin/sh
# Real-server leak test for logwarden (optional; needs root on a Debian-like system).
#
# Installs Dovecot and Postfix from the distribution if they are missing, runs private instances on 127.0.0.1
# (high ports, everything under a temporary directory) with maximum debug logging, drives them with Python's
# imaplib/poplib/smtplib through every login mechanism, runs `logwarden sanitize` over the logs they wrote
# (Dovecot log, Postfix maillog, Dovecot rawlogs) and checks that no password, no base64 form of one and no
# message text survives.
#
# Usage: Tests/RealServers/run.sh            (builds logwarden with `swift build` unless LOGWARDEN is set;
#                                            re-runs itself with `sudo -n` when not root)
#        LOGWARDEN=/path/to/logwarden Tests/RealServers/run.sh
#        KEEP=1 Tests/RealServers/run.sh     (keep the temporary directory for inspection)
# Exit status: 0 no leak, 1 leak found, 2 the test itself failed, 77 skipped (servers unavailable).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

skip() {
  echo "real-server test skipped: $*" >&2
  exit 77
}

command -v python3 >/dev/null 2>&1 || skip "python3 not found"

# Build (or find) logwarden first, as the invoking user: the servers need root, the build does not.
if [ -z "${LOGWARDEN:-}" ]; then
  command -v swift >/dev/null 2>&1 || { echo "swift not found; set LOGWARDEN" >&2; exit 2; }
  (cd "$root" && swift build --product logwarden >&2) || { echo "swift build failed" >&2; exit 2; }
  LOGWARDEN="$(cd "$root" && swift build --show-bin-path)/logwarden"
fi
[ -x "$LOGWARDEN" ] || { echo "logwarden binary not found at $LOGWARDEN" >&2; exit 2; }
LOGWARDEN=$(cd "$(dirname "$LOGWARDEN")" && pwd)/$(basename "$LOGWARDEN")

# The servers need root (their system users, privileged setup): use passwordless sudo when not root.
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n env "LOGWARDEN=$LOGWARDEN" "KEEP=${KEEP:-}" "PATH=$PATH" sh "$0" "$@"
  fi
  skip "must run as root or with passwordless sudo (servers need their system users and privileged setup)"
fi

installed() {
  [ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/pop3 ] &&
    [ -x /usr/lib/dovecot/lmtp ] && [ -x /usr/sbin/postfix ]
}
packages="dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix"
if ! installed; then
  command -v apt-get >/dev/null 2>&1 || skip "Dovecot/Postfix missing and no apt-get"
  echo "installing $packages ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if ! apt-get install -y -q $packages >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    apt-get install -y -q $packages >/dev/null 2>&1 || skip "apt-get install $packages failed"
  fi
  installed || skip "Dovecot/Postfix still missing after apt-get install"
fi

PATH="/usr/sbin:/sbin:$PATH" exec python3 "$here/realservers.py" "$LOGWARDEN"
