"""Capture-history data: the :class:`CaptureData` table and the bundled data sets."""

from mse.data.capture import CaptureData
from mse.data.datasets import dataset_info, list_datasets, load_dataset, load_truth

__all__ = ["CaptureData", "dataset_info", "list_datasets", "load_dataset", "load_truth"]
