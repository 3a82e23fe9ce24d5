# Interpreters that misbehave, so the host side's handling of hung and garbage probes runs for real; and
# an nvidia-smi that prints the header a WSL2 host shows (Linux tool build, Windows driver version).
ARG BASE
FROM ${BASE}
RUN printf '#!/bin/sh\nexec sleep 600\n' > /usr/local/bin/python-hang \
 && printf '#!/bin/sh\necho "CHECKER-PROBE {\\"checks\\": [truncated"\n' > /usr/local/bin/python-garbage \
 && printf '#!/bin/sh\nexec python3 -c "import ctypes; ctypes.string_at(0)"\n' > /usr/local/bin/python-segv \
 && printf '%s\n' '#!/bin/sh' \
      'echo "+-----------------------------------------------------------------------------------------+"' \
      'echo "| NVIDIA-SMI 555.42.03             Driver Version: 555.85         CUDA Version: 12.5     |"' \
      > /usr/local/bin/nvidia-smi \
 && chmod +x /usr/local/bin/python-hang /usr/local/bin/python-garbage /usr/local/bin/python-segv \
      /usr/local/bin/nvidia-smi
