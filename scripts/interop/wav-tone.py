#!/usr/bin/env python3
"""Checks that a 16-bit mono WAV holds a tone: prints the share of the signal's power at the
given frequency (Goertzel over 20 ms frames, the best second) and exits 1 below 0.8.

    scripts/interop/wav-tone.py heard.wav 440
"""
import math
import struct
import sys
import wave


def purity(samples, rate, hz):
    """Share of the block's power at `hz` (1.0 = a pure tone), as telephony::tones does."""
    n = len(samples)
    if n == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    at_hz = (s1 * s1 + s2 * s2 - coeff * s1 * s2) * 2 / n
    total = sum(x * x for x in samples)
    return at_hz / total if total else 0.0


def main():
    path, hz = sys.argv[1], float(sys.argv[2])
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            sys.exit(f"{path}: not 16-bit mono")
        rate = w.getframerate()
        raw = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    second = rate
    best = max(
        (purity(samples[i : i + second], rate, hz) for i in range(0, max(1, len(samples) - second + 1), second // 2)),
        default=0.0,
    )
    print(f"{path}: {len(samples) / rate:.1f} s, {hz:g} Hz purity {best:.2f}")
    sys.exit(0 if best > 0.8 else 1)


if __name__ == "__main__":
    main()
