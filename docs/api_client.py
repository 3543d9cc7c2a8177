"""File, submit and follow a trip through the Safe Passage API: an example for the systems of
the university (a travel agency's, HR's). Standard library only.

    SAFE_PASSAGE_URL=https://travel.example.be SAFE_PASSAGE_TOKEN=sp_... \\
        python docs/api_client.py trip.json

trip.json holds the trip as POST /api/v1/trips takes it (see /api/v1/docs#schema-TripIn).
The token is a personal access token with the scopes trips:read and trips:write.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

BASE = os.environ.get("SAFE_PASSAGE_URL", "http://127.0.0.1:5000").rstrip("/") + "/api/v1"
TOKEN = os.environ.get("SAFE_PASSAGE_TOKEN", "")


def call(
    method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    """One request; the answer's status, its JSON (a trip, or a problem document) and headers."""
    request = urllib.request.Request(
        BASE + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if body is not None else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer), dict(answer.headers)
    except urllib.error.HTTPError as refused:
        # Errors are RFC 9457 problem details: branch on "type", show "detail" and "errors".
        return refused.code, json.load(refused), dict(refused.headers)


def refused(status: int, problem: dict[str, Any]) -> int:
    print(f"Refused ({status}): {problem.get('title')}. {problem.get('detail', '')}")
    for error in problem.get("errors") or []:
        print(f"  {error['field']}: {error['message']}")
    return 1


def main(trip_file: str) -> int:
    with open(trip_file, encoding="utf-8") as handle:
        trip = json.load(handle)
    # The key makes a retry after a timeout safe: the same key never files a second trip.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    status, filed, headers = call("POST", "/trips", trip, key)
    if status != 201:
        return refused(status, filed)
    print(f"Filed trip {filed['id']}: {filed['state_title']}")

    # Writes name the version they saw: If-Match with the ETag of the last read.
    status, submitted, headers = call(
        "POST", f"/trips/{filed['id']}/submit", headers={"If-Match": headers["ETag"]}
    )
    if status != 200:
        return refused(status, submitted)
    print(f"Submitted: {submitted['state_title']}")

    status, followed, _headers = call("GET", f"/trips/{filed['id']}")
    if status != 200:
        return refused(status, followed)
    print(f"Trip {followed['id']} is now: {followed['state_title']} (level {followed['level']})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or not TOKEN:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
