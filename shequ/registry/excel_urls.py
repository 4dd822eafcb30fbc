"""Excel import and export pages, under /registry/excel/ in the registry namespace."""

from django.urls import path

from shequ.registry import excel_views

urlpatterns = [
    path("", excel_views.import_page, name="import"),
    path("export/", excel_views.export_page, name="excel_export_page"),
    path("template/<str:kind>.xlsx", excel_views.template, name="excel_template"),
    path("export/<str:kind>.xlsx", excel_views.export, name="excel_export"),
    path("errors.xlsx", excel_views.errors, name="excel_errors"),
]
