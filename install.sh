#!/bin/sh
# Installs logwarden: builds a release binary and installs it with its man pages, example policies, the demo logs,
# shell completions and example cron/systemd files under $DESTDIR$PREFIX. `./install.sh --uninstall` removes exactly
# what was installed (and what a demo run wrote into the demo directory), using the manifest written at install time.
#
#   PREFIX            install prefix (default /usr/local); e.g. PREFIX=$HOME/.local to install without root
#   DESTDIR           staging root for packaging (default empty)
#   LOGWARDEN_BINARY  install this logwarden binary instead of building one (no build dependencies needed)
#
# Installed:
#   $PREFIX/bin/logwarden
#   $PREFIX/share/man/man1/logwarden.1, $PREFIX/share/man/man5/logwarden-policy.5
#   $PREFIX/share/logwarden/policies/*.yaml      example policies (demo.yaml points at the demo logs below)
#   $PREFIX/share/logwarden/demo/logs/…          the demo logs (a demo run adds demo/archive and demo/state)
#   $PREFIX/share/logwarden/examples/            logwarden.cron, logwarden.service, logwarden.timer
#   bash, zsh and fish completions
#   $PREFIX/share/logwarden/install-manifest     what --uninstall removes
set -eu

PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
ROOT="$DESTDIR$PREFIX"
SHARE="$ROOT/share/logwarden"
MANIFEST="$SHARE/install-manifest"
cd "$(dirname "$0")"

say() { printf '%s\n' "install.sh: $*" >&2; }

case "$PREFIX" in
  /*) ;;
  *) say "PREFIX must be an absolute path, got '$PREFIX'"; exit 64 ;;
esac

# Removes what the manifest lists: files, then the demo tree, then the directories install.sh created (deepest
# first, and only when empty). Paths in the manifest are relative to DESTDIR.
remove_listed() { # remove_listed MANIFEST_COPY
  while IFS= read -r line; do
    case "$line" in
      dir:* | tree:* | "") ;;
      *) if [ -f "$DESTDIR$line" ] || [ -L "$DESTDIR$line" ]; then rm -f "$DESTDIR$line"; fi ;;
    esac
  done < "$1"
  sed -n 's/^tree://p' "$1" | while IFS= read -r tree; do
    case "$tree" in
      */share/logwarden/demo) rm -rf "$DESTDIR$tree" ;;
      *) say "not removing unexpected tree '$tree'" ;;
    esac
  done
  sed -n 's/^dir://p' "$1" | sort -r | while IFS= read -r dir; do
    if [ -d "$DESTDIR$dir" ]; then rmdir "$DESTDIR$dir" 2>/dev/null || say "kept $DESTDIR$dir (not empty)"; fi
  done
}

