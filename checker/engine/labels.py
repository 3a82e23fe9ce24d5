"""Labels that checker puts on everything it creates, so that `checker clean` can find leftovers."""

LABEL_RUN = "io.checker.run"
LABEL_CELL = "io.checker.cell"
LABEL_CACHE = "io.checker.cache-key"
