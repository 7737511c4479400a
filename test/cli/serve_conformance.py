#!/usr/bin/env python3
"""CTest driver: `hivescope serve --port 0` in the background, `hivescope conformance` against it.

Usage: serve_conformance.py <hivescope> <mode>
  pass            --client records, binarize on: every check passes or is N/A, exit 0
  wrong-password  conformance with the wrong password: it must FAIL (non-zero exit)
  db              serve --db with a clients.json in the hivemind-core layout, then conformance

The server is always stopped (SIGINT, then SIGKILL) and reaped; every wait is bounded.
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time

SERVE_LIMIT = 30  # seconds: `--for`, a backstop should this driver die without stopping it
STEP_LIMIT = 15  # seconds: any one step of this driver


def fail(message, *outputs):
    print("FAILED: " + message)
    for label, text in outputs:
        print(f"---- {label} ----\n{text}")
    sys.exit(1)


def read_port(server):
    """Reads serve's stdout until its `port N` line; returns (port, text so far)."""
    text = b""
    selector = selectors.DefaultSelector()
    selector.register(server.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + STEP_LIMIT
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        chunk = os.read(server.stdout.fileno(), 65536)  # unbuffered: select() stays truthful
        if not chunk:
            break
        text += chunk
        for line in text.decode("utf-8", "replace").splitlines():
            if line.startswith("port "):
                return int(line.split()[1]), text.decode("utf-8", "replace")
    return None, text.decode("utf-8", "replace")


class Drain:
    """Reads serve's stdout on a thread, so a chatty server never blocks on a full pipe."""

    def __init__(self, server):
        self.chunks = []
        self.thread = threading.Thread(target=self._run, args=(server.stdout,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        while chunk := os.read(stream.fileno(), 65536):
            self.chunks.append(chunk)

    def text(self):
        self.thread.join(timeout=STEP_LIMIT)
        return b"".join(self.chunks).decode("utf-8", "replace")


def stop(server, drain):
    """SIGINT (serve's clean stop), then SIGKILL; returns (exit code, rest of stdout)."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=STEP_LIMIT)
        code = server.returncode
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        code = None
    return code, drain.text()


def main():
    hivescope, mode = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as scratch:
        serve_args = [hivescope, "serve", "--port", "0", "--for", str(SERVE_LIMIT)]
        key, password, admin = "conf-key", "conf-password", ("conf-admin", "admin-password")
        if mode == "db":
            # As hivemind-core add-client writes it: a pre-shared key next to the password.
            db = os.path.join(scratch, "clients.json")
            records = {}
            for client_id, (api_key, pw, is_admin) in enumerate(
                [(key, password, False), (admin[0], admin[1], True)], start=1
            ):
                records[str(client_id)] = {
                    "client_id": client_id,
                    "api_key": api_key,
                    "name": f"db-client-{client_id}",
                    "description": "",
                    "is_admin": is_admin,
                    "last_seen": -1,
                    "intent_blacklist": [],
                    "skill_blacklist": [],
                    "message_blacklist": [],
                    "allowed_types": ["recognizer_loop:utterance", "mycroft.skills.is_alive"],
                    "crypto_key": f"{client_id:016d}",
                    "password": pw,
                    "can_broadcast": True,
                    "can_escalate": True,
                    "can_propagate": True,
                    "metadata": {},
                }
            with open(db, "w", encoding="utf-8") as file:
                json.dump(records, file, indent=4)
            serve_args += ["--db", db]
        else:
            serve_args += [
                "--client", f"{key}:{password}",
                "--client", f"{admin[0]}:{admin[1]}:admin",
                "--binarize",
            ]

        server = subprocess.Popen(
            serve_args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        conformance_output = ""
        drain = None
        try:
            port, head = read_port(server)
            drain = Drain(server)
            if port is None:
                stop(server, drain)
                fail("serve printed no port", ("serve", head))
            conformance_args = [
                hivescope, "conformance", f"ws://127.0.0.1:{port}",
                "--key", key,
                "--password", "not-" + password if mode == "wrong-password" else password,
                "--admin-key", admin[0], "--admin-password", admin[1],
                "--timeout", "3",
            ]
            try:
                run = subprocess.run(
                    conformance_args, capture_output=True, text=True, timeout=STEP_LIMIT
                )
            except subprocess.TimeoutExpired as expired:
                fail("conformance did not finish", ("conformance", str(expired.stdout)))
            conformance_output = run.stdout + run.stderr
        finally:
            if drain is None:  # read_port raised: still stop and reap the server
                drain = Drain(server)
            code, rest = stop(server, drain)
        served = head + rest
        outputs = (("conformance", conformance_output), ("serve", served))

        if code != 0:
            fail(f"serve exited with {code} after SIGINT", *outputs)
        if "stopped by SIGINT" not in served:
            fail("serve did not report a clean SIGINT stop", *outputs)
        if "refused" not in served or " frame " not in served:
            fail("serve did not print the refusals and frames it received", *outputs)

        if mode == "wrong-password":
            if run.returncode == 0:
                fail("conformance passed with the wrong password", *outputs)
            if "FAIL  handshake.password" not in conformance_output:
                fail("the failure is not the password handshake", *outputs)
            print(conformance_output)
            print("conformance failed as it must with the wrong password")
            return
        if run.returncode != 0 or " 0 failed" not in conformance_output:
            fail(f"conformance exited with {run.returncode}", *outputs)
        expected = ["PASS  auth.unknown-key", "PASS  handshake.password", "PASS  bus.round-trip",
                    "PASS  ping.discovery", "PASS  acl.disallowed-type", "PASS  admin.broadcast"]
        if mode == "pass":
            expected.append("PASS  binarize.bus")
        for line in expected:
            if line not in conformance_output:
                fail(f"missing '{line}'", *outputs)
        print(conformance_output)
        print(f"conformance passed against hivescope serve ({mode})")


if __name__ == "__main__":
    main()
