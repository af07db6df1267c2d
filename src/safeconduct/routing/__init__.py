"""Walking-cost models, search kernels, path simplification and the Route."""

#: Default weight of exposure: a step in view of one observer costs (1 + 5) times as much,
#: i.e. the planner trades one second in view for five seconds of extra walking.
DEFAULT_RISK_WEIGHT = 5.0
