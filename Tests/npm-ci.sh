#!/usr/bin/env bash
# Sourced by a test folder's install.sh, from inside that folder: installs its npm packages (pinned in its
# package-lock.json) into its node_modules. Does nothing when they are already there for this package-lock.json.
# Installs Node.js and npm from Debian's packages when they are missing. Leaves file descriptor 9 holding the
# folder's lock, so several callers (two test runs, test.sh) take turns until the sourcing script ends.

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
