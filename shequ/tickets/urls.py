from django.urls import path

from shequ.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.index, name="index"),
    path("submit/", views.submit, name="submit"),
    path("submit/questions/", views.questions, name="questions"),
    path("track/<str:number>/", views.track, name="track"),
    path("new/", views.new, name="new"),
    path("queue/", views.ticket_list, {"kind": "queue"}, name="queue"),
    path("inbox/", views.ticket_list, {"kind": "inbox"}, name="inbox"),
    path("overdue/", views.ticket_list, {"kind": "overdue"}, name="overdue"),
    path("all/", views.ticket_list, {"kind": "all"}, name="all"),
    path("rates/", views.rates_page, name="rates"),
    path("hotspots/", views.hotspots_page, name="hotspots"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
