"""Checking tools: numerical gradient checks."""
from deepgrad.utils.gradcheck import gradcheck, gradgradcheck, numerical_grad

__all__ = ["gradcheck", "gradgradcheck", "numerical_grad"]
