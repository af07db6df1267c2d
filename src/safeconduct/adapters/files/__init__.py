"""Files on the local disk: atomic writes, area folders, the bundled sample areas."""
