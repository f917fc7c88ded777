import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# The admin's modules are loaded with the URLs (config/urls.py), not by every management
# command's start-up: a server loads them now, so its first request does not wait for them.
import_module(settings.ROOT_URLCONF)

# Python's cycle collector, set for a server process. What start-up loaded (Django, the admin,
# this app: about 100,000 objects that live as long as the process) is frozen out
# of the collector's reach, so that no collection walks it again. A request allocates tens of
# thousands of objects, nearly all freed at once by reference counting: collecting the young
# generation every 700 allocations (the default) walked the request's live objects several
# times per request; every 20,000 it runs about once per request or less. Cycles are still
# collected, a little later. Measured in one process, alternating the settings over the
# annotator's three requests (bench/bench_requests.py): 4-11 % less CPU than the defaults.
YOUNGEST_GENERATION_THRESHOLD = 20_000
gc.collect()
gc.freeze()
gc.set_threshold(YOUNGEST_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
