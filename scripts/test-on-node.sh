#!/usr/bin/env bash
# Runs the store contracts and the server's end-to-end tests on another major line of Node.js:
#   bash scripts/test-on-node.sh 26
# Node comes from the npm registry (the platform package of `node`), with its headers for native addons; the
# project is installed afresh for it in a copy of the working tree, since native addons are built per
# Node version. The machine's own Node runs `npm test`.
set -euo pipefail
major=${1:?which major version of Node.js}
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$tools" "$work"' EXIT
# The platform's package of the `node` npm package: the binary in bin/, Node's headers (for node-gyp)
# in include/.
platform=$(node -p '`node-${process.platform}-${process.arch}`')
npm install --prefix "$tools" --no-save --no-audit --no-fund "$platform@$major" >/dev/null
home="$tools/node_modules/$platform"
bin="$home/bin"
git -C "$root" ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$work")
cd "$work"
export PATH="$bin:$PATH"
echo "Node $(node --version) in $work"
npm ci --no-audit --no-fund --nodedir="$home" >/dev/null
npx vitest run --no-coverage test/contract test/e2e/http-api.test.ts test/e2e/serve-process.test.ts \
  test/e2e/metadata-filters.test.ts test/e2e/stats-and-wait.test.ts test/e2e/api-keys.test.ts test/e2e/cli.test.ts
