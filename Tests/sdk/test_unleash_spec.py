"""Unleash's client-specification cases (Tests/sdk/unleash-spec), through the platform:
each file's features are imported into an app (POST /v1/apps/{app}/switches/import),
then every case is asked of the Frontend API (POST /api/frontend) with its context.

A case's context without remoteAddress is sent with "remoteAddress": null, so that the
server does not stand the test's own loopback address in for it.

Every answer is also checked against yggdrasil-engine, Unleash's own evaluation engine
(the one inside UnleashClient, from PyPI). The copies of 08-variants and 12-custom-
stickiness here predate Unleash's change of the variant hash seed (86028157): their
weight-picked variants are the old ones, so those variant cases are held to the engine
alone, and the run says how many of the old expectations differ. The copy of
16-case-insensitive-in-operators expects `caseInsensitive` to fold IN and NOT_IN; Unleash's
engine folds only the string operators, and so does OpsDeck (agreeing with the SDKs is
the point): its cases are held to the engine too.

Usage: python3 test_unleash_spec.py BINARY
"""
import glob
import json
import os
import sys

import requests
from yggdrasil_engine.engine import UnleashEngine

from platform_server import Platform, Results

APP = "merchant-ios"
# Files whose expectations this copy states differently from Unleash's engine (see above).
HELD_TO_ENGINE = {"08-variants", "12-custom-stickiness", "16-case-insensitive-in-operators"}
TOP_LEVEL = {"userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime", "properties"}
HERE = os.path.dirname(os.path.abspath(__file__))


def main(binary):
    results = Results()
    platform = Platform(binary)
    try:
        token = platform.sdk_token(APP, "spec", "frontend")
        session = requests.Session()
        for path in sorted(glob.glob(os.path.join(HERE, "unleash-spec", "*.json"))):
            run_file(platform, session, token, path, results)
    finally:
        platform.stop()
    print(f"unleash-spec: {results.passed} passed, {results.failed} failed", flush=True)
    return results.failed == 0


def run_file(platform, session, token, path, results):
    spec = json.load(open(path))
    state = dict(spec["state"], version=2)
    status, report, _ = platform.api("POST", f"/v1/apps/{APP}/switches/import?reason=" + spec["name"], state)
    if status != 200:
        results.check(False, f"{spec['name']}: import answered {status} {report}")
        return

    engine = UnleashEngine()
    engine.take_state(json.dumps(state))

    def engine_context(context):
        """The case's context as the engine takes it: unknown top-level fields are properties."""
        context = {key: value for key, value in context.items() if value is not None}
        properties = dict(context.get("properties") or {})
        properties.update({key: value for key, value in context.items() if key not in TOP_LEVEL})
        engine_context = {key: value for key, value in context.items() if key in TOP_LEVEL and key != "properties"}
        engine_context["properties"] = {key: value for key, value in properties.items() if value is not None}
        return engine_context

    def ask(context):
        context = dict(context)
        context.setdefault("remoteAddress", None)
        answer = session.post(platform.url + "/api/frontend", json={"context": context}, headers={"Authorization": token})
        return {toggle["name"]: toggle for toggle in answer.json()["toggles"]}

    outdated = 0
    for case in spec.get("tests", []):
        toggles = ask(case["context"])
        got = case["toggleName"] in toggles
        reference = engine.is_enabled(case["toggleName"], engine_context(case["context"])).is_enabled
        results.check(got == reference, f"{spec['name']}: {case['description']}: got {got}, Unleash's engine {reference}")
        if spec["name"] in HELD_TO_ENGINE and got != case["expectedResult"]:
            outdated += 1
        else:
            results.check(got == case["expectedResult"], f"{spec['name']}: {case['description']}: got {got}")
    for case in spec.get("variantTests", []):
        toggles = ask(case["context"])
        toggle = toggles.get(case["toggleName"])
        variant = toggle["variant"] if toggle else {"name": "disabled", "enabled": False}
        reference = engine.get_variant(case["toggleName"], engine_context(case["context"])).variant
        results.check(variant["name"] == reference.name and variant["enabled"] == reference.enabled,
                      f"{spec['name']}: {case['description']}: got {variant['name']}, Unleash's engine {reference.name}")
        expected = case["expectedResult"]
        same = variant["name"] == expected["name"] and variant["enabled"] == expected["enabled"] \
            and variant.get("payload") == expected.get("payload")
        if spec["name"] in HELD_TO_ENGINE and not same:
            outdated += 1
        else:
            results.check(same, f"{spec['name']}: {case['description']}: got {variant}")
    if outdated:
        print(f"unleash-spec: {spec['name']}: {outdated} expectations of this copy differ from Unleash's engine; "
              "held to the engine instead", flush=True)


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1]) else 1)
