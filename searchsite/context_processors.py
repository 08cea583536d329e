"""Template context shared by every page."""
from django.urls import reverse

# The scripts' one source of URLs: named routes, reversed here. Per-photo routes are reversed for id 0 and the
# scripts put the real id in place of the "/0/" segment (api.js).
SCRIPT_URLS = {
    "photos": ("api:photo-list", ()),
    "photo": ("api:photo-detail", (0,)),
    "photoTags": ("api:photo-tags", (0,)),
    "bulkTags": ("api:photo-bulk-tags", ()),
    "bulkDelete": ("api:photo-bulk-delete", ()),
    "similar": ("api:search-similar", ()),
    "byClass": ("api:search-class", ()),
    "text": ("api:search-text", ()),
    "classes": ("api:classes", ()),
    "words": ("api:words-similar", ()),
    "photoPage": ("gallery:photo", (0,)),
    "original": ("gallery:original", (0,)),
    "thumbnail": ("gallery:thumbnail", (0,)),
    "search": ("gallery:search", ()),
    "home": ("gallery:home", ()),
}


def script_urls(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    return {"script_urls": {key: reverse(name, args=args) for key, (name, args) in SCRIPT_URLS.items()}}
