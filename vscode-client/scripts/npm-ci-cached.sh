#!/usr/bin/env sh
# `npm ci`, skipped when node_modules was installed from the same package-lock.json.
set -eu
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "node_modules up to date with package-lock.json"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
