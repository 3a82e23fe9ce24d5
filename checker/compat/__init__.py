"""Compatibility knowledge: NVIDIA's tables as data, the toolkit's requirement check, and predictions.

`predict(driver, image_cuda, ...)` applies the published rules before anything runs; `checker run`
compares each prediction with what happened (the `compat.agreement` check).
"""

from checker.compat import require
from checker.compat.predict import DriverInfo, Prediction, Verdict, host_table, newest_native, predict

__all__ = ["DriverInfo", "Prediction", "Verdict", "host_table", "newest_native", "predict", "require"]
