"""Keras callbacks, one per file: History, ProgbarLogger, EarlyStopping, ModelCheckpoint,
LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, CSVLogger, LambdaCallback, BackupAndRestore."""
from __future__ import annotations

from deepgrad.keras.callbacks.backup_and_restore import BackupAndRestore
from deepgrad.keras.callbacks.callback import Callback, CallbackList
from deepgrad.keras.callbacks.csv_logger import CSVLogger
from deepgrad.keras.callbacks.early_stopping import EarlyStopping
from deepgrad.keras.callbacks.history import History
from deepgrad.keras.callbacks.lambda_callback import LambdaCallback
from deepgrad.keras.callbacks.learning_rate_scheduler import LearningRateScheduler
from deepgrad.keras.callbacks.model_checkpoint import ModelCheckpoint
from deepgrad.keras.callbacks.progbar_logger import ProgbarLogger
from deepgrad.keras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from deepgrad.keras.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN", "CSVLogger", "LambdaCallback",
           "BackupAndRestore"]
