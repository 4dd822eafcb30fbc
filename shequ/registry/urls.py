from django.urls import include, path

from shequ.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/<str:code>/", views.tree, name="unit"),
    path("households/<int:pk>/", views.household, name="household"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("persons/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("search/", views.search, name="search"),
    path("excel/", include("shequ.registry.excel_urls")),
]
