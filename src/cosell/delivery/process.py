"""The delivery worker as a process beside `cosell serve` (`--event-delivery process`, the default): it runs
on the machine's other cores instead of taking the server's, and stops when the server does (or dies)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading

from cosell.settings import EventDelivery, Settings

_SETTINGS_VARIABLE = "COSELL_DELIVERY_SETTINGS"


class Delivery:
    """The delivery worker the server started (`--event-delivery`), to stop with the server."""

    def __init__(self, worker=None, process: subprocess.Popen | None = None):
        self.worker, self.process = worker, process

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.process is not None:
            stop(self.process)


def start_delivery(settings: Settings, store, api_activity=None) -> Delivery:
    """The worker `--event-delivery` asks for; a thread yields to the API while `api_activity()` grows."""
    if settings.event_delivery is EventDelivery.OFF:
        return Delivery()
    if settings.event_delivery is EventDelivery.PROCESS:
        return Delivery(process=spawn(settings))
    from cosell.delivery.worker import DeliveryWorker
    worker = DeliveryWorker(store, settings, api_activity=api_activity)
    worker.start()
    return Delivery(worker=worker)


def spawn(settings: Settings) -> subprocess.Popen:
    """Starts `python -m cosell.delivery.process` on the server's database, with the server's event settings."""
    handed = {"database_url": settings.resolved_database_url, "sqs_endpoint_url": settings.sqs_endpoint_url,
              "event_attempts": settings.event_attempts, "event_duplicates": settings.event_duplicates,
              "data_dir": str(settings.data_dir)}
    return subprocess.Popen([sys.executable, "-m", "cosell.delivery.process", str(os.getpid())],
                            env={**os.environ, _SETTINGS_VARIABLE: json.dumps(handed)})


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    from cosell.delivery.worker import DeliveryWorker
    from cosell.store import Store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parent_pid = int(sys.argv[1])
    handed = json.loads(os.environ[_SETTINGS_VARIABLE])
    settings = Settings(**handed)
    store = Store(settings.resolved_database_url, settings.store)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        DeliveryWorker(store, settings).run(stopping, parent_pid=parent_pid)
    finally:
        store.close()


if __name__ == "__main__":
    main()
