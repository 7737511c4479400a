#!/usr/bin/env python3
"""CTest driver: `hivescope serve --port 0` in the background, `hivescope conformance` against it.

Usage: serve_conformance.py <hivescope> <mode>
  pass            --client records, binarize on: every check passes or is N/A, exit 0
  wrong-password  conformance with the wrong password: it must FAIL (non-zero exit)
  tls             serve --tls-self-signed (wss://): without --ca every check that needs the
                  master FAILs as unreachable; with --ca the certificate every check passes
  db              serve --db with a clients.json in the hivemind-core layout, then conformance;
                  then the baseline-admission step below
  baseline-admission
                  no serve: conformance against a stdlib stand-in that turns clients away the
                  way hivemind-core 4.0 (tornado, hivemind-websocket-protocol 0.0.3) does: it
                  accepts every upgrade, then closes without a status for an unknown key and
                  drops the socket when the authorization is not base64 `useragent:key`.
                  The auth.* checks must PASS; the handshake must FAIL (the stand-in closes
                  after its HELLO and shake request: it has no AEAD in the standard library)

The server is always stopped (SIGINT, then SIGKILL) and reaped; every wait is bounded.
"""

import base64
import hashlib
import json
import os
import selectors
import signal
import socket
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


class BaselineAdmission:
    """A WebSocket listener on 127.0.0.1 that admits clients as hivemind-core 4.0 does.

    hivemind-websocket-protocol's open() runs after tornado has sent the 101 response: it
    splits the URI on `/?authorization=`, base64-decodes it and splits on `:` (an exception
    there makes tornado drop the socket without a close frame), looks the key up and calls
    close() with no code for an unknown one (a close frame without a status). A known key
    gets the HELLO and the shake request (HiveMindListenerProtocol.handle_new_client), here
    followed by the same status-less close once the client answers.
    """

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, known_key):
        self.known_key = known_key
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.events = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join(timeout=STEP_LIMIT)
        self.listener.close()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(STEP_LIMIT)
                try:
                    self._session(conn)
                except OSError as error:
                    self.events.append(f"socket error {error}")

    @staticmethod
    def _frame(opcode, payload):
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([len(payload)])
        else:
            header += bytes([126]) + len(payload).to_bytes(2, "big")
        return header + payload

    def _session(self, conn):
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        lines = request.decode("latin-1").split("\r\n")
        uri = lines[0].split(" ")[1]
        ws_key = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                ws_key = value.strip()
        accept = base64.b64encode(hashlib.sha1((ws_key + self.GUID).encode()).digest()).decode()
        conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                      "\r\n\r\n").encode())
        try:
            auth = uri.split("/?authorization=")[-1]
            useragent, key = base64.b64decode(auth).decode("utf-8").split(":")
        except (ValueError, UnicodeDecodeError) as error:
            self.events.append(f"abort ({error.__class__.__name__})")
            return  # tornado's _abort(): the socket closes, no close frame
        if key != self.known_key:
            self.events.append(f"invalid key {useragent}")
            conn.sendall(self._frame(0x8, b""))  # close() without a code
            conn.recv(4096)  # the client's close frame
            return
        self.events.append(f"known key {useragent}")
        hello = {"pubkey": None, "peer": f"{useragent}::1::conformance::default",
                 "node_id": "master:0.0.0.0"}
        shake = {"handshake": False, "min_protocol_version": 0, "max_protocol_version": 1,
                 "binarize": False, "preshared_key": True, "password": True,
                 "crypto_required": True,
                 "encodings": ["JSON-B64", "JSON-URLSAFE-B64", "JSON-B91", "JSON-Z85B",
                               "JSON-Z85P", "JSON-B32", "JSON-HEX"],
                 "ciphers": ["CHACHA20-POLY1305", "AES-GCM"]}
        for msg_type, payload in (("hello", hello), ("shake", shake)):
            message = {"msg_type": msg_type, "payload": payload, "metadata": {}, "route": [],
                       "node": None, "target_site_id": None, "target_pubkey": None,
                       "source_peer": None}
            conn.sendall(self._frame(0x1, json.dumps(message).encode()))
        conn.recv(4096)  # the client's shake
        conn.sendall(self._frame(0x8, b""))
        conn.recv(4096)


def baseline_admission(hivescope):
    """Conformance against BaselineAdmission: the auth checks PASS, the handshake FAILs."""
    fake = BaselineAdmission("baseline-key")
    try:
        run = subprocess.run(
            [hivescope, "conformance", f"ws://127.0.0.1:{fake.port}", "--key", "baseline-key",
             "--password", "baseline-password", "--timeout", "2"],
            capture_output=True, text=True, timeout=STEP_LIMIT)
    except subprocess.TimeoutExpired as expired:
        fake.stop()
        fail("conformance did not finish against the baseline stand-in",
             ("conformance", str(expired.stdout)))
    fake.stop()
    output = run.stdout + run.stderr
    outputs = (("conformance", output), ("stand-in", "\n".join(fake.events)))
    if run.returncode == 0:
        fail("conformance passed against a master that completes no handshake", *outputs)
    for line in ["PASS  auth.unknown-key", "no close status (1005)",
                 "PASS  auth.malformed-authorization", "socket dropped (1006",
                 "FAIL  handshake.password"]:
        if line not in output:
            fail(f"baseline stand-in: missing '{line}'", *outputs)
    if not any(event.startswith("abort") for event in fake.events) or \
            not any(event.startswith("invalid key") for event in fake.events):
        fail("the stand-in did not see both refusals", *outputs)
    print(output)
    print("conformance accepted hivemind-core 4.0's refusal forms")


def main():
    hivescope, mode = sys.argv[1], sys.argv[2]
    if mode == "baseline-admission":
        baseline_admission(hivescope)
        return
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
        certificate = os.path.join(scratch, "serve-cert.pem")
        if mode == "tls":
            serve_args += ["--tls-self-signed", certificate]
        scheme = "wss" if mode == "tls" else "ws"

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
                hivescope, "conformance", f"{scheme}://127.0.0.1:{port}",
                "--key", key,
                "--password", "not-" + password if mode == "wrong-password" else password,
                "--admin-key", admin[0], "--admin-password", admin[1],
                "--timeout", "3",
            ]
            untrusted_output = ""
            try:
                if mode == "tls":
                    # Without --ca the self-signed certificate is not trusted: every check
                    # that needs the master must FAIL as unreachable, none may PASS.
                    untrusted = subprocess.run(
                        conformance_args, capture_output=True, text=True, timeout=STEP_LIMIT
                    )
                    untrusted_output = untrusted.stdout + untrusted.stderr
                    if untrusted.returncode == 0 or "PASS " in untrusted_output or (
                        "could not reach the master: tls handshake:" not in untrusted_output
                    ):
                        fail("conformance trusted an unknown certificate",
                             ("conformance without --ca", untrusted_output))
                    conformance_args += ["--ca", certificate]
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
        if mode in ("pass", "tls"):
            expected.append("PASS  binarize.bus")
        for line in expected:
            if line not in conformance_output:
                fail(f"missing '{line}'", *outputs)
        print(conformance_output)
        print(f"conformance passed against hivescope serve ({mode})")
    if mode == "db":
        baseline_admission(hivescope)


if __name__ == "__main__":
    main()
