#!/usr/bin/env bash
# Installs npm's code-server (pinned, node 20) and the Debian packages the end-to-end test needs,
# without reaching anything but the package registries. Idempotent: a finished install is
# recorded by a stamp file and reused.
#
#   install-code-server.sh PREFIX    -> PREFIX/node_modules/.bin/code-server
#
# Offline fixes:
# - @vscode/ripgrep's postinstall downloads rg from GitHub unless its download cache already
#   holds the release archive: $TMPDIR/vscode-ripgrep-cache-<pkg version>/ripgrep-<tag>-<target>.tar.gz.
#   We put Debian's ripgrep there, packed under the expected name.
# - node-gyp would download node headers; npm_config_nodedir points it at the installed ones.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
PREFIX="${1:?usage: install-code-server.sh PREFIX}"
STAMP="$PREFIX/.installed-$CODE_SERVER_VERSION"

if [ -f "$STAMP" ] && [ -x "$PREFIX/node_modules/.bin/code-server" ]; then
  echo "code-server $CODE_SERVER_VERSION already installed in $PREFIX"
  exit 0
fi

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${need_apt[*]} (run: sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
  echo "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != 20 ]; then
  echo "code-server $CODE_SERVER_VERSION needs node 20, found $(node --version)" >&2
  exit 1
fi

# Seed @vscode/ripgrep's download cache with Debian's rg. The package version and release tag
# are those locked by code-server 4.100.3 (lib/vscode/npm-shrinkwrap.json, and VERSION in
# @vscode/ripgrep's lib/postinstall.js); bump them together with CODE_SERVER_VERSION.
RG_PKG_VERSION="${RG_PKG_VERSION:-1.15.11}"
RG_TAG="${RG_TAG:-v13.0.0-10}"
mkdir -p "$PREFIX"
export TMPDIR="$PREFIX/tmp"
rg_cache="$TMPDIR/vscode-ripgrep-cache-$RG_PKG_VERSION"
mkdir -p "$rg_cache"
case "$(node -p 'process.arch')" in
  x64) target=x86_64-unknown-linux-musl ;;
  arm64) target=aarch64-unknown-linux-musl ;;
  *) echo "unsupported architecture $(node -p 'process.arch')" >&2; exit 1 ;;
esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$(command -v rg)" "$work/rg"
tar -C "$work" -czf "$rg_cache/ripgrep-$RG_TAG-$target.tar.gz" rg

cd "$PREFIX"
[ -f package.json ] || echo '{"name":"backend-audit-code-server","private":true}' > package.json
export npm_config_unsafe_perm=true npm_config_yes=true
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
npm install --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION"
rg_bin="node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
if [ ! -x "$rg_bin" ]; then
  echo "code-server installed without $rg_bin: RG_PKG_VERSION/RG_TAG do not match this code-server" >&2
  exit 1
fi
touch "$STAMP"
echo "installed code-server $CODE_SERVER_VERSION in $PREFIX"
