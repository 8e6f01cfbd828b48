#!/bin/sh
# A tour of cron-heartbeat with no server and no configuration: three jobs
# report into a scratch directory (one fine, one failed, one silent for two
# days), then hb-check judges them and night-watch renders the panel.
#
# Builds the release binaries first; set HB_BIN to a directory holding
# already built binaries to skip that.
set -eu
cd "$(dirname "$0")/.."

if [ -z "${HB_BIN:-}" ]; then
  # The first build compiles every dependency, which takes minutes: say
  # so, and let cargo show its progress, so that it does not look like a
  # hang.
  echo "Building hb-write, hb-check and night-watch with cargo build --release (the first build compiles every dependency: minutes)..."
  cargo build --release --locked
  echo
  HB_BIN=${CARGO_TARGET_DIR:-target}/release
fi
HB_DIR=$(mktemp -d)
# The demo's runs keep their lock and what they remember (the last run, the
# alerts sent) in the scratch directory, apart from this host's own checks.
HB_LOCK_FILE=$HB_DIR/hb-check.lock
export HB_DIR HB_LOCK_FILE
trap 'rm -rf "$HB_DIR"' EXIT

echo "\$ hb-write backup 1d            # after a good nightly backup"
"$HB_BIN/hb-write" backup 1d
echo "\$ hb-write --exit-code 3 --message 'disk full' sync-mirror 10m"
"$HB_BIN/hb-write" --exit-code 3 --message 'disk full' sync-mirror 10m
# A job that last reported two days ago, written as any tool may write it.
then=$(date -u -d '2 days ago' +%Y-%m-%dT%H:%M:%SZ)
printf '{"version":1,"job":"rotate-logs","timestamp":"%s","interval_seconds":3600,"host":"%s","pid":1,"status":"ok"}\n' \
  "$then" "$(uname -n)" > "$HB_DIR/rotate-logs.last"
echo "\$ cat $HB_DIR/backup.last"
cat "$HB_DIR/backup.last"

echo
echo "\$ hb-check --expect backup --expect billing"
status=0
"$HB_BIN/hb-check" --expect backup --expect billing || status=$?
echo "(exit code $status: 2 means something is stale, failed, invalid or missing)"

echo
echo "\$ hb-check --expect backup --expect billing --quiet --notify \"exec:tee \$HB_DIR/alert.json\""
echo "# a notify destination: a webhook, ntfy, a chat or, here, a command that gets the alert's JSON"
"$HB_BIN/hb-check" --expect backup --expect billing --quiet --notify "exec:tee $HB_DIR/alert.json" || true
echo "# the alert's title and text, as a phone or a chat room shows them:"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["title"]); print(d["text"], end="")' "$HB_DIR/alert.json" 2>/dev/null ||
  head -c 600 "$HB_DIR/alert.json"

echo
echo "\$ night-watch"
"$HB_BIN/night-watch" --expect backup --expect billing
