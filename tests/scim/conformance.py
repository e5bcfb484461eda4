"""Runs the scim2-tester conformance suite against a live Tessera server.

    python conformance.py BASE_URL API_KEY

Every check must end in SUCCESS: an ERROR, a SKIPPED check or a crash fails
the run, as `scim2 test` does.

One adaptation, and only one: Tessera's `userName` is the user's e-mail
address (Probely identifies people by e-mail), which a SCIM schema cannot
express, so the tester's random value for `userName` is made an e-mail
address. Everything else is generated from what `/Schemas` publishes.
"""

import sys
import uuid

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
from scim2_tester import filling
import scim2_tester.checkers  # noqa: F401  (loads every checker module)

_generate = filling.generate_random_value


def _generate_user_name_as_email(context, path, mutability=None, required=None):
    value = _generate(context, path, mutability=mutability, required=required)
    if str(path).endswith("userName") and isinstance(value, str):
        return f"{uuid.uuid4()}@example.com"
    return value


# The checkers import the generator by name, so each module's binding is replaced.
for module in list(sys.modules.values()):
    if getattr(module, "__name__", "").startswith("scim2_tester") and getattr(
        module, "generate_random_value", None
    ) is _generate:
        module.generate_random_value = _generate_user_name_as_email


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
