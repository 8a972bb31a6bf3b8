# otel-locust on the official Locust image: the plugin installed as a wheel, the locustfiles in the workdir,
# running as the image's non-root user `locust` (the base image's /opt/venv belongs to it).
#
#   docker build -t otel-locust:0.1.0 .
#   docker run --rm -p 8089:8089 otel-locust:0.1.0 -f locustfiles/agent_mix.py
#
# docker-compose.yml and deploy/kubernetes/ use this image. tests/test_deploy.py runs these steps' equivalent
# without a Docker engine (a fresh virtual environment stands in for the base image's): keep the RUN steps to
# plain `pip` commands on absolute paths.

FROM locustio/locust:2.47.0 AS build
# A C compiler for the optional extension that stamps re-issued traces (otel_locust/encoding/_stamp.c, about 1.4x
# the traces per CPU-second): the base image has Python's headers but no compiler. Without it the wheel would still
# build, on the pure-Python path. The compiler stays in this stage; the image gets only the wheel.
USER root
RUN command -v gcc >/dev/null || (apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev)
USER locust
COPY --chown=locust:locust . /home/locust/src
RUN pip wheel --no-deps --no-cache-dir --wheel-dir /home/locust/wheels /home/locust/src

FROM locustio/locust:2.47.0
COPY --from=build /home/locust/wheels /opt/otel-locust/wheels
RUN pip install --no-cache-dir /opt/otel-locust/wheels/*.whl
WORKDIR /home/locust
COPY --chown=locust:locust locustfiles/ locustfiles/
USER locust
EXPOSE 8089 5557 4318
ENTRYPOINT ["locust"]
CMD ["-f", "locustfiles/agent_mix.py"]
