#!/usr/bin/env bash
# Rebuilds ../wwwroot/vendor/codemirror.js from the versions pinned in package-lock.json. The output is committed:
# the server serves it as it is, so running the console never needs npm. Run this only to change CodeMirror.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
mkdir -p ../wwwroot/vendor
npx esbuild codemirror-entry.js --bundle --format=esm --minify --legal-comments=eof \
  --outfile=../wwwroot/vendor/codemirror.js
echo "wrote $(wc -c < ../wwwroot/vendor/codemirror.js) bytes to wwwroot/vendor/codemirror.js"
