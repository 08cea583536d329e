"""gunicorn reads this from the working directory (the tests pass it with -c)."""

# The control socket defaults to one path per user: several gunicorns on one host would take it from each other,
# and nothing here uses it.
control_socket_disable = True


def post_worker_init(worker):
    """Load what queries need before the process takes traffic, so the first request after a (re)start is as fast
    as any other."""
    from search.components import warm_up_web

    warm_up_web()
