"""Vision adapters (the optional ``vision`` extra): OpenCV frames and mediapipe's BlazePose.

:mod:`.pose` runs the pose model, :mod:`.video` reads, protects, annotates and writes
frames, :mod:`.native_logs` keeps mediapipe's C++ log lines out of the user's terminal,
and :mod:`.synthetic_render` paints the synthetic people of
:mod:`safeconduct.signals.synthetic`. Nothing here is imported until a command needs it.
"""
