"""Where an upload becomes a vector (filled by the search integration)."""


def photos_index(*, photos, images) -> None:
    return None


def photo_forget(*, photo) -> None:
    return None


def tags_changed(*, owner_id: int) -> None:
    return None
