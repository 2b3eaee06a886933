"""How an input is judged: the pipeline, the topic filter, the worker pool."""
