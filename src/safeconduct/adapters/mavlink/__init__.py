"""Vehicles over MAVLink (pymavlink): uploading a mission and reading it back (``upload``),
flying GUIDED targets for live leading (``guided``), and a simulated ArduCopter on 127.0.0.1
for tests and rehearsals (``simulated_copter``)."""
