# Interpreters that misbehave, so the host side's handling of hung and garbage probes runs for real.
ARG BASE
FROM ${BASE}
RUN printf '#!/bin/sh\nexec sleep 600\n' > /usr/local/bin/python-hang \
 && printf '#!/bin/sh\necho "CHECKER-PROBE {\\"checks\\": [truncated"\n' > /usr/local/bin/python-garbage \
 && printf '#!/bin/sh\nexec python3 -c "import ctypes; ctypes.string_at(0)"\n' > /usr/local/bin/python-segv \
 && chmod +x /usr/local/bin/python-hang /usr/local/bin/python-garbage /usr/local/bin/python-segv
