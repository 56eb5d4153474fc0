#!/usr/bin/env python3
"""Scans server logs for personal data and secrets (docs/security.md, docs/testing.md "logs
carry no personal data"): phone numbers of the countries we call (E.164 with or without the
`+`, and national spellings), e-mail addresses that are not masked (`a***@example.com` is),
JSON Web Tokens, and SIP messages or SRTP keys. The test command runs it over every log the
end-to-end run wrote (four servers and the impaired PSTN), so a line anywhere in the app, or in
a dependency's output, that carries one fails the run.

    scripts/scan-logs.py PATH...       # files, or folders searched for *.log* files
    scripts/scan-logs.py --self-test   # the patterns against lines they must and must not find

Exit status 1 with each finding (file, line, kind, and the match with its middle hidden), 2 when
there is nothing to scan.
"""

import os
import re
import sys

FINDINGS = [
    # +507 and +65 numbers in E.164, with or without the plus (a SIP URI's user part).
    ("phone number", re.compile(r"(?<![\w.])\+?(?:507|65)\d{7,8}(?!\d)")),
    # National spellings as the app formats them: Singapore "6000 0001", Panama "200-0001",
    # "6123-4567". Bounded so UUIDs, dates and versions do not match.
    ("phone number", re.compile(r"(?<![\w:.-])\d{3,4}[ -]\d{4}(?![\w:.-])")),
    # An e-mail address, unless its local part is masked to one character and asterisks.
    ("e-mail address", re.compile(r"(?<![\w.+*-])(?![\w]\*\*\*@)[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("token", re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
    ("SIP message", re.compile(r"\b(?:INVITE|REGISTER|BYE) sip:|Authorization: Digest")),
    ("SRTP key", re.compile(r"a=crypto:|inline:[A-Za-z0-9+/]{20,}")),
]


def hidden(text):
    """The match with its middle replaced, so the report does not repeat what it found."""
    if len(text) <= 4:
        return "*" * len(text)
    keep = max(1, len(text) // 5)
    return text[:keep] + "…" + text[-keep:]


def log_files(paths):
    for path in paths:
        if os.path.isdir(path):
            for folder, _, names in sorted(os.walk(path)):
                for name in sorted(names):
                    if ".log" in name:
                        yield os.path.join(folder, name)
        elif os.path.isfile(path):
            yield path


def scan(path):
    found = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            for kind, pattern in FINDINGS:
                for match in pattern.finditer(line):
                    found.append((number, kind, hidden(match.group(0))))
    return found


# What the scan must find, and must leave alone (`--self-test`, run by the test command first).
MUST_FIND = [
    ('{"message":"dial +6560000001"}', "phone number"),
    ("To: <sip:5072000001@pstn>", "phone number"),
    ("Singapore 6000 0001", "phone number"),
    ("Panama 200-0001", "phone number"),
    ('{"email":"bob.smith@example.com"}', "e-mail address"),
    ("cookie eyJ0eXAiOiJKV1QiLCJh.eyJzdWIiOiI1OWY5", "token"),
    ("INVITE sip:+6560000001@pstn SIP/2.0", "SIP message"),
    ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abcdefghijklmnopqrstuvwxyz0123", "SRTP key"),
]
MUST_PASS = [
    '{"timestamp":"2026-12-06T10:00:00.123Z","level":"INFO","message":"call ended"}',
    '{"call":"123e4567-e89b-12d3-a456-426614174000","at":1796551709000,"port":3300}',
    '{"email":"a***@example.com","version":"1.16.0","addr":"127.0.0.1:44000"}',
]


def self_test():
    failures = []
    for line, kind in MUST_FIND:
        kinds = {k for k, p in FINDINGS if p.search(line)}
        if kind not in kinds:
            failures.append(f"not found as {kind}: {line}")
    for line in MUST_PASS:
        kinds = [k for k, p in FINDINGS if p.search(line)]
        if kinds:
            failures.append(f"wrongly found as {', '.join(kinds)}: {line}")
    for f in failures:
        print(f"scan-logs self-test: {f}", file=sys.stderr)
    if not failures:
        print(f"scan-logs self-test: {len(MUST_FIND)} findings found, {len(MUST_PASS)} clean lines passed")
    return 1 if failures else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    files = list(log_files(argv[1:]))
    if not files:
        print(f"scan-logs: no log files in {' '.join(argv[1:]) or '(no path given)'}", file=sys.stderr)
        return 2
    failed, lines = False, 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines += sum(1 for _ in f)
        for number, kind, text in scan(path):
            failed = True
            print(f"{path}:{number}: {kind}: {text}")
    if failed:
        print("scan-logs: personal data or secrets in the logs above", file=sys.stderr)
        return 1
    print(f"scan-logs: {len(files)} files, {lines} lines, nothing personal or secret")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
