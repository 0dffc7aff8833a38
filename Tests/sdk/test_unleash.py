"""UnleashClient (PyPI) against the platform's Unleash Client API, beside the platform's
own upgrade check and its Frontend API: for 10,000 devices, every switch must get the
same answer from all three, and a flip must reach the SDK within its refresh interval.

Usage: python3 test_unleash.py BINARY
"""
import json
import random
import sys
import time
import urllib.parse

import requests
from UnleashClient import UnleashClient

from platform_server import Platform, Results

APP = "wallet-android"
DEVICES = 10_000
REFRESH = 1  # seconds: the SDK's polling interval


def main(binary):
    results = Results()
    platform = Platform(binary)
    try:
        run(platform, results)
    finally:
        platform.stop()
    print(f"unleash: {results.passed} passed, {results.failed} failed", flush=True)
    return results.failed == 0


def run(platform, results):
    client_token = platform.sdk_token(APP, "backend", "client")
    frontend_token = platform.sdk_token(APP, "mobile", "frontend")

    # Scopes of every shape: platform, version range, share, all at once, everything.
    platform.patch_switch(APP, "hd-images", {"enabled": False, "scope": {"platforms": ["android"], "minVersion": "5.2.0", "percent": 50}})
    platform.patch_switch(APP, "pay-api", {"enabled": True})
    platform.patch_switch(APP, "new-checkout", {"enabled": False, "scope": {"platforms": [], "minVersion": "5.3.0", "maxVersion": "5.9.0", "percent": 30}})
    platform.patch_switch(APP, "live-chat", {"enabled": True})
    platform.patch_switch(APP, "live-chat", {"enabled": False, "scope": {"platforms": [], "percent": 100, "rules": [
        {"attribute": "city", "operator": "in", "values": ["Hangzhou", "Shanghai"]},
        {"attribute": "network", "operator": "not_in", "values": ["wifi"]},
        {"attribute": "osVersion", "operator": "in", "values": ["13", "14"]}]}})
    platform.patch_switch(APP, "recommendations", {"enabled": False, "scope": {"platforms": ["ios"], "percent": 25}})
    # A switch brought in from Unleash, in Unleash's own terms: device fields as
    # constraints, a segment, a flexible rollout on the device id.
    document = {"version": 2, "segments": [{"id": 1, "name": "big-cities", "constraints": [
        {"contextName": "city", "operator": "IN", "values": ["Hangzhou", "Shanghai"]}]}],
        "features": [{"name": "dark-mode", "description": "Dark theme", "type": "release", "enabled": True, "strategies": [
            {"name": "flexibleRollout", "parameters": {"rollout": "60", "stickiness": "deviceId", "groupId": "dark-mode"},
             "constraints": [{"contextName": "appVersion", "operator": "SEMVER_GT", "value": "5.2.0"},
                             {"contextName": "model", "operator": "STR_STARTS_WITH", "values": ["pixel"], "caseInsensitive": True}],
             "segments": [1]}]}]}
    status, report, _ = platform.api("POST", f"/v1/apps/{APP}/switches/import?reason=bring+our+flags", document)
    results.check(status == 200 and report["created"] == ["dark-mode"], f"import answers 200 and creates dark-mode: {status} {report}")

    sdk = UnleashClient(url=platform.url + "/api", app_name="agreement-test", refresh_interval=REFRESH, metrics_interval=1,
                        custom_headers={"Authorization": client_token}, cache_directory=platform.work + "/unleash-cache")
    sdk.initialize_client()
    results.wait_until(lambda: sdk.is_enabled("pay-api", {"properties": {"deviceId": "probe"}}), "the SDK fetched the features", 10)

    status, switches, _ = platform.api("GET", f"/v1/apps/{APP}/switches")
    keys = sorted(item["key"] for item in switches)
    rng = random.Random(16)
    session = requests.Session()
    answers = {key: {True: 0, False: 0} for key in keys}
    disagreements = []
    for index in range(DEVICES):
        device = {
            "deviceId": f"dev-{rng.getrandbits(48):012x}", "os": rng.choice(["android", "ios"]),
            "appVersion": rng.choice(["5.1.0", "5.2.0", "5.2.5", "5.3.0", "5.9.0", "5.9.1", "6.0.0"]),
            "osVersion": rng.choice(["12", "13", "14"]), "model": rng.choice(["Pixel 8", "pixel 7", "Galaxy S23"]),
            "city": rng.choice(["Hangzhou", "Shanghai", "Chengdu"]), "network": rng.choice(["wifi", "4g"]),
        }
        query = urllib.parse.urlencode({"app": APP, "device": device["deviceId"], "version": device["appVersion"], "os": device["os"],
                                        "osVersion": device["osVersion"], "model": device["model"], "city": device["city"],
                                        "network": device["network"]})
        check = session.get(f"{platform.url}/v1/sdk/check?{query}", headers={"Authorization": "Bearer " + platform.token}).json()["switches"]
        frontend = session.post(f"{platform.url}/api/frontend", json={"context": {"properties": device}},
                                headers={"Authorization": frontend_token}).json()["toggles"]
        on_in_frontend = {toggle["name"] for toggle in frontend}
        for key in keys:
            in_sdk = sdk.is_enabled(key, {"properties": device})
            answers[key][in_sdk] += 1
            if not (check[key] == in_sdk == (key in on_in_frontend)):
                disagreements.append((key, device, check[key], in_sdk, key in on_in_frontend))
    results.check(not disagreements, f"{len(disagreements)} disagreements in {DEVICES} devices x {len(keys)} switches, first: {disagreements[:3]}")
    # Each scoped switch must answer both ways across the fleet, or agreement proves little.
    for key in ["hd-images", "new-checkout", "recommendations", "dark-mode", "live-chat"]:
        results.check(answers[key][True] > 0 and answers[key][False] > 0, f"{key} answers both ways: {answers[key]}")
    results.check(answers["pay-api"][False] == 0, f"an enabled switch is on for every device: {answers['pay-api']}")
    # City Hangzhou/Shanghai (2 in 3), not on wifi (1 in 2), OS 13 or 14 (2 in 3): off for about 2/9.
    off = answers["live-chat"][False] / DEVICES
    results.check(0.18 < off < 0.27, f"live-chat is off where every rule matches, about 22 % of devices: {off:.3f}")
    print(f"unleash: {DEVICES} devices x {len(keys)} switches agree across /v1/sdk/check, /api/frontend and UnleashClient; "
          + ", ".join(f"{key} on for {answers[key][True]}" for key in keys), flush=True)

    # A flip reaches the SDK within its refresh interval.
    platform.patch_switch(APP, "pay-api", {"enabled": False})
    took = results.wait_until(lambda: not sdk.is_enabled("pay-api", {"properties": {"deviceId": "probe"}}),
                              "a flip reaches UnleashClient", REFRESH + 2)
    if took is not None:
        print(f"unleash: the flip reached the SDK in {took:.2f} s (refresh interval {REFRESH} s)", flush=True)

    # The SDK's metrics come back as counts on the switch.
    def counted():
        status, switches, _ = platform.api("GET", f"/v1/apps/{APP}/switches")
        use = next(item for item in switches if item["key"] == "hd-images").get("sdk") or {}
        return use.get("hourYes", 0) + use.get("hourNo", 0) >= DEVICES
    results.wait_until(counted, "UnleashClient's metrics are counted on the switch", 10)
    sdk.destroy()

    # Tokens: none, unknown, or of the other API are all 401.
    for token, path in [(None, "/api/client/features"), ("nope", "/api/client/features"), (frontend_token, "/api/client/features"),
                        (client_token, "/api/frontend")]:
        headers = {"Authorization": token} if token else {}
        status = session.get(platform.url + path, headers=headers).status_code
        results.check(status == 401, f"{path} with token {str(token)[:20]} answers 401 (got {status})")
    # ETag: an unchanged document is a 304.
    first = session.get(platform.url + "/api/client/features", headers={"Authorization": client_token})
    again = session.get(platform.url + "/api/client/features", headers={"Authorization": client_token, "If-None-Match": first.headers["ETag"]})
    results.check(again.status_code == 304, f"If-None-Match answers 304 (got {again.status_code})")


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1]) else 1)
