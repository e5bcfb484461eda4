"""Runs the scim2-tester conformance suite against a live Tessera server.

    python conformance.py BASE_URL API_KEY

Every check must end in SUCCESS: an ERROR, a SKIPPED check or a crash fails
the run, as `scim2 test` does.

Nothing is adapted: every value is generated from what `/Schemas`
publishes.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
import scim2_tester.checkers  # noqa: F401  (loads every checker module)


def main() -> int:
    base, key = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {key}"})
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client)
    failed = 0
    for result in results:
        ok = result.status == Status.SUCCESS
        failed += not ok
        line = f"{result.status.name:8} {result.title}"
        if result.resource_type:
            line += f" [{result.resource_type}]"
        print(line)
        if not ok and result.reason:
            print(f"         {result.reason}")
    print(f"{len(results)} checks, {failed} not successful")
    if not results:
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
