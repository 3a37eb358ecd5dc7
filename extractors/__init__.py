"""Text → records: reading, folding, recognition (a spaCy pipeline) and linking."""
