#!/usr/bin/env bash
# Installs Node-RED (pinned in package-lock.json) for the Node-RED tests, into Tests/node-red/node_modules.
# Idempotent: does nothing when it is already there for this package-lock.json. Safe when several callers
# (two test runs, test.sh) run it at once: they take turns on a lock file.
# Needs Node.js >= 18 and npm; installs them from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null || true
  $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

exec 9>.install.lock
flock -w 600 9

stamp=node_modules/.mqttiot-installed
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
echo "node-red: installed"