if [ "${1:-}" = "--uninstall" ] && [ $# -eq 1 ]; then
  if [ ! -f "$MANIFEST" ]; then
    say "nothing to uninstall: $MANIFEST not found"
    exit 0
  fi
  copy=$(mktemp)
  trap 'rm -f "$copy"' EXIT
  cp "$MANIFEST" "$copy"
  rm -f "$MANIFEST"
  remove_listed "$copy"
  say "uninstalled from $ROOT"
  exit 0
fi
if [ $# -gt 0 ]; then
  say "usage: [PREFIX=/usr/local] [DESTDIR=] [LOGWARDEN_BINARY=path] ./install.sh [--uninstall]"
  exit 64
fi

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if [ -n "${LOGWARDEN_BINARY:-}" ]; then
  [ -x "$LOGWARDEN_BINARY" ] || { say "LOGWARDEN_BINARY=$LOGWARDEN_BINARY is not an executable file"; exit 66; }
  BIN=$LOGWARDEN_BINARY
else
  # Build dependencies (Debian/Ubuntu): install them when we can.
  need_pkgs=""
  for pkg in zlib1g-dev libdeflate-dev libzstd-dev libsqlite3-dev pkg-config; do
    if command -v dpkg-query >/dev/null 2>&1 && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
      need_pkgs="$need_pkgs $pkg"
    fi
  done
  if [ -n "$need_pkgs" ]; then
    if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
      say "installing build dependencies:$need_pkgs"
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      # shellcheck disable=SC2086
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need_pkgs >/dev/null
    else
      say "missing build dependencies:$need_pkgs (install them with apt-get as root)"
      exit 69
    fi
  fi
  command -v swift >/dev/null 2>&1 || { say "swift not found in PATH"; exit 69; }
  say "building release binary"
  swift build -c release --product logwarden --static-swift-stdlib >&2
  BIN="$(swift build -c release --product logwarden --static-swift-stdlib --show-bin-path)/logwarden"
fi

# Can we write there? (Say so before copying anything.)
probe=$ROOT
while [ ! -d "$probe" ]; do probe=$(dirname "$probe"); done
if [ ! -w "$probe" ]; then
  say "cannot write to $probe: run as root, or choose another prefix (e.g. PREFIX=\$HOME/.local ./install.sh)"
  exit 73
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
NEW="$tmp/manifest"
: > "$NEW"

# Keep the record of directories an earlier install created (they are still ours to remove).
if [ -f "$MANIFEST" ]; then
  grep '^dir:' "$MANIFEST" >> "$NEW" || true
fi

# The demo tree is ours: a reinstall starts it afresh (logs back, no archives or state from an earlier demo run).
if [ -f "$MANIFEST" ] && grep -qx "tree:$PREFIX/share/logwarden/demo" "$MANIFEST"; then
  rm -rf "$SHARE/demo"
fi

# mkdir -p that records, parent first, every directory it creates (relative to DESTDIR, never DESTDIR itself).
ensure_dir() {
  missing=""
  d=$1
  while [ ! -d "$d" ] && [ "$d" != "$DESTDIR" ] && [ "$d" != "/" ]; do
    missing="$d
$missing"
    d=$(dirname "$d")
  done
  mkdir -p "$1"
  printf '%s' "$missing" | while IFS= read -r m; do
    [ -n "$m" ] && printf 'dir:%s\n' "${m#"$DESTDIR"}" >> "$NEW"
  done
  return 0
}

# Paths in installed text files: /usr/local becomes $PREFIX.
prefix_sed=$(printf '%s' "$PREFIX" | sed 's/[\\&|]/\\&/g')
rewrite() { sed "s|/usr/local/share/logwarden|$prefix_sed/share/logwarden|g; s|/usr/local/bin/logwarden|$prefix_sed/bin/logwarden|g" "$1"; }

put() { # put MODE SOURCE TARGET(relative to PREFIX) [rewrite]
  ensure_dir "$(dirname "$ROOT/$3")"
  if [ "${4:-}" = rewrite ]; then rewrite "$2" > "$ROOT/$3.tmp.$$"; else cp "$2" "$ROOT/$3.tmp.$$"; fi
  chmod "$1" "$ROOT/$3.tmp.$$"
  mv -f "$ROOT/$3.tmp.$$" "$ROOT/$3"
  printf '%s\n' "$PREFIX/$3" >> "$NEW"
}

put 0755 "$BIN" bin/logwarden
for page in Man/*.1; do [ -f "$page" ] && put 0644 "$page" "share/man/man1/$(basename "$page")" rewrite; done
for page in Man/*.5; do [ -f "$page" ] && put 0644 "$page" "share/man/man5/$(basename "$page")" rewrite; done
for policy in Policies/*.yaml; do [ -f "$policy" ] && put 0644 "$policy" "share/logwarden/policies/$(basename "$policy")" rewrite; done
for example in Examples/*; do [ -f "$example" ] && put 0644 "$example" "share/logwarden/examples/$(basename "$example")" rewrite; done

# The demo logs, and the demo directory as a whole (a demo run writes archive/ and state/ into it).
if [ -d Policies/demo-logs ]; then
  ensure_dir "$SHARE/demo"
  printf '%s\n' "tree:$PREFIX/share/logwarden/demo" >> "$NEW"
  (cd Policies/demo-logs && find . -type f | sed 's|^\./||' | sort) > "$tmp/demo-files"
  while IFS= read -r file; do
    put 0644 "Policies/demo-logs/$file" "share/logwarden/demo/logs/$file"
  done < "$tmp/demo-files"
fi

# Shell completions generated by the binary itself.
if "$BIN" --generate-completion-script bash > "$tmp/logwarden" 2>/dev/null; then
  put 0644 "$tmp/logwarden" share/bash-completion/completions/logwarden
fi
if "$BIN" --generate-completion-script zsh > "$tmp/_logwarden" 2>/dev/null; then
  put 0644 "$tmp/_logwarden" share/zsh/site-functions/_logwarden
fi
if "$BIN" --generate-completion-script fish > "$tmp/logwarden.fish" 2>/dev/null; then
  put 0644 "$tmp/logwarden.fish" share/fish/vendor_completions.d/logwarden.fish
fi

# Files an earlier install put there that this one no longer has.
if [ -f "$MANIFEST" ]; then
  grep -v -e '^dir:' -e '^tree:' -e '/share/logwarden/install-manifest$' "$MANIFEST" | while IFS= read -r old; do
    if ! grep -qxF "$old" "$NEW"; then rm -f "$DESTDIR$old"; fi
  done
fi

ensure_dir "$SHARE"
printf '%s\n' "$PREFIX/share/logwarden/install-manifest" >> "$NEW"
sort -u "$NEW" > "$MANIFEST.tmp.$$"
chmod 0644 "$MANIFEST.tmp.$$"
mv -f "$MANIFEST.tmp.$$" "$MANIFEST"
say "installed $(grep -c -v -e '^dir:' -e '^tree:' "$MANIFEST") files under $ROOT (manifest: $MANIFEST)"
say "try: $PREFIX/bin/logwarden run --policy $PREFIX/share/logwarden/policies/demo.yaml"
