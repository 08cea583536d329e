from django.apps import AppConfig


class GalleryConfig(AppConfig):
    name = "gallery"

    def ready(self):
        from pillow_heif import register_heif_opener

        # HEIC/HEIF (iPhones' default) for every Pillow user in the process: validator, decoder, thumbnails.
        register_heif_opener()
