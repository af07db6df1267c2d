"""The safe-conduct note as PDF (reportlab) and its PNG previews (pypdfium2)."""
