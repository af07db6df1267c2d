"""Pictures and reports: maps and charts (matplotlib), the offline HTML report (Jinja2)."""
