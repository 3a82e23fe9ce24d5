# The base as it is; the probe layer on top decides what the cell tests.
ARG BASE
FROM ${BASE}
