from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self):
        # Search listens to gallery; gallery never imports search (tests/gallery/test_layering.py).
        from gallery import signals

        from . import pipeline

        signals.photos_stored.connect(pipeline.on_photos_stored, dispatch_uid="search.photos_stored")
        signals.photo_deleted.connect(pipeline.on_photo_deleted, dispatch_uid="search.photo_deleted")
        signals.tags_changed.connect(pipeline.on_tags_changed, dispatch_uid="search.tags_changed")
