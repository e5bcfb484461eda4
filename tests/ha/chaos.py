#!/usr/bin/env python3
"""Chaos test of the topology deploy/ha/up.sh starts (run by tests/ha/run.sh).

Python's standard library only. Usage: chaos.py HA_ENV REPORT_DIR

1. Across replicas, on the very next request: a token revoked through one
   replica is refused by the others; a deactivated user's token likewise;
   failed logins counted on every replica throttle the next one on another.
2. A bounded mixed load (clients reading and creating users through HAProxy,
   each write retried with its Idempotency-Key until it gets a definite
   answer), during which the test kills one replica (SIGKILL), then kills
   the PostgreSQL primary (SIGKILL) and promotes the standby.
3. Checks, against the promoted database: every acknowledged write is there,
   none was applied twice; every webhook event of the run reached the
   receiver this script runs (at least once, with stable ids); the
   scheduler deactivated each user whose contract ended exactly once.
Prints the measurements; exits non-zero on any failed check.
"""

import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

ENV_FILE, REPORT = sys.argv[1], sys.argv[2]
CLIENTS = int(os.environ.get("HA_CLIENTS", "6"))
STEADY = float(os.environ.get("HA_STEADY_SECONDS", "4"))
# Seconds between the primary's death and the promotion of the standby: the
# time a failover manager (Patroni, pg_auto_failover, an operator) takes to
# decide; the measured recovery starts from the promotion and from the kill.
DETECT = float(os.environ.get("HA_FAILOVER_DELAY", "1"))
WRITE_DEADLINE = 60.0
WEBHOOK_SECRET = "whsec_ha_chaos_test_secret"


def load_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                name, value = line.split("=", 1)
                env[name] = shlex.split(value)[0] if value else ""
    return env


ENV = load_env(ENV_FILE)
HA = ("127.0.0.1", int(ENV["HA_HTTP_PORT"]))
REPLICAS = [("127.0.0.1", int(p)) for p in ENV["HA_REPLICA_PORTS"].split()]
failures = []


