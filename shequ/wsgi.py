import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
application = get_wsgi_application()
# What is loaded by now lives as long as the worker: keep it out of every garbage
# collection pass (fewer and shorter pauses under load).
gc.freeze()
