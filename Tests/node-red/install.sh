#!/usr/bin/env bash
# Installs Node-RED (pinned in package-lock.json) for the Node-RED tests, into Tests/node-red/node_modules.
# Idempotent: does nothing when it is already there for this package-lock.json. Safe when several callers
# (two test runs, test.sh) run it at once: they take turns on a lock file.
# Needs Node.js >= 18 and npm; installs them from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

. ../npm-ci.sh
echo "node-red: installed"
