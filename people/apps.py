from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"

    def ready(self):
        # people depends on gallery; gallery never imports people (tests/people/test_layering.py).
        from gallery import extensions

        from . import checks, selectors  # noqa: F401 (checks registers itself)
        from .api.serializers import person_filter_field

        extensions.photo_detail_part_register(name="faces", build=selectors.photo_faces)
        extensions.photo_list_filter_register(
            name="person", field=person_filter_field, apply=selectors.photos_with_person
        )
