"""sentry-sdk (PyPI) against the platform's Sentry ingestion: crashes, handled errors and
a session per simulated user arrive through an app's DSN; then envelopes that lie,
compress, overflow or nest are answered as Sentry would, without losing valid items.

Usage: python3 test_sentry.py BINARY
"""
import gzip
import json
import sys
import time
import urllib.parse
import uuid

import brotli
import requests
import sentry_sdk
from sentry_sdk.utils import event_from_exception

from platform_server import Platform, Results

APP = "wallet-android"
USERS = 20
CRASHING = range(0, 5)   # users whose session ends in an unhandled exception
ERRING = range(5, 10)    # users who hit a handled error


def main(binary):
    results = Results()
    platform = Platform(binary)
    try:
        dsn = sdk_reports(platform, results)
        envelopes(platform, dsn, results)
    finally:
        platform.stop()
    limited = Platform(binary, "--sentry-rate-limit", "3")
    try:
        rate_limits(limited, results)
    finally:
        limited.stop()
    print(f"sentry: {results.passed} passed, {results.failed} failed", flush=True)
    return results.failed == 0


def checkout(cart):
    return cart["coupon"]  # KeyError: the crash the test sends


def parse_amount(text):
    return int(text)       # ValueError: the handled error


def sdk_reports(platform, results):
    status, app, _ = platform.api("GET", f"/v1/apps/{APP}")
    dsn = app.get("sentryDSN") if status == 200 else None
    results.check(dsn and dsn.startswith("http://") and "@127.0.0.1:" in dsn, f"GET /v1/apps/{APP} names a DSN: {app}")
    status, release, _ = platform.api("POST", f"/v1/apps/{APP}/releases", {
        "version": "9.8.0", "build": 980, "notes": "Sentry test", "packageSize": 1000, "checksum": "ab" * 32, "reason": "SDK test"})
    results.check(status == 201, f"draft release 9.8.0: {status} {release}")

    sentry_sdk.init(dsn=dsn, release="com.opsdeck.wallet@9.8.0+980", environment="test", default_integrations=False,
                    auto_session_tracking=False)
    client = sentry_sdk.get_client()
    for user in range(USERS):
        scope = sentry_sdk.get_isolation_scope()
        scope.set_user({"id": f"user-{user}"})
        scope.start_session(session_mode="application")
        if user in CRASHING:
            try:
                checkout({"items": 3})
            except KeyError:
                event, hint = event_from_exception(sys.exc_info(), client_options=client.options,
                                                   mechanism={"type": "excepthook", "handled": False})
                sentry_sdk.capture_event(event, hint=hint)
        elif user in ERRING:
            try:
                parse_amount("12,50")
            except ValueError as error:
                sentry_sdk.capture_exception(error)
        scope.end_session()
    sentry_sdk.flush(timeout=10)

    def events():
        status, page, _ = platform.api("GET", f"/v1/apps/{APP}/crashes/events?limit=5000")
        return [event for event in page["items"] if event["release"] == "9.8.0"]
    results.wait_until(lambda: len(events()) == len(CRASHING) + len(ERRING), "every event reached the platform", 10)
    got = events()
    crashes = [event for event in got if event["kind"] == "crash"]
    handled = [event for event in got if event["kind"] == "error"]
    results.check(len(crashes) == len(CRASHING) and len(handled) == len(ERRING),
                  f"{len(crashes)} crashes and {len(handled)} handled errors (sent {len(CRASHING)} and {len(ERRING)})")
    if crashes:
        crash = crashes[0]
        results.check(crash["exceptionType"] == "KeyError" and "coupon" in crash["message"], f"the crash's exception: {crash['exceptionType']} {crash['message']}")
        top = crash["frames"][0] if crash["frames"] else {}
        results.check(top.get("symbol", "").endswith("checkout") and top.get("file", "").endswith("test_sentry.py") and top.get("inApp"),
                      f"the crashing frame comes first, with its file: {top}")
        results.check(crash["device"]["id"].startswith("user-"), f"the device is the user the SDK names: {crash['device']}")
        results.check(crash.get("environment") == "test" and crash.get("level") == "error",
                      f"environment and level as the SDK sent them: {crash.get('environment')} {crash.get('level')}")
    status, issues, _ = platform.api("GET", f"/v1/apps/{APP}/crashes/issues")
    key_errors = [issue for issue in issues if issue["exceptionType"] == "KeyError"]
    results.check(len(key_errors) == 1 and key_errors[0]["count"] == len(CRASHING) and key_errors[0]["kind"] == "crash",
                  f"the crashes group into one issue of {len(CRASHING)}: {key_errors}")

    def health():
        status, series, _ = platform.api("GET", f"/v1/apps/{APP}/metrics?release=9.8.0")
        return series["total"] if status == 200 else {}
    results.wait_until(lambda: health().get("sessions") == USERS, f"{USERS} sessions counted for 9.8.0", 10)
    total = health()
    expected = 100 * (USERS - len(CRASHING)) / USERS
    results.check(abs((total.get("crashFreeSessions") or -1) - expected) < 0.01 and abs((total.get("crashFreeUsers") or -1) - expected) < 0.01,
                  f"crash-free sessions and users {total.get('crashFreeSessions')} / {total.get('crashFreeUsers')} (sent {expected})")
    results.check(total.get("crashes") == len(CRASHING), f"handled errors are not crashes: {total.get('crashes')} crashes")
    print(f"sentry: {len(got)} events and {USERS} sessions from sentry-sdk; crash-free sessions {total.get('crashFreeSessions')} %", flush=True)
    return dsn


