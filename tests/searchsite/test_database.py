"""The database settings hold when the web server and a worker write at the same moment."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

User = get_user_model()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_reads_then_writes_survives_another_process_committing_in_between():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL row locks never fail a writer this way")
    a_has_read, b_is_writing = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def guarded(body):
        def run():
            try:
                body()
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)
            finally:
                connections.close_all()

        return run

    def reader_then_writer():
        # The shape of get_or_create inside a request: a read, then a write in the same transaction.
        with transaction.atomic():
            User.objects.filter(username="a").exists()
            a_has_read.set()
            b_is_writing.wait(5)
            time.sleep(0.3)
            User.objects.create(username="a")

    def writer():
        a_has_read.wait(5)
        b_is_writing.set()
        User.objects.create(username="b")

    threads = [threading.Thread(target=guarded(reader_then_writer)), threading.Thread(target=guarded(writer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert set(User.objects.values_list("username", flat=True)) == {"a", "b"}
