"""Surrender-signal recognition: pose -> gesture -> alert.

An alert says a person is signalling surrender and is hors de combat; the absence of an
alert says only "no signal detected (system limited)". Nothing here judges threat.

The pure core (:mod:`.gestures`, :mod:`.detector`, :mod:`.tracking`'s tracker) needs only
numpy; pose estimation and video need the optional ``vision`` extra
(``pip install 'safeconduct[vision]'``), imported only when used.
"""

from safeconduct.signals.detector import (
    ACTION_TEXT,
    NO_SIGNAL_TEXT,
    Alert,
    AlertKind,
    DetectorConfig,
    Observation,
    SignalDetector,
)
from safeconduct.signals.gestures import ArmsState, ArmState, GestureClassifier, Keypoints

__all__ = [
    "ACTION_TEXT",
    "NO_SIGNAL_TEXT",
    "Alert",
    "AlertKind",
    "ArmState",
    "ArmsState",
    "DetectorConfig",
    "GestureClassifier",
    "Keypoints",
    "Observation",
    "SignalDetector",
]
