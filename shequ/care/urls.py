from django.urls import path

from shequ.care import views

app_name = "care"
urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("targets/", views.targets, name="targets"),
    path("persons/<int:pk>/", views.record, name="record"),
    path("persons/<int:pk>/visit/", views.visit_new, name="visit"),
    path("persons/<int:pk>/order/", views.order_new, name="order_new"),
    path("rate/", views.rate, name="rate"),
    path("rate/export.xlsx", views.rate_export, name="rate_export"),
    path("overdue/", views.overdue, name="overdue"),
    path("workers/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/<str:action>/", views.order_action, name="order_action"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/<int:pk>/", views.policy_edit, name="policy_edit"),
]
