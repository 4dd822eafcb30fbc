from django.urls import path

from shequ.facilities import views

app_name = "facilities"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/<str:code>/", views.index, name="unit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("new/", views.create, name="create"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/active/", views.set_active, name="set_active"),
    path("map/", views.unit_map, name="map_top"),
    path("map/<str:code>/", views.unit_map, name="map"),
    path("coverage/", views.coverage, name="coverage_top"),
    path("coverage/<str:code>/", views.coverage, name="coverage"),
    path("coverage/<str:code>/export.xlsx", views.coverage_export, name="coverage_export"),
    path("export.xlsx", views.export, name="export"),
    path("import/", views.import_page, name="import"),
    path("runs/", views.runs, name="runs"),
    path("runs/progress/", views.run_progress, name="run_progress"),
    path("runs/start/", views.run_start, name="run_start"),
]
