from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from shequ.api import api

admin.site.site_header = "城乡社区服务体系平台"
admin.site.site_title = "社区服务平台管理"
admin.site.index_title = "后台管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("shequ.accounts.urls")),
    path("registry/", include("shequ.registry.urls")),
    path("tickets/", include("shequ.tickets.urls")),
    path("care/", include("shequ.care.urls")),
    path("facilities/", include("shequ.facilities.urls")),
    path("open311/v2/", include("shequ.tickets.open311")),
    path("", include("shequ.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
