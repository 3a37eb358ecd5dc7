"""Scripts that train optional models (run as modules, never imported by the pipeline)."""
