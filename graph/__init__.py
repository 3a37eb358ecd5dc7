"""Records → a NetworkX multigraph: resolve, build, query, export, and the command line."""