def check(ok, what):
    print(("  ok   " if ok else "  FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def call(where, method, path, body=None, token=None, headers=None, timeout=15):
    """One request on a fresh connection: (status, headers, JSON or None).
    Raises OSError (or http.client errors) when the connection fails."""
    conn = http.client.HTTPConnection(*where, timeout=timeout)
    try:
        h = {"Connection": "close"}
        if body is not None:
            h["Content-Type"] = "application/json"
        if token:
            h["Authorization"] = f"JWT {token}"
        h.update(headers or {})
        conn.request(method, path, json.dumps(body) if body is not None else None, h)
        r = conn.getresponse()
        raw = r.read()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def login(where, email, password, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else None
    return call(where, "POST", "/auth/obtain/", {"username": email, "password": password},
                headers=headers)


def psql(sql, port=None):
    port = port or ENV["HA_PG_STANDBY_PORT"]
    out = subprocess.run(
        [f"{ENV['HA_PG_BIN']}/psql", "-X", "-qAt", "-F", "\t", "-h", "127.0.0.1", "-p", str(port),
         "-U", "postgres", "-d", "tessera", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True, timeout=30)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the webhook receiver -------------------------------------------------------
received = []  # (event id, type, object id, delivery id, signature ok, time)
received_lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = dict(p.split("=", 1) for p in self.headers.get("Tessera-Signature", "").split(",") if "=" in p)
        expected = hmac.new(WEBHOOK_SECRET.encode(), sig.get("t", "").encode() + b"." + body,
                            hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(expected, sig.get("v1", ""))
        event = json.loads(body)
        with received_lock:
            received.append((event["id"], event["type"], event["data"]["object"]["id"],
                             self.headers.get("Tessera-Delivery"), ok, time.monotonic()))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()

# --- set-up ---------------------------------------------------------------------
print("== set-up")
status, _, body = login(HA, ENV["HA_OWNER_EMAIL"], ENV["HA_OWNER_PASSWORD"])
assert status == 200, (status, body)
owner = body["token"]
status, _, hook = call(HA, "POST", "/webhooks/", {
    "url": f"http://127.0.0.1:{receiver.server_address[1]}/hook", "events": ["*"],
    "secret": WEBHOOK_SECRET}, token=owner)
assert status == 201, (status, hook)
webhook_id = hook["id"]
# Users whose contract ends in a few seconds: the scheduler (every second on
# each of the three replicas) must deactivate each of them once.
contract_end = iso(datetime.now(timezone.utc) + timedelta(seconds=3))
contract_users = []
for i in range(4):
    status, _, u = call(HA, "POST", "/users/", {
        "email": f"contract-{i}@ha.example", "name": f"Contract {i}",
        "contract_end_date": contract_end}, token=owner)
    assert status == 201, (status, u)
    contract_users.append(u["id"])

# --- 1. security state across replicas ------------------------------------------
print("== revocation, deactivation and throttling across replicas")
a, b, c = REPLICAS
password = "Correct-horse-battery-9"


def make_user(email):
    status, _, u = call(a, "POST", "/users/", {
        "email": email, "name": email.split("@")[0], "password": password,
        "user_roles": [{"role": "VIEWER", "scope": {"tier": "account"}}]}, token=owner)
    assert status == 201, (status, u)
    return u["id"]


make_user("revoked@ha.example")
status, _, body = login(a, "revoked@ha.example", password)
token = body["token"]
check(call(b, "GET", "/profile/", token=token)[0] == 200, "a token obtained on replica 1 works on replica 2")
status = call(a, "POST", "/auth/revoke/", {"token": token}, token=token)[0]
check(status in (200, 204), f"revoked on replica 1 ({status})")
check(call(b, "GET", "/profile/", token=token)[0] == 401, "refused at once on replica 2")
check(call(c, "GET", "/profile/", token=token)[0] == 401, "refused at once on replica 3")

deactivated = make_user("deactivated@ha.example")
token = login(b, "deactivated@ha.example", password)[2]["token"]
check(call(c, "GET", "/profile/", token=token)[0] == 200, "a token obtained on replica 2 works on replica 3")
status = call(a, "PATCH", f"/users/{deactivated}/", {"active": False}, token=owner)[0]
check(status == 200, f"deactivated on replica 1 ({status})")
check(call(b, "GET", "/profile/", token=token)[0] == 401, "its token refused at once on replica 2")
check(call(c, "GET", "/profile/", token=token)[0] == 401, "its token refused at once on replica 3")
check(login(c, "deactivated@ha.example", password)[0] in (400, 401), "its login refused on replica 3")

limit = int(os.environ["TESSERA_LOGIN_MAX_FAILURES"])
make_user("throttled@ha.example")
for i in range(limit):
    # Each failure from another (forwarded) address, so only the account's
    # count can reach the limit, spread over the three replicas.
    status = login(REPLICAS[i % 3], "throttled@ha.example", "wrong-password-0",
                   forwarded=f"198.51.100.{i + 1}")[0]
    assert status in (400, 401), status
status, headers, _ = login(REPLICAS[limit % 3], "throttled@ha.example", password,
                           forwarded="198.51.100.200")
check(status == 429, f"after {limit} failures spread over the replicas, the account is throttled "
      f"on the next one ({status}, Retry-After {headers.get('retry-after')})")
for i in range(limit):
    login(REPLICAS[i % 3], f"nobody-{i}@ha.example", "wrong-password-0", forwarded="203.0.113.9")
status = login(REPLICAS[limit % 3], "revoked@ha.example", password, forwarded="203.0.113.9")[0]
check(status == 429, f"after {limit} failures from one address over the replicas, "
      f"that address is throttled on the next one ({status})")

# --- 2. load, and chaos -----------------------------------------------------------
print(f"== load: {CLIENTS} clients through HAProxy")
stop = threading.Event()
attempts = []  # (kind, start, end, status or None)
writes = []  # dicts, one per write
log_lock = threading.Lock()
T0 = time.monotonic()


def now():
    return time.monotonic() - T0


class Client(threading.Thread):
    def __init__(self, n):
        super().__init__(daemon=True)
        self.n, self.count, self.rng = n, 0, random.Random(n)

    def attempt(self, kind, method, path, body=None, headers=None):
        start = now()
        try:
            status, h, data = call(HA, method, path, body, token=owner, headers=headers)
        except (OSError, http.client.HTTPException) as e:
            status, h, data = None, {}, {"error": str(e)}
        with log_lock:
            attempts.append((kind, start, now(), status))
        return status, h, data

    def write(self):
        self.count += 1
        email = f"load-{self.n}-{self.count}@ha.example"
        key = str(uuid.uuid4())
        body = {"email": email, "name": f"Load {self.n} {self.count}",
                "user_roles": [{"role": "VIEWER", "scope": {"tier": "account"}}]}
        w = {"email": email, "key": key, "tries": 0, "started": now(), "outcome": None}
        while True:
            w["tries"] += 1
            status, h, data = self.attempt("write", "POST", "/users/", body, {"Idempotency-Key": key})
            if status == 201:
                w.update(outcome="acked", id=data["id"], replayed=h.get("idempotency-replayed") == "true")
                break
            if status == 422 and "was applied" in (data or {}).get("detail", ""):
                w["outcome"] = "applied, response lost"
                break
            if status in (None, 409, 502, 503, 504) and now() - w["started"] < WRITE_DEADLINE:
                time.sleep(0.2)
                continue
            w.update(outcome=f"refused {status}", detail=data)
            break
        w["ended"] = now()
        with log_lock:
            writes.append(w)

    def run(self):
        while not stop.is_set():
            if self.rng.random() < 0.4:
                self.write()
            else:
                self.attempt("read", "GET", f"/users/?page=1&length=20&ordering=-created")


def wait_refused(port):
    """Until the killed server's port refuses connections: its process is
    gone, sockets and all (a zombie leader's threads may still hold them)."""
    import socket
    for _ in range(1000):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except ConnectionRefusedError:
            return
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"port {port} still accepts connections after SIGKILL")


clients = [Client(n) for n in range(CLIENTS)]
for cl in clients:
    cl.start()
time.sleep(STEADY)

replica_pid = int(ENV["HA_REPLICA_2_PID"])
print(f"== kill -9 replica 2 (pid {replica_pid}) at t={now():.2f}s")
kill_sent = now()
os.kill(replica_pid, signal.SIGKILL)
wait_refused(REPLICAS[1][1])
kill_replica = now()
print(f"   its port refuses connections {kill_replica - kill_sent:.3f}s later")
time.sleep(STEADY)

primary_pid = int(ENV["HA_PG_PRIMARY_PID"])
print(f"== kill -9 PostgreSQL primary (pid {primary_pid}) at t={now():.2f}s")
kill_primary = now()
os.kill(primary_pid, signal.SIGKILL)
wait_refused(int(ENV["HA_PG_PRIMARY_PORT"]))
time.sleep(DETECT)
promote_cmd = [f"{ENV['HA_PG_BIN']}/pg_ctl", "-D", ENV["HA_PG_STANDBY_DATA"], "-w", "promote"]
if os.geteuid() == 0 and ENV["HA_PG_USER"] != "root":
    promote_cmd = ["runuser", "-u", ENV["HA_PG_USER"], "--"] + promote_cmd
promoted_at = now()
subprocess.run(promote_cmd, check=True, capture_output=True, timeout=60)
promote_done = now()
print(f"== standby promoted at t={promoted_at:.2f}s (pg_ctl promote took {promote_done - promoted_at:.2f}s)")
time.sleep(STEADY + 2)
stop.set()
for cl in clients:
    cl.join(WRITE_DEADLINE + 20)
end = now()
check(not any(cl.is_alive() for cl in clients), "every client finished")

# --- 3. measurements and checks ---------------------------------------------------
print("== measurements")
att = sorted(attempts, key=lambda a: a[1])
ok = lambda st: st is not None and st < 400


def errors(lo, hi):
    return [a for a in att if lo <= a[1] < hi and not ok(a[3])]


before = [a for a in att if a[2] < kill_sent and not ok(a[3])]
print(f"  requests: {len(att)} ({sum(1 for a in att if a[0] == 'read')} reads, "
      f"{sum(1 for a in att if a[0] == 'write')} write attempts) in {end:.1f}s")
check(not before, f"no error before the first kill ({len(before)})")

# Replica kill: the requests the dead replica was serving fail (at most one
# per client); every request sent after the kill is answered (HAProxy sends
# a connection refused elsewhere, then stops choosing the dead replica).
in_flight = [a for a in att if a[1] < kill_replica and a[2] >= kill_sent]
failed_in_flight = [a for a in in_flight if not ok(a[3])]
window = [a for a in errors(kill_replica, kill_primary) if a[2] < kill_primary]
after_kill = [a for a in window if a[3] != 409]
waits = [a for a in window if a[3] == 409]
print(f"  replica kill: {len(in_flight)} requests in flight, {len(failed_in_flight)} of them failed "
      f"({Counter(a[3] for a in failed_in_flight)}); {len(waits)} retries answered 409 (still running)")
check(len(failed_in_flight) <= CLIENTS, "only requests in flight at the kill failed")
check(not after_kill, f"no request sent after the replica's death failed ({len(after_kill)}: "
      f"{Counter(a[3] for a in after_kill)})")
lost_writes = [w for w in writes if w["started"] <= kill_replica <= w["ended"]]
if lost_writes:
    print("  writes in flight at the replica kill: " + ", ".join(
        f"{w['outcome']} after {w['tries']} tries, {w['ended'] - kill_replica:.2f}s" for w in lost_writes))

# Primary failover: the outage is from the kill to the first success of a
# request sent after it.
def first_ok(kind, since):
    for a in att:
        if a[0] == kind and a[1] >= since and ok(a[3]):
            return a[2]
    return None


w_back, r_back = first_ok("write", kill_primary), first_ok("read", kill_primary)
w_promote = first_ok("write", promoted_at)
failed_during = [a for a in att if a[1] >= kill_primary and (a[3] is None or a[3] >= 500)]
check(w_back is not None and r_back is not None, "the service came back after the failover")
if w_back is not None and r_back is not None:
    print(f"  primary failover: writes back {w_back - kill_primary:.2f}s after the kill "
          f"({w_promote - promote_done:.2f}s after the promotion completed), reads back "
          f"{r_back - kill_primary:.2f}s after the kill; promotion delay {DETECT:.1f}s; "
          f"{len(failed_during)} attempts failed ({Counter(a[3] for a in failed_during)})")
    check(w_promote - promote_done < 10, "writes are back within 10 s of the promotion")

# Writes: nothing acknowledged lost, nothing applied twice.
outcomes = Counter(w["outcome"] for w in writes)
acked = [w for w in writes if w["outcome"] == "acked"]
print(f"  writes: {len(writes)} ({dict(outcomes)}), {sum(1 for w in writes if w['tries'] > 1)} "
      f"retried, {sum(1 for w in acked if w.get('replayed'))} answered by a replay; "
      f"most tries {max((w['tries'] for w in writes), default=0)}")
check(all(w["outcome"] in ("acked", "applied, response lost") for w in writes),
      "every write got a definite answer: " + ", ".join(
          f"{w['email']} {w['outcome']} {w.get('detail')}" for w in writes
          if w["outcome"] not in ("acked", "applied, response lost")))
rows = {email: uid for uid, email in psql("SELECT id, email FROM users WHERE email LIKE 'load-%@ha.example'")}
missing = [w["email"] for w in acked if rows.get(w["email"]) != w["id"]]
check(not missing, f"every acknowledged write is in the promoted database ({len(acked)} acked, "
      f"{len(missing)} missing: {missing[:5]})")
lost_response = [w["email"] for w in writes if w["outcome"] == "applied, response lost"]
check(all(e in rows for e in lost_response), "every write refused as 'applied' is in the database")
created = Counter(obj for (obj,) in psql(
    "SELECT object_id FROM audit_events WHERE action = 'user.created' AND object_id IN "
    "(SELECT id FROM users WHERE email LIKE 'load-%@ha.example')"))
twice = [o for o, n in created.items() if n != 1]
check(not twice and len(created) == len(rows),
      f"each user was created once ({len(rows)} users, {len(twice)} created more than once)")
unacked = set(rows) - {w["email"] for w in writes}
check(not unacked, f"no user exists that no client asked for ({len(unacked)})")

# Webhooks: every event of the run delivered, at least once, with stable ids.
events = psql(f"SELECT event_id, event_type, status FROM webhook_deliveries WHERE webhook_id = '{webhook_id}'")
wanted = {e for e, _, _ in events}
deadline = time.monotonic() + 75
while time.monotonic() < deadline:
    with received_lock:
        got = {r[0] for r in received}
    if wanted <= got:
        break
    time.sleep(0.5)
with received_lock:
    got_all = list(received)
got = Counter(r[0] for r in got_all)
late = max((r[5] - T0 for r in got_all), default=0) - end
check(wanted <= set(got), f"every webhook event of the run reached the receiver ({len(wanted)} events, "
      f"{len(wanted - set(got))} missing; the last arrived {late:.1f}s after the load stopped)")
check(all(r[4] for r in got_all), "every delivery carried a valid signature")
dups = sum(n - 1 for n in got.values())
print(f"  webhooks: {len(got_all)} deliveries received for {len(got)} events, {dups} duplicates "
      f"(same event id: at least once)")
by_object = defaultdict(set)
for event_id, kind, obj, *_ in got_all:
    by_object[(kind, obj)].add(event_id)
acked_ids = {w["id"] for w in acked}
check(all(len(by_object[("user.created", uid)]) == 1 for uid in acked_ids),
      "each acknowledged user has exactly one user.created event id")

# Scheduler: each ended contract acted on once.
deactivations = Counter(obj for (obj,) in psql(
    "SELECT object_id FROM audit_events WHERE action = 'user.deactivated' AND object_id IN (" +
    ",".join(f"'{u}'" for u in contract_users) + ")"))
inactive = {uid for uid, active in psql(
    "SELECT id, active FROM users WHERE id IN (" + ",".join(f"'{u}'" for u in contract_users) + ")")
    if active == "f"}
check(inactive == set(contract_users), f"the scheduler deactivated every ended contract "
      f"({len(inactive)}/{len(contract_users)})")
check(all(deactivations[u] == 1 for u in contract_users),
      f"each once, whatever the three replicas' schedulers did ({dict(deactivations)})")
check(all(len(by_object[("user.deactivated", u)]) == 1 for u in contract_users),
      "with one user.deactivated event each, delivered")

with open(os.path.join(REPORT, "measurements.json"), "w") as f:
    json.dump({
        "requests": len(att), "writes": dict(outcomes), "acked": len(acked),
        "replica_kill": {"in_flight": len(in_flight), "failed": len(failed_in_flight),
                         "failed_after": len(after_kill), "waits_409": len(waits)},
        "failover": {"writes_back_after_kill_s": w_back and w_back - kill_primary,
                     "reads_back_after_kill_s": r_back and r_back - kill_primary,
                     "writes_back_after_promotion_s": w_promote and w_promote - promote_done,
                     "promotion_delay_s": DETECT, "failed_attempts": len(failed_during)},
        "webhooks": {"events": len(wanted), "deliveries": len(got_all), "duplicates": dups},
        "failures": failures,
    }, f, indent=2)
receiver.shutdown()
if failures:
    print(f"== {len(failures)} check(s) failed")
    sys.exit(1)
print("== every check passed")
