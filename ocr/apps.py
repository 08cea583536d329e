from django.apps import AppConfig


class OcrConfig(AppConfig):
    name = "ocr"
    verbose_name = "Text in photos"

    def ready(self):
        # gallery renders the part without importing ocr (gallery/extensions.py).
        from gallery.extensions import photo_detail_part_register

        from .selectors import photo_text_part

        photo_detail_part_register(name="text", build=photo_text_part)
