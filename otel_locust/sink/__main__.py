"""``python -m otel_locust.sink``: the standalone sink (what the embedded sink runs in its child process)."""

import sys

from otel_locust.sink.server import main

sys.exit(main())
