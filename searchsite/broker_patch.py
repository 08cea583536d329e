"""A patch for kombu's Redis transport (kombu 5.7.0, celery 5.7.0, redis-py 8.1.0): workers survive a broker restart.

When Redis goes away, the worker's consumer first calls ``Connection.collect()``. Closing the channel there fails
on the dead socket, and collect() then detaches the transport from its connection (``transport.client = None``).
The consumer next calls ``connection.close()``, which closes the channel again; that restores the unacknowledged
messages (e.g. a countdown task the worker holds) through a new Redis client built from ``transport.client`` →
``AttributeError: 'NoneType' object has no attribute 'hostname'``, which ``ignore_errors`` does not catch: the
worker dies instead of reconnecting. Reproduced by tests/searchsite/test_broker_restart.py.

With no connection to build a client from, there is nothing to restore through: the messages are still in Redis'
unacked hash, and kombu puts them back on the queue after the visibility timeout (if Redis kept its data; if it
did not, the photo reconciler re-queues the photos). So the restore is skipped, with a warning.
"""

import logging

from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)

_original_restore_unacked = kombu_redis.QoS.restore_unacked


def _restore_unacked(self, client=None):
    transport = getattr(self.channel, "connection", None)
    if client is None and getattr(transport, "client", None) is None:
        logger.warning(
            "Broker connection closed: %s unacknowledged message(s) stay in Redis until the "
            "visibility timeout restores them",
            len(self._delivered),
        )
        self._delivered.clear()
        return None
    return _original_restore_unacked(self, client)


def apply() -> None:
    kombu_redis.QoS.restore_unacked = _restore_unacked
