#!/usr/bin/env bash
# Installs MQTT.js (pinned in package-lock.json) for Tests/ThirdPartyClientTests.cs, into Tests/mqttjs/node_modules.
# Idempotent and safe to run by several callers at once (see ../npm-ci.sh).
set -euo pipefail
cd "$(dirname "$0")"

. ../npm-ci.sh
echo "mqttjs: installed"
