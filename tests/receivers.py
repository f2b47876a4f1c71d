"""Where a partner's code listens, for the delivery tests: an HTTP receiver (a webhook endpoint) that
records what reaches it and can fail on purpose, and moto's server as the SQS endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import free_port


class Receiver:
    """An HTTP endpoint on a free port: `received` holds (headers, body) of each POST it answered 2xx;
    `fail_first` requests are answered `fail_status` first; `delay` seconds pass before each answer."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503, delay: float = 0.0):
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.refused = 0
        self.fail_first, self.fail_status, self.delay = fail_first, fail_status, delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                time.sleep(receiver.delay)
                with receiver._lock:
                    if receiver.refused < receiver.fail_first:
                        receiver.refused += 1
                        status = receiver.fail_status
                    else:
                        receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                        status = 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        with self._lock:
            return [json.loads(body) for _headers, body in self.received]

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} deliveries within {timeout} s, not {count}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MotoServer:
    """moto's server (`python -m moto.server`), as a user would start it for SQS."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto's server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
