# An image the probe cannot run in: python3 removed.
ARG BASE
FROM ${BASE}
RUN rm -f /usr/bin/python3 /usr/bin/python3.*
