import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# The admin's modules are loaded with the URLs (config/urls.py), not by every management
# command's start-up: a server loads them now, so its first request does not wait for them.
import_module(settings.ROOT_URLCONF)