def envelopes(platform, dsn, results):
    parts = urllib.parse.urlsplit(dsn)
    key, project = parts.username, parts.path.strip("/")
    url = f"{parts.scheme}://{parts.hostname}:{parts.port}/api/{project}/envelope/"
    auth = {"X-Sentry-Auth": f"Sentry sentry_version=7, sentry_key={key}, sentry_client=opsdeck-test/1.0"}

    def event(name):
        return json.dumps({"event_id": uuid.uuid4().hex, "release": "9.8.0", "level": "error", "contexts": {"device": {"id": "fuzz-device"}},
                           "exception": {"values": [{"type": name, "value": "x", "mechanism": {"type": "generic", "handled": False}}]}}).encode()

    def envelope(*items):
        out = json.dumps({"event_id": uuid.uuid4().hex}).encode() + b"\n"
        for header, payload in items:
            out += json.dumps(header).encode() + b"\n" + payload + b"\n"
        return out

    def stored(name):
        status, page, _ = platform.api("GET", f"/v1/apps/{APP}/crashes/events?limit=5000")
        return sum(1 for item in page["items"] if item["exceptionType"] == name)

    def post(body, headers=None, params=None):
        return requests.post(url, data=body, headers={**auth, **(headers or {})}, params=params)

    # Compression: gzip and brotli bodies, and the key in the query instead of a header.
    body = envelope(({"type": "event"}, event("GzipError")))
    answer = requests.post(url, data=gzip.compress(body), headers={"Content-Encoding": "gzip"}, params={"sentry_key": key})
    results.check(answer.status_code == 200 and stored("GzipError") == 1, f"gzip envelope with sentry_key in the query: {answer.status_code}")
    answer = post(brotli.compress(envelope(({"type": "event"}, event("BrotliError")))), {"Content-Encoding": "br"})
    results.check(answer.status_code == 200 and stored("BrotliError") == 1, f"brotli envelope: {answer.status_code}")
    # Items with lengths, unknown types (attachments, transactions, client reports) skipped.
    payload = event("LengthError")
    answer = post(envelope(({"type": "event", "length": len(payload)}, payload),
                           ({"type": "attachment", "length": 5, "filename": "a.txt"}, b"hello"),
                           ({"type": "transaction"}, b"{}"), ({"type": "client_report"}, b"{}")))
    receipt = answer.json() if answer.status_code == 200 else {}
    results.check(answer.status_code == 200 and stored("LengthError") == 1 and receipt.get("skipped") == ["attachment", "transaction", "client_report"],
                  f"known and unknown items: {answer.status_code} {receipt}")
    # A huge item and one nested a million deep are dropped; the valid item beside them is kept.
    answer = post(envelope(({"type": "event"}, b'{"message": "' + b"x" * (2 << 20) + b'"}'),
                           ({"type": "event"}, b"[" * 1_000_000 + b"]" * 1_000_000),
                           ({"type": "event"}, event("KeptError"))))
    receipt = answer.json() if answer.status_code == 200 else {}
    results.check(answer.status_code == 200 and stored("KeptError") == 1 and len(receipt.get("dropped", [])) == 2,
                  f"oversize and deep items dropped, the valid one kept: {answer.status_code} {receipt}")
    # A release holding NUL is no key: the event is dropped and named, the valid one kept.
    nul = json.loads(event("NulReleaseError"))
    nul["release"] = "9.8.0\u0000evil"
    answer = post(envelope(({"type": "event"}, json.dumps(nul).encode()), ({"type": "event"}, event("BesideNulError"))))
    receipt = answer.json() if answer.status_code == 200 else {}
    results.check(answer.status_code == 200 and stored("NulReleaseError") == 0 and stored("BesideNulError") == 1
                  and receipt.get("dropped") == ["event: its release holds control characters"], f"a NUL release: {answer.status_code} {receipt}")
    # Lies and garbage: 4xx, and the server stays up.
    lies = {
        "a length past the end": b'{}\n{"type":"event","length":999}\n{}\n',
        "a broken envelope header": b'{"event_id": \n{"type":"event"}\n{}\n',
        "an item header that is not JSON": b'{}\nnot json\n{}\n',
        "an item without a type": b'{}\n{"length":2}\n{}\n',
        "a negative length": b'{}\n{"type":"event","length":-1}\n{}\n',
        "an empty body": b"",
        "gzip that is not gzip": None,
    }
    for what, body in lies.items():
        answer = post(b"not gzip at all", {"Content-Encoding": "gzip"}) if body is None else post(body)
        results.check(400 <= answer.status_code < 500, f"{what}: answered {answer.status_code}")
    bomb = gzip.compress(b"\0" * (60 << 20))
    answer = post(bomb, {"Content-Encoding": "gzip"})
    results.check(answer.status_code == 413, f"a gzip bomb ({len(bomb)} bytes inflating to 60 MiB) answers 413 (got {answer.status_code})")
    answer = requests.post(url, data=envelope(({"type": "event"}, event("WrongKey"))),
                           headers={"X-Sentry-Auth": "Sentry sentry_key=0000, sentry_version=7"})
    results.check(answer.status_code == 401 and stored("WrongKey") == 0, f"a wrong key answers 401 (got {answer.status_code})")
    status, health, _ = platform.api("GET", "/healthz")
    results.check(status == 200, "the server is still up")
    # The older store endpoint.
    answer = requests.post(url.replace("/envelope/", "/store/"), data=event("StoreError"), headers=auth)
    results.check(answer.status_code == 200 and stored("StoreError") == 1, f"/store/ takes one event: {answer.status_code}")


def rate_limits(platform, results):
    status, app, _ = platform.api("GET", f"/v1/apps/{APP}")
    parts = urllib.parse.urlsplit(app["sentryDSN"])
    url = f"http://{parts.hostname}:{parts.port}/api/{parts.path.strip('/')}/store/"
    statuses = []
    for _ in range(5):
        answer = requests.post(url, data=json.dumps({"message": "hello", "release": "1.0.0"}).encode(),
                               headers={"X-Sentry-Auth": f"Sentry sentry_key={parts.username}"})
        statuses.append((answer.status_code, answer.headers.get("Retry-After"), answer.headers.get("X-Sentry-Rate-Limits")))
    limited = [entry for entry in statuses if entry[0] == 429]
    results.check([entry[0] for entry in statuses[:3]] == [200] * 3 and len(limited) == 2, f"3 a minute, then 429: {statuses}")
    results.check(all(entry[1] and entry[2] and entry[2].startswith(entry[1] + ":") for entry in limited),
                  f"429 carries Retry-After and X-Sentry-Rate-Limits: {limited}")


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1]) else 1)
