"""The planner's report: figures and one self-contained HTML page."""
