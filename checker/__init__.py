"""checker: tells GPU users, with evidence, which CUDA runtime images work on their host driver."""

__version__ = "0.1.0"
