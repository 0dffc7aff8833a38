"""A fresh `opsdeck serve` for the SDK tests, and small helpers to drive its API.

The tests here run real SDKs from PyPI (sentry-sdk, UnleashClient) against the
reference platform over loopback; nothing is mocked.
"""
import json
import os
import subprocess
import tempfile
import time
import urllib.request


class Platform:
    def __init__(self, binary, *extra):
        self.work = tempfile.mkdtemp(prefix="opsdeck-sdk-")
        self.out = open(os.path.join(self.work, "serve.out"), "w+")
        self.process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--db", os.path.join(self.work, "platform.sqlite"), *extra],
            stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        self.url = self.token = None
        while time.time() < deadline and not (self.url and self.token):
            self.out.seek(0)
            for line in self.out.read().splitlines():
                if line.startswith("listening on "):
                    self.url = line[len("listening on "):]
                if line.startswith("token: "):
                    self.token = line[len("token: "):]
            time.sleep(0.05)
        if not (self.url and self.token):
            raise RuntimeError("opsdeck serve did not start: " + open(self.out.name).read())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def api(self, method, path, body=None, headers=None, token=None):
        """(status, parsed JSON or None, response headers) of one request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None), response.headers
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, (json.loads(text) if text else None), error.headers

    def sdk_token(self, app, name, kind):
        status, body, _ = self.api("POST", f"/v1/apps/{app}/sdk-tokens", {"name": name, "kind": kind, "reason": "SDK test"})
        assert status == 201, (status, body)
        return body["token"]

    def patch_switch(self, app, key, change):
        status, switches, _ = self.api("GET", f"/v1/apps/{app}/switches")
        current = next(item for item in switches if item["key"] == key)
        status, body, _ = self.api("PATCH", f"/v1/apps/{app}/switches/{key}", dict(change, reason="SDK test"),
                                   headers={"If-Match": f'"s{current["revision"]}"'})
        assert status == 200, (status, body)
        return body


class Results:
    """Counts checks; prints the plain closing line CI reads."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, condition, what):
        if condition:
            self.passed += 1
        else:
            self.failed += 1
            print("FAILED:", what, flush=True)

    def wait_until(self, condition, what, timeout):
        """Polls `condition` until it holds or `timeout` seconds pass; returns the time taken."""
        start = time.time()
        while time.time() - start < timeout:
            if condition():
                self.check(True, what)
                return time.time() - start
            time.sleep(0.02)
        self.check(False, f"{what} (not within {timeout} s)")
        return None
