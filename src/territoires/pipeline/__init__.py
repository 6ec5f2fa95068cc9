"""The pipeline: files in, a diagnosis out (steps wired together)."""
