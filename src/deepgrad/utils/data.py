"""``deepgrad.utils.data``: PyTorch's spelling of ``deepgrad.data`` (``from deepgrad.utils.data import DataLoader``)."""
from deepgrad.data import *  # noqa: F403
from deepgrad.data import __all__  # noqa: F401
