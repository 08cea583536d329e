from rest_framework.pagination import PageNumberPagination


class PhotoPagination(PageNumberPagination):
    """DRF's {count, next, previous, results}; scripts may ask for up to 1000 a page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
