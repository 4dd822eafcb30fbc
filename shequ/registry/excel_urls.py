# Excel import/export pages; filled in by the import module.
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path


@login_required
def placeholder(request):
    return HttpResponse("")


urlpatterns = [path("", placeholder, name="import")]
