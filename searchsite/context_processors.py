"""Template context shared by every page."""

from django.urls import reverse

# The scripts' one source of URLs: named routes, reversed here. Per-photo routes are reversed for id 0 and the
# scripts put the real id in place of the "/0/" segment (api.js).
SCRIPT_URLS = {
    "photos": ("api:photo-list", ()),
    "photo": ("api:photo-detail", (0,)),
    "photoTags": ("api:photo-tags", (0,)),
    "photoTextMatches": ("api:photo-text-matches", (0,)),
    "bulkTags": ("api:photo-bulk-tags", ()),
    "bulkFavourite": ("api:photo-bulk-favourite", ()),
    "bulkTrash": ("api:photo-bulk-trash", ()),
    "bulkArchive": ("api:photo-bulk-archive", ()),
    "trashRestore": ("api:trash-restore", ()),
    "trashDelete": ("api:trash-delete", ()),
    "albums": ("api:album-list", ()),
    "album": ("api:album-detail", (0,)),
    "albumPhotos": ("api:album-photos", (0,)),
    "albumPhotosRemove": ("api:album-photos-remove", (0,)),
    "albumPage": ("gallery:album", (0,)),
    "similar": ("api:search-similar", ()),
    "byClass": ("api:search-class", ()),
    "text": ("api:search-text", ()),
    "albumSearch": ("api:album-search", (0,)),
    "classes": ("api:classes", ()),
    "words": ("api:words-similar", ()),
    "photoPage": ("gallery:photo", (0,)),
    "original": ("gallery:original", (0,)),
    "thumbnail": ("gallery:thumbnail", (0,)),
    "search": ("gallery:search", ()),
    "home": ("gallery:home", ()),
    "download": ("gallery:download", ()),
    "people": ("api:person-list", ()),
    "faceName": ("api:face-name", (0,)),
    "faceAssign": ("api:face-assign", (0,)),
    "faceCrop": ("api:face-crop", (0,)),
    "personPage": ("people:person", (0,)),
}


def script_urls(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    return {"script_urls": {key: reverse(name, args=args) for key, (name, args) in SCRIPT_URLS.items()}}
