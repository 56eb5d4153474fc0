#!/usr/bin/env bash
# baresip (Debian `baresip-core`) as an independent far end ("the telephone network") for the
# gateway's SIP leg: SIP over TLS with a certificate from a throwaway test CA, SDES-SRTP required
# (`mediaenc=srtp-mand`: RTP/SAVP with `a=crypto`), G.711 only (PCMU, PCMA), answers at once,
# plays a tone to the caller and records what it hears. docs/testing.md says what it proves.
#
#   scripts/interop/baresip-uas.sh --port 5061 --out DIR [--number +6591234567]
#       [--tone-hz 440] [--lifetime 30] [--mediaenc srtp-mand] [--dial sip:...] [--ca DIR]
#       [--trace]
#
# --port      the TLS port on 127.0.0.1; baresip also takes UDP and TCP on port-1 (its TLS port
#             is always its listen port plus one).
# --out       where results go: ca.pem (the trust anchor to give the caller), heard.wav (what
#             it received, 8 kHz mono), sent.wav (what it sent), baresip.log; the file `ready`
#             appears once it listens.
# --number    the user part it answers to (the dialled number in the Request-URI).
# --tone-hz   the tone it plays (a sine from a WAV file, for the whole lifetime).
# --lifetime  seconds before it quits on its own (it also quits on SIGTERM/SIGINT).
# --mediaenc baresip's media encryption: srtp-mand (RTP/SAVP only, the default), srtp (SDES
#             when offered, plain otherwise) or none (plain RTP/AVP; for testing refusals).
# --dial      place a call to this URI instead of answering (used to test the harness with a
#             second instance); --ca then names the answering instance's --out to trust.
# --trace     log every SIP message (baresip -s), for capturing SDP.
#
# baresip 1.0 cannot challenge incoming requests with digest authentication: it answers any
# INVITE whose user part matches --number.
set -euo pipefail

port="" out="" number="+6591234567" tone_hz=440 lifetime=30 dial="" ca_from="" trace=() mediaenc=srtp-mand
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --number) number="$2"; shift 2 ;;
    --tone-hz) tone_hz="$2"; shift 2 ;;
    --lifetime) lifetime="$2"; shift 2 ;;
    --mediaenc) mediaenc="$2"; shift 2 ;;
    --dial) dial="$2"; shift 2 ;;
    --ca) ca_from="$2"; shift 2 ;;
    --trace) trace=(-s); shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ -n "$port" ] && [ -n "$out" ] || { echo "usage: $0 --port PORT --out DIR [options]" >&2; exit 2; }
command -v baresip >/dev/null || {
  echo "baresip is not installed: apt-get install baresip-core (scripts/setup.sh does)" >&2
  exit 3
}
module_dir=/usr/lib/baresip/modules
for module in srtp g711 aufile sndfile; do
  [ -f "$module_dir/$module.so" ] || { echo "baresip module $module missing in $module_dir" >&2; exit 3; }
done

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out/ready" "$out"/dump-*.wav "$out/heard.wav" "$out/sent.wav"
conf="$(mktemp -d "${TMPDIR:-/tmp}/baresip-uas.XXXXXX")"
baresip_pid=""
finish() {
  if [ -n "$baresip_pid" ] && kill -0 "$baresip_pid" 2>/dev/null; then
    kill -TERM "$baresip_pid" 2>/dev/null || true
    wait "$baresip_pid" 2>/dev/null || true
  fi
  # sndfile names its files dump-<time>-<peer>-{enc,dec}.wav; one call per run.
  for f in "$out"/dump-*-dec.wav; do [ -f "$f" ] && mv "$f" "$out/heard.wav"; done
  for f in "$out"/dump-*-enc.wav; do [ -f "$f" ] && mv "$f" "$out/sent.wav"; done
  rm -rf "$conf"
}
trap finish EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# A test CA and a certificate for 127.0.0.1 (libre reads certificate and key from one file).
openssl_quiet() { openssl "$@" 2>/dev/null; }
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl_quiet req -x509 "${ec[@]}" -days 1 -subj "/CN=baresip interop test CA" \
  -keyout "$conf/ca.key" -out "$conf/ca.pem"
openssl_quiet req "${ec[@]}" -subj "/CN=127.0.0.1" -keyout "$conf/leaf.key" -out "$conf/leaf.csr"
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$conf/leaf.ext"
openssl_quiet x509 -req -in "$conf/leaf.csr" -CA "$conf/ca.pem" -CAkey "$conf/ca.key" \
  -CAcreateserial -days 1 -out "$conf/leaf.pem" -extfile "$conf/leaf.ext"
cat "$conf/leaf.pem" "$conf/leaf.key" >"$conf/sip.pem"
cp "$conf/ca.pem" "$out/ca.pem"
cafile="$conf/ca.pem"
[ -n "$ca_from" ] && cafile="$ca_from/ca.pem"

# The tone: 8 kHz, 16-bit mono (aufile wants the codec's rate), as long as the lifetime.
python3 - "$conf/tone.wav" "$tone_hz" "$lifetime" <<'PY'
import math, struct, sys, wave
path, hz, seconds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) + 2
with wave.open(path, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * n / 8000)))
                           for n in range(8000 * seconds)))
PY

cat >"$conf/config" <<EOF
poll_method		epoll
sip_listen		127.0.0.1:$((port - 1))
sip_certificate		$conf/sip.pem
sip_cafile		$cafile
net_interface		127.0.0.1
call_local_timeout	$lifetime
call_max_calls		1
audio_source		aufile,$conf/tone.wav
audio_player		aubridge,nowhere
audio_alert		aubridge,nowhere
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
audio_buffer		20-160
rtcp_mux		no
jitter_buffer_delay	1-10
module_path		$module_dir
module			g711.so
module			sndfile.so
module			aufile.so
module			aubridge.so
module			srtp.so
module_tmp		account.so
module_app		menu.so
snd_path		$out
EOF
# The user part is the dialled number; regint=0: no registrar, it only answers (or dials).
user="$number"
[ -n "$dial" ] && user="caller"
encryption=";mediaenc=$mediaenc"
[ "$mediaenc" = none ] && encryption=""
echo "<sip:$user@127.0.0.1;transport=tls>;regint=0;answermode=auto$encryption;audio_codecs=PCMU,PCMA" \
  >"$conf/accounts"
: >"$conf/contacts"

commands=()
[ -n "$dial" ] && commands=(-e "/dial $dial")
log="$out/baresip.log"
baresip -4 -f "$conf" -t "$lifetime" "${trace[@]}" -v "${commands[@]}" </dev/null >"$log" 2>&1 &
baresip_pid=$!
for _ in $(seq 100); do
  grep -q "baresip is ready" "$log" 2>/dev/null && { touch "$out/ready"; break; }
  kill -0 "$baresip_pid" 2>/dev/null || break
  sleep 0.1
done
[ -f "$out/ready" ] || { echo "baresip did not start; see $log" >&2; exit 1; }
status=0
wait "$baresip_pid" || status=$?
baresip_pid=""
exit "$status"
