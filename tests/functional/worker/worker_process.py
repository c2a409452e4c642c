"""A worker process for the kill/restart test: the real consumer and processor from the environment.

Same wiring as ``serve --role worker`` except shorter timings (visibility timeout 3 s, heartbeats every
second), so a message of a killed worker comes back within seconds instead of a minute.
"""

from __future__ import annotations

import asyncio
import signal

from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.server.worker.processor import create_processor
from benchling_webhook.server.worker.runner import InboxConsumer


async def main() -> None:
    settings = ServerSettings()
    processor = create_processor(settings, canvas_hooks=None)
    processor.pipeline.export_first_poll = 0.1
    consumer = InboxConsumer(processor, settings, visibility_timeout=3, heartbeat_interval=1.0,
                             wait_time_seconds=1, backoff_base=0.0, shutdown_grace=2.0)
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, consumer.stop)
    print("worker ready", flush=True)
    await consumer.run()


if __name__ == "__main__":
    asyncio.run(main())
