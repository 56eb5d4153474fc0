#!/usr/bin/env python3
"""Sends one INVITE over TLS with the given `a=crypto` suites (fresh throwaway keys) to a far
end started by baresip-uas.sh, prints its final reply and which suite it answered. Shows what
baresip answers to an offer it cannot make itself (it only ever offers AES_CM_128_HMAC_SHA1_80).

    scripts/interop/sdes-offer-probe.py PORT CA_PEM SUITE[,SUITE...]|"" [RTP/SAVP|RTP/AVP] [SAVE]

SAVE: a path prefix; the offer and the replies are written to SAVE.offer and SAVE.reply.
"""
import base64
import os
import re
import socket
import ssl
import sys
import time
import uuid

# Master key and salt bytes per suite (RFC 4568, 6188, 7714).
KEY_BYTES = {
    "AEAD_AES_256_GCM": 44,
    "AEAD_AES_256_GCM_8": 44,
    "AEAD_AES_128_GCM": 28,
    "AES_256_CM_HMAC_SHA1_80": 46,
    "AES_256_CM_HMAC_SHA1_32": 46,
    "AES_CM_128_HMAC_SHA1_80": 30,
    "AES_CM_128_HMAC_SHA1_32": 30,
}


def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    suites = [s for s in sys.argv[3].split(",") if s]  # none: a plain offer
    proto = sys.argv[4] if len(sys.argv) > 4 else "RTP/SAVP"
    save = sys.argv[5] if len(sys.argv) > 5 else None
    crypto = "".join(
        f"a=crypto:{tag} {suite} inline:{base64.b64encode(os.urandom(KEY_BYTES[suite])).decode()}\r\n"
        for tag, suite in enumerate(suites, 1)
    )
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio 40000 {proto} 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n" + crypto + "a=sendrecv\r\n"
    )
    context = ssl.create_default_context(cafile=ca)
    sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1"
    )
    local_port = sock.getsockname()[1]
    call_id = uuid.uuid4().hex
    invite = (
        f"INVITE sip:+6591234567@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/TLS 127.0.0.1:{local_port};branch=z9hG4bK{call_id[:10]};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1>;tag={call_id[:8]}\r\nTo: <sip:+6591234567@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:probe@127.0.0.1:{local_port};transport=tls>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
    )
    sock.sendall(invite.encode())
    sock.settimeout(3)
    replies = b""
    try:
        while not re.search(rb"SIP/2\.0 [2-6]\d\d", replies):
            replies += sock.recv(65536)
        time.sleep(0.3)
        replies += sock.recv(65536)
    except (socket.timeout, ssl.SSLError):
        pass
    # End a call that was answered (ACK, then BYE) so the far end is not left waiting.
    to_tag = re.search(rb"SIP/2\.0 200[^\0]*?\r\nTo: ([^\r]*)", replies)
    if to_tag:
        dialog = (
            f"From: <sip:probe@127.0.0.1>;tag={call_id[:8]}\r\nTo: {to_tag.group(1).decode()}\r\n"
            f"Call-ID: {call_id}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        for n, method, branch in ((1, "ACK", call_id[:10]), (2, "BYE", call_id[10:20])):
            sock.sendall(
                (
                    f"{method} sip:+6591234567@127.0.0.1:{port};transport=tls SIP/2.0\r\n"
                    f"Via: SIP/2.0/TLS 127.0.0.1:{local_port};branch=z9hG4bK{branch};rport\r\n"
                    f"CSeq: {n} {method}\r\n" + dialog
                ).encode()
            )
        try:
            sock.recv(65536)
        except (socket.timeout, ssl.SSLError):
            pass
    if save:
        with open(save + ".offer", "wb") as f:
            f.write(invite.encode())
        with open(save + ".reply", "wb") as f:
            f.write(replies)
    final = re.search(rb"SIP/2\.0 [2-6]\d\d[^\r]*", replies)
    answered = re.findall(rb"a=crypto:\d+ (\S+)", replies)
    print("final:", final.group().decode() if final else "none")
    print("answered suite:", answered[0].decode() if answered else "none")


if __name__ == "__main__":
    main()
