"""gunicorn reads this from the working directory: each web process loads what queries need before it takes
traffic, so the first request after a (re)start is as fast as any other."""


def post_worker_init(worker):
    from search.components import warm_up_web

    warm_up_web()
