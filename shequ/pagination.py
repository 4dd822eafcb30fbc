"""The API's one pagination: `page` and `page_size` (≤ 500), answering `items` and `count`."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination


class Page(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(50, ge=1, le=500)

    def paginate_queryset(self, queryset, pagination: Input, **params):  # type: ignore[override]
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": queryset[offset : offset + pagination.page_size],
            "count": self._items_count(queryset),
        }
