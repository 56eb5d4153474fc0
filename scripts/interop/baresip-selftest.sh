#!/usr/bin/env bash
# Tests the baresip harness without our gateway: one baresip-uas.sh instance answers, a second
# calls it over TLS with SDES-SRTP required; each must hear the other's tone (440 Hz answering,
# 1 kHz calling) and log the SRTP suite. Then a plain RTP/AVP offer must be refused with 488.
# A third check offers the suites in a Voice Connector's order and reports baresip's choice.
#
#   scripts/interop/baresip-selftest.sh [BASE_PORT]   (uses BASE_PORT .. BASE_PORT+40, TLS)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="${1:-25400}"
work="$(mktemp -d "${TMPDIR:-/tmp}/baresip-selftest.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

answer_in_background() { # port out-dir lifetime
  "$here/baresip-uas.sh" --port "$1" --out "$2" --lifetime "$3" --trace >/dev/null 2>&1 &
  for _ in $(seq 50); do [ -f "$2/ready" ] && return 0; sleep 0.1; done
  fail "the answering baresip did not start (log: $2/baresip.log)"
}

echo "== SRTP call between two baresip instances"
answer_in_background "$base" "$work/answer" 8
"$here/baresip-uas.sh" --port "$((base + 10))" --out "$work/call" --lifetime 5 --tone-hz 1000 \
  --ca "$work/answer" --dial "sip:+6591234567@127.0.0.1:$base" --trace >/dev/null 2>&1
wait
for side in answer call; do
  suite="$(grep -o 'SRTP is Enabled (cryptosuite=[A-Z0-9_]*)' "$work/$side/baresip.log" || true)"
  [ -n "$suite" ] || fail "$side: no SRTP in its log"
  echo "$side: $suite"
done
python3 "$here/wav-tone.py" "$work/answer/heard.wav" 1000 || fail "the answering side did not hear 1 kHz"
python3 "$here/wav-tone.py" "$work/call/heard.wav" 440 || fail "the calling side did not hear 440 Hz"

echo "== plain RTP/AVP offer"
answer_in_background "$((base + 20))" "$work/plain" 3
"$here/baresip-uas.sh" --port "$((base + 30))" --out "$work/plain-call" --lifetime 2 \
  --mediaenc none --ca "$work/plain" --dial "sip:+6591234567@127.0.0.1:$((base + 20))" >/dev/null 2>&1
wait
grep -q "session closed: 488 Not Acceptable Here" "$work/plain-call/baresip.log" \
  || fail "a plain offer was not refused with 488"
echo "refused: 488 Not Acceptable Here"

echo "== a Voice Connector's suite order"
answer_in_background "$((base + 40))" "$work/order" 3
python3 "$here/sdes-offer-probe.py" "$((base + 40))" "$work/order/ca.pem" \
  AEAD_AES_256_GCM,AEAD_AES_256_GCM_8,AES_256_CM_HMAC_SHA1_80,AES_256_CM_HMAC_SHA1_32,AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32
wait
echo "OK"
