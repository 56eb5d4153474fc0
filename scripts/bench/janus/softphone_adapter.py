"""Signalling adapter for the Janus-anchor load generator (JANUS_ANCHOR in compare.sh):
drives our gateway (the telephony bench binary in `--role gateway-server` mode) over its
line-based control socket, one TCP connection per peer.

    OPEN <id> <callee> <offer, line breaks as |>  ->  ANSWER <id> <sdp>, RINGING, ANSWERED, ENDED
    BYE <id>

`call` returns the gateway's SDP answer once the SIP side has answered (like Janus's
"accepted" event), so both gateways are measured from the same point of the call.
"""

import asyncio
import itertools

_ids = itertools.count(1)


class SoftphoneGatewayAdapter:
    def __init__(self, http, base_url: str, user: str):
        # base_url: tcp://host:port (the http session of the load generator is not used)
        host, port = base_url.removeprefix("tcp://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.user = user
        self.id = next(_ids)
        self.reader = None
        self.writer = None
        self.core_events = []

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def _send(self, line: str):
        self.writer.write((line + "\n").encode())
        await self.writer.drain()

    async def call(self, uri, offer_sdp, timeout=15.0):
        # sip:+50761234567@127.0.0.1:5070 -> +50761234567 (the gateway's trunk is the far end)
        callee = uri.split(":", 1)[1].split("@", 1)[0]
        offer = offer_sdp.replace("\r\n", "|").replace("\n", "|")
        await self._send(f"OPEN {self.id} {callee} {offer}")
        answer = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            line = await asyncio.wait_for(self.reader.readline(), max(0.01, deadline - loop.time()))
            if not line:
                raise RuntimeError("gateway closed the control connection")
            parts = line.decode().rstrip("\n").split(" ", 2)
            kind, rest = parts[0], parts[2] if len(parts) > 2 else ""
            if kind == "ANSWER":
                answer = rest.replace("|", "\r\n")
            elif kind == "ANSWERED":
                if answer is None:
                    raise RuntimeError("answered without an SDP answer")
                return answer
            elif kind in ("ERROR", "ENDED"):
                raise RuntimeError(f"call failed: {kind} {rest}")

    async def hangup(self):
        try:
            await self._send(f"BYE {self.id}")
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass

    async def close(self):
        if self.writer is not None:
            self.writer.close()
