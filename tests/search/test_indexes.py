"""The owner's indexes are the ones the registered signals name, and a rebuild publishes exactly those."""

import pytest

from search import components, indexes
from search.models import SearchIndex
from search.signals import SIGNALS, indexed_spaces
from search.spaces import image_space, text_space

pytestmark = pytest.mark.django_db


def test_indexed_spaces_are_the_image_and_text_spaces_the_signals_name_each_once(user):
    model_key = components.configured_model_key()
    spaces = indexed_spaces(owner_id=user.id, model_key=model_key)
    assert sorted((s.kind, s.key) for s in spaces) == sorted(
        (s.kind, s.key) for s in (image_space(model_key=model_key), text_space(owner_id=user.id, model_key=model_key))
    )
    assert {signal.name for signal in SIGNALS if hasattr(signal, "indexes")} == {"thing", "image"}


def test_a_rebuild_publishes_one_version_of_each_named_space(user, gallery):
    model_key = components.configured_model_key()
    assert indexes.index_rebuild_try(owner_id=user.id) is True
    named = {(s.kind, s.key) for s in indexed_spaces(owner_id=user.id, model_key=model_key)}
    published = set(SearchIndex.objects.filter(owner_id=user.id).values_list("space", "key"))
    assert published == named
